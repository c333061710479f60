// Waiting in tests: one sleep, one poller. Anything that needs "until this holds" uses `until`,
// so every wait has a deadline and a failure that says what it waited for.

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface UntilOptions {
  /** Give up after this long (default 3000 ms). */
  timeoutMs?: number;
  /** Pause between checks (default 25 ms). */
  stepMs?: number;
  /** Named in the timeout error. */
  what?: string;
}

/** What a truthy check result can be. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Call `check` until it returns a truthy value (resolved with it) or the deadline passes. A check
 * may also throw (an `expect` that does not hold yet): on timeout the last error is thrown, so
 * the failure shows the assertion; otherwise the error names `what` and the last value.
 */
export async function until<T>(check: () => T | Promise<T>, options: UntilOptions = {}): Promise<Truthy<T>> {
  const { timeoutMs = 3000, stepMs = 25, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: T | undefined;
    let error: unknown;
    try {
      last = await check();
      if (last) return last as Truthy<T>;
    } catch (err) {
      error = err;
    }
    if (Date.now() >= deadline) {
      if (error !== undefined) throw error;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    }
    await sleep(stepMs);
  }
}
