/**
 * A host-side time limit, raced against an isolate call. ivm's own `timeout` interrupts running
 * JavaScript but not a guest that awaits a promise that never settles (ivm #318): such a call
 * stays pending forever unless the host gives up on it and disposes the isolate.
 */
export class DeadlineExceeded extends Error {
  constructor(what: string, readonly ms: number) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/** Margin over the ivm timeout, so that ivm's precise interrupt normally wins the race. */
export function deadlineFor(timeoutMs: number): number {
  return timeoutMs + Math.min(1000, Math.max(50, timeoutMs * 0.25));
}

export function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  const ms = deadlineFor(timeoutMs);
  // One promise and one timer per call (this is on every hook's path), not race/finally chains.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineExceeded(what, ms)), ms);
    // After expiry the abandoned call still rejects (isolate disposed); settling twice is a no-op,
    // and handling it here keeps it from being reported as unhandled.
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * In a batch, calls after the first start only within this window of the entry's start
 * (BootConfig.startWindowMs); later ones go back to the queue for the next entry.
 */
export function startWindowMs(hookTimeoutMs: number): number {
  return Math.min(10, hookTimeoutMs);
}

/**
 * ivm timeout of an entry running `calls` calls: every call that starts does so within the start
 * window, so each has at least `hookTimeoutMs` of its own, and a hook that spins is interrupted
 * after at most `hookTimeoutMs` plus the window.
 */
export function entryTimeoutMs(hookTimeoutMs: number, calls: number): number {
  return calls > 1 ? hookTimeoutMs + startWindowMs(hookTimeoutMs) : hookTimeoutMs;
}
