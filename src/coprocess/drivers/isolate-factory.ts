import type { ApiSpec } from '../../config/api-spec';
import type { GatewayConfig } from '../../config/gateway-config-types';
import type { EventSink } from '../../events/event';
import { logger } from '../../log/logger';
import type { Dispatcher } from '../dispatcher';
import { IsolateDispatcher } from './isolate';
import { jsvmHostFunctions, type JsvmHostDeps } from './jsvm';

/** Hook function names an API's custom_middleware refers to: each must be a function in its isolate. */
export function hookNames(spec: ApiSpec): string[] {
  const names = new Set<string>();
  for (const list of Object.values(spec.hooks)) for (const h of list) names.add(h.name);
  if (spec.authCheck?.name) names.add(spec.authCheck.name);
  return [...names];
}

/**
 * The per-API isolate (drivers isolate, otto, javascript): validated before it is swapped in.
 * `jsvm` gives Tyk JSVM isolates their host natives (TykMakeHttpRequest, TykGetKeyData,
 * TykSetKeyData); the `isolate` driver never gets them.
 */
export async function createIsolateDispatcher(spec: ApiSpec, _config: GatewayConfig, events: EventSink, generation: number, jsvm?: JsvmHostDeps): Promise<Dispatcher> {
  const mode = spec.driver === 'isolate' ? ('coprocess' as const) : ('jsvm' as const);
  const options = {
    apiId: spec.apiId,
    orgId: spec.orgId,
    sources: spec.sources,
    hookNames: hookNames(spec),
    memoryLimitMb: spec.memoryLimitMb,
    hookTimeoutMs: spec.hookTimeoutMs,
    allowWasm: spec.allowWasm,
    logLinesPerS: spec.logLinesPerS,
    eventsPerS: spec.eventsPerS,
    mode,
    hostFunctions: mode === 'jsvm' && jsvm ? jsvmHostFunctions(jsvm) : undefined,
    generation,
    logger: logger.child({ api_id: spec.apiId }),
    onEvent: (name: string, payload: string) => events.fire({ type: name, apiId: spec.apiId, orgId: spec.orgId, meta: { Message: payload } }),
  };
  // Validated in the isolate that will serve: a bad upload never goes live, a good one is warm.
  return IsolateDispatcher.create(options);
}
