import type { ApiSpec } from '../config/api-spec';
import type { EventSink } from '../events/event';
import { fireKeyFailure } from '../auth/key-failure';
import { logger } from '../log/logger';
import { GatewayError } from '../pipeline/errors';
import type { Step } from '../pipeline/request-state';
import { applyPolicies, policyIdsOf } from './apply';
import type { PolicySet } from './policy';

/**
 * Right after auth (token or auth_check): a session that names policies (`apply_policies`, from
 * /tyk/keys or an auth_check plugin) gets their rate, quota, access rights and tags before
 * post_key_auth hooks and the key checks see it. A policy that cannot be applied (unknown id,
 * another org's) refuses the key with 403 `refusal` and a log line naming the policy.
 * `policies()` is read per request: a reload swaps the set without rebuilding APIs.
 */
export function policiesStep(spec: ApiSpec, policies: () => PolicySet, events: EventSink, refusal: string): Step {
  return {
    name: 'policies',
    run(state) {
      const session = state.session;
      if (!session || policyIdsOf(session).length === 0) return;
      const outcome = applyPolicies(session, policies(), spec.orgId);
      if (outcome.ok) {
        state.session = outcome.session;
        return;
      }
      logger.warn({ api_id: spec.apiId, policies: policyIdsOf(session) }, `api ${spec.apiId}: the key's policies cannot be applied: ${outcome.reason}`);
      fireKeyFailure(events, 'AuthFailure', spec, state, state.sessionKey ?? '');
      throw new GatewayError(403, refusal);
    },
  };
}
