import type { ApiSpec } from '../../../config/api-spec';
import { type ApiNetSpec, netAccessFor } from '../../../net/access';
import type { GatewayConfig } from '../../../config/gateway-config';
import { logger } from '../../../log/logger';
import { Messages } from '../../../pipeline/errors';
import { createApiIsolate } from '../isolate/plugin';
import type { DriverPlugin } from '../plugin';
import { jsvmAuthStep } from './auth-step';
import { jsvmHostFunctions } from './host-functions';
import { jsvmSessionExchange } from './session-exchange';

/**
 * `jsvm_http_allow` is the older name of the gateway's allow_net for Tyk JSVM plugins only: when
 * set, it is their default instead of isolate_options.allow_net (an API's own limits.allow_net
 * still wins). Existing configs keep working, through the same network layer.
 */
function jsvmNet(spec: ApiSpec, config: GatewayConfig): ApiNetSpec {
  if (spec.net.fromApi || !config.jsvm_http_allow) return spec.net;
  return { ...spec.net, allow: config.jsvm_http_allow, allowKey: `custom_middleware.limits.allow_net of API "${spec.apiId}" (or the gateway's jsvm_http_allow for every JSVM API)` };
}

/**
 * `otto` and `javascript`: Tyk JSVM plugins, run unchanged inside the API's own isolate with
 * Tyk's JSVM shim (sandbox/jsvm/), its natives, and Tyk's session and auth semantics.
 */
export const jsvmDriver: DriverPlugin = {
  names: ['otto', 'javascript'],
  needsSources: true,
  // Tyk's `jsvm_timeout` (seconds; 0 or less means its default of 5) bounds every JSVM hook.
  defaultHookTimeoutMs: (config) => (config.jsvm_timeout > 0 ? config.jsvm_timeout : 5) * 1000,
  open(host) {
    const deps = { config: host.config, sessions: host.sessions };
    return {
      validate(spec) {
        if (!host.config.enable_jsvm) {
          throw new Error(`custom_middleware.driver: "${spec.driver}" needs enable_jsvm, which is false in ${host.config.source}; the API is not served without its hooks`);
        }
      },
      // Natives per API: the key store sees the calling API's org (key-data.ts), never what the plugin claims.
      // The network through the one layer, under the API's allow_net (jsvm_http_allow: src/config/api-spec.ts).
      create: (spec, generation) => {
        const log = logger.child({ api_id: spec.apiId });
        const functions = jsvmHostFunctions(deps, { apiId: spec.apiId, orgId: spec.orgId }, netAccessFor(jsvmNet(spec, host.config)), (message) => log.error({ source: 'middleware' }, message));
        return createApiIsolate(spec, host, generation, { mode: 'jsvm', hostFunctions: functions });
      },
      steps: {
        failureMessage: Messages.jsvmError,
        sessionExchange: (spec) => {
          if (!host.sessions) throw new Error('Tyk JSVM plugins need the session store');
          return jsvmSessionExchange(host.sessions.store, spec.sessionLifetime);
        },
        authCheck: jsvmAuthStep,
      },
    };
  },
};
