import type { ApiSpec } from '../config/api-spec';
import type { EventSink } from '../events/event';
import { GatewayError } from '../pipeline/errors';
import { fireKeyFailure } from './key-failure';
import type { RequestState, Step } from '../pipeline/request-state';
import type { LimitResult, SessionLimiter } from './limits';

/** Key expiry / inactive, access rights, rate limit and quota, after post_key_auth (Tyk's order). */
export function limitsStep(spec: ApiSpec, limiter: SessionLimiter, events: EventSink): Step {
  const disableRateLimit = spec.definition.disable_rate_limit === true;
  const disableQuota = spec.definition.disable_quota === true;
  return {
    name: 'limits',
    run(state) {
      const session = state.session;
      if (!session || !state.sessionKey) return; // ignored path: no identity, nothing to count
      const storedKey = state.sessionKey;
      // An internal loop (src/transform/loop.ts) is not counted again unless it asked (Tyk's check_limits=true).
      const looped = state.loops !== undefined && state.loops.level > 0 && !state.loops.checkLimits;
      const result = limiter.check({ storedKey, session, apiId: spec.apiId, ttlSeconds: spec.sessionLifetime || undefined, disableRateLimit: disableRateLimit || looped, disableQuota: disableQuota || looped });
      // Only counters in Redis answer with a promise; the others cost no extra turn of the event loop.
      if (result instanceof Promise) return result.then((r) => refuse(r, state, storedKey));
      refuse(result, state, storedKey);
    },
  };

  function refuse(result: LimitResult, state: RequestState, storedKey: string): void {
    if (result.ok) return;
    if (result.event) fireKeyFailure(events, result.event, spec, state, storedKey, result.eventMessage);
    throw new GatewayError(result.status, result.message);
  }
}
