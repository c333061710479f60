import type { ApiSpec } from '../../../config/api-spec';
import { logger } from '../../../log/logger';
import type { Dispatcher } from '../../dispatcher';
import type { DriverHost, DriverPlugin } from '../plugin';
import type { HostFunctions } from './host-calls';
import { IsolateDispatcher } from './isolate-dispatcher';

/** Hook function names an API's custom_middleware refers to: each must be a function in its isolate. */
export function hookNames(spec: ApiSpec): string[] {
  const names = new Set<string>();
  for (const list of Object.values(spec.hooks)) for (const h of list) names.add(h.name);
  if (spec.authCheck?.name) names.add(spec.authCheck.name);
  return [...names];
}

/**
 * The per-API isolate for `spec`, validated in the isolate that will serve: a bad upload never
 * goes live, a good one is warm. `jsvm` mode loads Tyk's JSVM shim and its host natives.
 */
export function createApiIsolate(spec: ApiSpec, host: DriverHost, generation: number, jsvm?: { hostFunctions: HostFunctions }): Promise<Dispatcher> {
  return IsolateDispatcher.create({
    apiId: spec.apiId,
    orgId: spec.orgId,
    sources: spec.sources,
    hookNames: hookNames(spec),
    memoryLimitMb: spec.memoryLimitMb,
    hookTimeoutMs: spec.hookTimeoutMs,
    mode: jsvm ? 'jsvm' : 'coprocess',
    hostFunctions: jsvm?.hostFunctions,
    generation,
    logger: logger.child({ api_id: spec.apiId }),
    onEvent: (name: string, payload: string) => host.events.fire({ type: name, apiId: spec.apiId, orgId: spec.orgId, meta: { Message: payload } }),
  });
}

/** `isolate`: our native driver, coprocess Objects into a V8 isolate per API. */
export const isolateDriver: DriverPlugin = {
  names: ['isolate'],
  needsSources: true,
  open(host) {
    return {
      validate() {
        if (!host.config.coprocess_options.enable_coprocess) {
          throw new Error(`custom_middleware.driver: "isolate" hooks are configured but coprocess_options.enable_coprocess is false in ${host.config.source}; the API is not served without its hooks`);
        }
      },
      create: (spec, generation) => createApiIsolate(spec, host, generation),
    };
  },
};
