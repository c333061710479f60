// Tyk retries a bundle download with exponential back-off (github.com/cenkalti/backoff defaults:
// first wait 500 ms, randomised by ±50 %; here multiplier 2, at most 5 s between tries, 4 retries).

export interface RetryPolicy {
  readonly retries: number;
  readonly initialMs: number;
  readonly multiplier: number;
  readonly maxIntervalMs: number;
  /** ±fraction of each wait, so that many gateways do not retry in step. */
  readonly randomization: number;
}

export const TYK_BUNDLE_RETRY: RetryPolicy = { retries: 4, initialMs: 500, multiplier: 2, maxIntervalMs: 5000, randomization: 0.5 };

/** An error that a retry cannot fix (a 404, a file that is too large): fail at once. */
export interface MaybePermanent {
  permanent?: boolean;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}

/** Run `attempt` until it succeeds, fails permanently, the retries run out or `signal` aborts. */
export async function withRetries<T>(attempt: () => Promise<T>, policy: RetryPolicy, signal?: AbortSignal, onRetry?: (err: Error, waitMs: number) => void): Promise<T> {
  let interval = policy.initialMs;
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if ((err as MaybePermanent).permanent || tries >= policy.retries || signal?.aborted) throw err;
      const wait = Math.round(interval * (1 + policy.randomization * (2 * Math.random() - 1)));
      onRetry?.(err as Error, wait);
      await sleep(wait, signal);
      if (signal?.aborted) throw err;
      interval = Math.min(interval * policy.multiplier, policy.maxIntervalMs);
    }
  }
}
