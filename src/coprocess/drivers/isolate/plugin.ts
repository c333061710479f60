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
import type { SandboxRuntime } from './runtime-script';

/** Hook function names an API's custom_middleware refers to: each must be a function in its isolate. */
export function hookNames(spec: ApiSpec): string[] {
  const names = new Set<string>();
  for (const list of Object.values(spec.hooks)) for (const h of list) names.add(h.name);
  if (spec.authCheck?.name) names.add(spec.authCheck.name);
  return [...names];
}

/** What runs inside an API's isolate, when it is not the isolate driver's JS coprocess adapter. */
export interface GuestKind {
  /** The hook adapter (sandbox/adapters/registry.ts): `jsvm`, `lua`. */
  mode: string;
  /** The runtime bundle that has the adapter (default: the JS runtime). */
  runtime?: SandboxRuntime;
  /** Synchronous host calls the guest may make (Tyk JSVM natives). */
  hostFunctions?: HostFunctions;
}

/**
 * The per-API isolate for `spec`, validated in the isolate that will serve: a bad upload never
 * goes live, a good one is warm. Other drivers run their own adapter in it (`guest`): Tyk's JSVM
 * shim with its host natives, or the Lua VM.
 */
export async function createApiIsolate(spec: ApiSpec, host: DriverHost, generation: number, guest?: GuestKind): Promise<Dispatcher> {
  ensureOutputDropReports(host.config.isolate_options.output_report_interval_s * 1000);
  const batches = host.metrics?.forApi(spec.apiId).batchSize;
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
    mode: guest?.mode ?? 'coprocess',
    runtime: guest?.runtime,
    hostFunctions: guest?.hostFunctions,
    generation,
    logger: logger.child({ api_id: spec.apiId }),
    onEvent: (name: string, payload: string) => host.events.fire({ type: name, apiId: spec.apiId, orgId: spec.orgId, meta: { Message: payload } }),
    onBatch: batches && ((calls: number) => batches.observe(calls)),
  };
  // New code (an upload, a reload) runs first in a validation child, where an abort costs the
  // child only (src/containment/validator.ts).
  if (childValidationEnabled()) await validateInChild(validationOptions(options));
  return IsolateDispatcher.create(options);
}

/** What the validation child needs: everything but functions and the logger (host functions stay in the worker). */
function validationOptions(o: IsolateDispatcherOptions): ValidationOptions {
  const { apiId, orgId, hookNames: names, memoryLimitMb, hookTimeoutMs, mode, allowWasm, logLinesPerS, eventsPerS } = o;
  // The child validates one API and exits when idle: warming a code cache would cost more there
  // than the compile it saves.
  const runtime = o.runtime && { file: o.runtime.file };
  return { apiId, orgId, sources: o.sources.map((s) => ({ filename: s.filename, code: s.code })), hookNames: names && [...names], memoryLimitMb, hookTimeoutMs, mode, runtime, allowWasm, logLinesPerS, eventsPerS };
}

/**
 * Coprocess drivers (isolate, lua) obey coprocess_options.enable_coprocess. Tyk then skips their
 * hooks silently; isogate refuses the API instead (fail closed).
 */
export function requireCoprocess(host: DriverHost, driver: string): void {
  if (!host.config.coprocess_options.enable_coprocess) {
    throw new Error(`custom_middleware.driver: "${driver}" hooks are configured but coprocess_options.enable_coprocess is false in ${host.config.source}; the API is not served without its hooks`);
  }
}

/** `isolate`: our native driver, coprocess Objects into a V8 isolate per API. */
export const isolateDriver: DriverPlugin = {
  names: ['isolate'],
  needsSources: true,
  open(host) {
    return {
      validate: (spec) => requireCoprocess(host, spec.driver),
      create: (spec, generation) => createApiIsolate(spec, host, generation),
    };
  },
};
