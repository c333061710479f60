import type { ApiSpec } from '../config/api-spec';
import type { EventSink } from '../events/event';
import { GatewayError } from '../pipeline/errors';
import { fireKeyFailure } from './key-failure';
import type { Step } from '../pipeline/request-state';
import type { SessionLimiter } from './limits';

/** Key expiry / inactive, access rights, rate limit and quota, after post_key_auth (Tyk's order). */
export function limitsStep(spec: ApiSpec, limiter: SessionLimiter, events: EventSink): Step {
  const disableRateLimit = spec.definition.disable_rate_limit === true;
  const disableQuota = spec.definition.disable_quota === true;
  return {
    name: 'limits',
    run(state) {
      const session = state.session;
      if (!session || !state.sessionKey) return; // ignored path: no identity, nothing to count
      // An internal loop (src/transform/loop.ts) is not counted again unless it asked (Tyk's check_limits=true).
      const looped = state.loops !== undefined && state.loops.level > 0 && !state.loops.checkLimits;
      const result = limiter.check({ storedKey: state.sessionKey, session, apiId: spec.apiId, ttlSeconds: spec.sessionLifetime || undefined, disableRateLimit: disableRateLimit || looped, disableQuota: disableQuota || looped });
      if (result.ok) return;
      if (result.event) {
        fireKeyFailure(events, result.event, spec, state, state.sessionKey, result.eventMessage);
      }
      throw new GatewayError(result.status, result.message);
    },
  };
}
