/** Tyk's JSVM drivers (otto, and goja as `javascript`): the API then has a JSVM of its own hooks. */
export const JSVM_DRIVERS: readonly string[] = ['otto', 'javascript'];

export function isJsvmDriver(driver: string | undefined): boolean {
  return driver !== undefined && JSVM_DRIVERS.includes(driver);
}
