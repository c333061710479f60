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
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(what, ms)), ms);
  });
  // The abandoned call rejects later (isolate disposed): observed here so it is never unhandled.
  promise.catch(() => undefined);
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
