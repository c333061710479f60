/** Define a global the way script globals are: writable and configurable, so middleware may shadow it deliberately. */
export function define(name: string, value: unknown): void {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}
