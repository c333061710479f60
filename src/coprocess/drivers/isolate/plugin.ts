import type { ApiSpec } from '../../../config/api-spec';
import { logger } from '../../../log/logger';
import type { Dispatcher } from '../../dispatcher';
import type { DriverHost, DriverPlugin } from '../plugin';
import type { HostFunctions } from './host-calls';
import { childValidationEnabled, validateInChild } from '../../../containment/validator';
import type { ValidationOptions } from '../../../containment/validation-protocol';
import { IsolateDispatcher } from './isolate-dispatcher';
import type { IsolateDispatcherOptions } from './options';
import { ensureOutputDropReports } from './output-meter';

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
export async function createApiIsolate(spec: ApiSpec, host: DriverHost, generation: number, jsvm?: { hostFunctions: HostFunctions }): Promise<Dispatcher> {
  ensureOutputDropReports(host.config.isolate_options.output_report_interval_s * 1000);
  const options: IsolateDispatcherOptions = {
    apiId: spec.apiId,
    orgId: spec.orgId,
    sources: spec.sources,
    hookNames: hookNames(spec),
    memoryLimitMb: spec.memoryLimitMb,
    hookTimeoutMs: spec.hookTimeoutMs,
    allowWasm: spec.allowWasm,
    logLinesPerS: spec.logLinesPerS,
    eventsPerS: spec.eventsPerS,
    mode: jsvm ? 'jsvm' : 'coprocess',
    hostFunctions: jsvm?.hostFunctions,
    generation,
    logger: logger.child({ api_id: spec.apiId }),
    onEvent: (name: string, payload: string) => host.events.fire({ type: name, apiId: spec.apiId, orgId: spec.orgId, meta: { Message: payload } }),
  };
  // New code (an upload, a reload) runs first in a validation child, where an abort costs the
  // child only (src/containment/validator.ts).
  if (childValidationEnabled()) await validateInChild(validationOptions(options));
  return IsolateDispatcher.create(options);
}

/** What the validation child needs: everything but functions and the logger (host functions stay in the worker). */
function validationOptions(o: IsolateDispatcherOptions): ValidationOptions {
  const { apiId, orgId, hookNames: names, memoryLimitMb, hookTimeoutMs, mode, allowWasm, logLinesPerS, eventsPerS } = o;
  return { apiId, orgId, sources: o.sources.map((s) => ({ filename: s.filename, code: s.code })), hookNames: names && [...names], memoryLimitMb, hookTimeoutMs, mode, allowWasm, logLinesPerS, eventsPerS };
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
