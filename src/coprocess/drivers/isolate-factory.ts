import type { ApiSpec } from '../../config/api-spec';
import type { GatewayConfig } from '../../config/gateway-config-types';
import type { EventSink } from '../../events/event';
import { logger } from '../../log/logger';
import type { Dispatcher } from '../dispatcher';
import { childValidationEnabled, validateInChild } from '../../containment/validator';
import type { ValidationOptions } from '../../containment/validation-protocol';
import { IsolateDispatcher, type IsolateDispatcherOptions } from './isolate';
import { jsvmHostFunctions, type JsvmHostDeps } from './jsvm';

/** Hook function names an API's custom_middleware refers to: each must be a function in its isolate. */
export function hookNames(spec: ApiSpec): string[] {
  const names = new Set<string>();
  for (const list of Object.values(spec.hooks)) for (const h of list) names.add(h.name);
  if (spec.authCheck?.name) names.add(spec.authCheck.name);
  return [...names];
}

/** What the validation child needs: everything but functions and the logger (host functions stay host-only). */
function validationOptions(o: IsolateDispatcherOptions): ValidationOptions {
  const { apiId, orgId, hookNames, memoryLimitMb, hookTimeoutMs, mode, allowWasm, logLinesPerS, eventsPerS } = o;
  return { apiId, orgId, sources: o.sources.map((s) => ({ filename: s.filename, code: s.code })), hookNames: hookNames && [...hookNames], memoryLimitMb, hookTimeoutMs, mode, allowWasm, logLinesPerS, eventsPerS };
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
  // New code (an upload, a reload) runs first in a validation child, where an abort costs the
  // child only (src/containment/validator.ts).
  if (childValidationEnabled()) await validateInChild(validationOptions(options));
  // Validated in the isolate that will serve: a bad upload never goes live, a good one is warm.
  return IsolateDispatcher.create(options);
}
