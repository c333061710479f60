import type { ApiSpec } from '../config/api-spec';
import type { GatewayConfig } from '../config/gateway-config';
import type { EventSink } from '../events/event';
import { GatewayError, Messages } from '../pipeline/errors';
import { headerValue } from '../pipeline/headers';
import { queryParam } from '../pipeline/url';
import { fireKeyFailure } from './key-failure';
import type { Step } from '../pipeline/request-state';
import type { SessionStore } from '../storage/session-store';
import { isIgnoredPath } from './ignored-paths';
import { candidateStorageKeys } from './key-names';
import { orgMayUse } from './key-org';
import type { SessionState } from '../pipeline/session';

/** Tyk's standard auth token check: the key from the auth header (or param), looked up in the store. */
export function tokenAuthStep(spec: ApiSpec, config: GatewayConfig, store: SessionStore, events: EventSink): Step {
  const header = spec.authHeaderName.toLowerCase();
  return {
    name: 'auth:token',
    async run(state) {
      if (isIgnoredPath(spec, state.path, state.method)) return;
      let key = headerValue(state.headers, header) ?? (spec.authParamName ? queryParam(state.query, spec.authParamName) : undefined);
      if (key?.toLowerCase().startsWith('bearer ')) key = key.slice(7).trim();
      if (!key) {
        fireKeyFailure(events, 'AuthFailure', spec, state, '');
        throw new GatewayError(401, Messages.authFieldMissing);
      }
      // Clients present custom keys bare, while Tyk stores them org-qualified: try both, in Tyk's
      // order. A key of another org is refused like an unknown one (key-org.ts; Tyk lets it in).
      let stored = '';
      let session: SessionState | undefined;
      for (const candidate of candidateStorageKeys(key, spec.orgId, config)) {
        const found = await store.get(candidate.storedKey);
        if (found && orgMayUse(found, spec.orgId)) {
          session = found;
          stored = candidate.storedKey;
          break;
        }
      }
      if (!session) {
        fireKeyFailure(events, 'AuthFailure', spec, state, key);
        throw new GatewayError(403, Messages.accessDisallowed);
      }
      state.session = session;
      state.sessionKey = stored;
    },
  };
}
