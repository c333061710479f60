import type { AuthCache } from '../auth/auth-cache';
import { compileIdExtractor } from '../auth/id-extractor';
import { normaliseHashFunction } from '../auth/key-hash';
import { limitsStep } from '../auth/limits-step';
import { tokenAuthStep } from '../auth/token-auth-step';
import type { ApiSpec } from '../config/api-spec';
import type { GatewayConfig } from '../config/gateway-config';
import { authCheckStep } from '../coprocess/auth-check-step';
import type { Drivers } from '../coprocess/drivers';
import { type HookStepContext, requestHookStep, responseHookStep } from '../coprocess/hook-step';
import { type CompiledApiHandlers, type EventBus, EventConfigError } from '../events';
import { ConfigError } from '../config/config-error';
import { quarantine } from '../containment/quarantine';
import { quarantinedRuntime } from '../containment/quarantine-runtime';
import type { SessionLimiter } from '../auth/limits';
import type { SessionStore } from '../storage/session-store';
import { ApiRuntime } from './api-runtime';
import type { PolicySet } from '../policies/policy';
import { policiesStep } from '../policies/step';
import { Messages } from '../pipeline/errors';
import { virtualEndpointStep } from './virtual/step';
import type { Step } from '../pipeline/request-state';
import type { GatewayMetrics } from '../metrics/registry';
import type { HookMetrics } from '../metrics/api-metrics';
import type { HookEntry } from '../config/api-spec';

export interface GatewayServices {
  config: GatewayConfig;
  /** Sessions through the auth LRU: every read and write keeps the cache in step. */
  store: SessionStore;
  /** The store without the LRU, for the auth_check step which manages the LRU itself. */
  rawStore: SessionStore;
  events: EventBus;
  authCache: AuthCache;
  limiter: SessionLimiter;
  drivers: Drivers;
  /** The policies loaded now (src/policies): read per request, swapped by a reload. */
  policies: () => PolicySet;
  /** Prometheus recorders (src/metrics); unset with enable_metrics off. */
  metrics?: GatewayMetrics;
}

/** Tyk's spec map sent with every hook: OrgID, APIID, bundle_hash and config_data when enabled. */
function specMap(spec: ApiSpec): Record<string, string> {
  const map: Record<string, string> = { OrgID: spec.orgId, APIID: spec.apiId, bundle_hash: spec.bundleHash };
  if (spec.configDataJson !== undefined) map.config_data = spec.configDataJson;
  return map;
}

/**
 * Compile an API's chain once, at load, from named steps:
 * pre → auth → post_key_auth → key checks (expiry, access, rate, quota) → post; response hooks after the upstream.
 * Any config problem throws before anything is swapped in, so the previous version keeps serving.
 */
export async function buildApiRuntime(spec: ApiSpec, services: GatewayServices, generation: number): Promise<ApiRuntime> {
  const held = quarantine.holds(spec.apiId, spec.sources);
  // Middleware that aborted a worker is not run again: the API answers 503 (src/containment).
  const runtime = held ? quarantinedRuntime(spec, generation, held, services.events) : await buildChain(spec, services, generation);
  runtime.metrics = services.metrics?.forApi(spec.apiId);
  return runtime;
}

/** Every hook entry of the API (request and response hooks, auth_check). */
export function hookEntries(spec: ApiSpec): HookEntry[] {
  return [...Object.values(spec.hooks).flat(), ...(spec.authCheck ? [spec.authCheck] : [])];
}

/** The hooks' recorders, keyed by entry so the request path needs no string key. */
function hookMetricsOf(spec: ApiSpec, services: GatewayServices): Map<HookEntry, HookMetrics> | undefined {
  const api = services.metrics?.forApi(spec.apiId);
  return api && new Map(hookEntries(spec).map((h) => [h, api.hook(h.kind, h.name)]));
}

async function buildChain(spec: ApiSpec, services: GatewayServices, generation: number): Promise<ApiRuntime> {
  const { config, events } = services;
  const extractor = spec.coprocessAuth
    ? compileIdExtractor(spec.idExtractor, {
      apiId: spec.apiId,
      orgId: spec.orgId,
      // As Tyk: the generated session id follows hash_key_function whether or not hash_keys is on.
      hashKeyFunction: normaliseHashFunction(config.hash_key_function) || undefined,
      scope: config.auth_cache.id_extractor_scope,
    })
    : undefined;
  const dispatcher = await services.drivers.create(spec, generation);
  // The API's JSVM for virtual endpoints and JSVM event handlers (its hooks' isolate, or one of its own).
  let jsvm: Awaited<ReturnType<Drivers['apiJsvm']>>;
  try {
    jsvm = await services.drivers.apiJsvm(spec, generation, dispatcher);
  } catch (err) {
    await dispatcher?.dispose();
    throw err;
  }
  let eventHandlers: CompiledApiHandlers;
  try {
    // Compiled now, installed when the runtime is swapped in: a failed build leaves the old handlers.
    eventHandlers = events.compileApiHandlers(spec.apiId, spec.orgId, spec.definition.event_handlers, { dispatcher, jsvm: jsvm?.dispatcher });
  } catch (err) {
    await dispatcher?.dispose();
    if (jsvm?.own) await jsvm.dispatcher.dispose();
    if (err instanceof EventConfigError) throw new ConfigError(`${spec.file} (api ${spec.apiId}): ${err.key}: ${err.problem}`);
    throw err;
  }

  const variants = services.drivers.stepsFor(spec);
  const ctx: HookStepContext | undefined = dispatcher && {
    apiId: spec.apiId,
    orgId: spec.orgId,
    dispatcher,
    specMap: variants?.specMap?.(spec, specMap(spec)) ?? specMap(spec),
    events,
    failureMessage: variants?.failureMessage ?? Messages.middlewareError,
    session: variants?.sessionExchange?.(spec),
    hookMetrics: hookMetricsOf(spec, services),
  };
  const hooks = (kind: 'pre' | 'post_key_auth' | 'post'): Step[] => (ctx ? spec.hooks[kind].map((h) => requestHookStep(h, ctx)) : []);

  const steps: Step[] = [...hooks('pre')];
  if (!spec.keyless) {
    if (ctx && spec.authCheck) {
      const authStep = variants?.authCheck ?? authCheckStep;
      steps.push(authStep({ spec, config, hook: spec.authCheck, ctx, extractor, cache: services.authCache, store: services.rawStore }));
      // Tyk: a plugin session whose policies cannot be applied is 403 Forbidden.
      steps.push(policiesStep(spec, services.policies, events, Messages.forbidden));
    } else {
      steps.push(tokenAuthStep(spec, config, services.store, events));
      steps.push(policiesStep(spec, services.policies, events, Messages.accessDisallowed));
    }
    steps.push(...hooks('post_key_auth'));
    steps.push(limitsStep(spec, services.limiter, events));
  }
  if (jsvm && spec.virtual.endpoints.length > 0) {
    steps.push(virtualEndpointStep({ spec, dispatcher: jsvm.dispatcher, specMap: ctx?.specMap ?? specMap(spec), events, store: services.store, maxBodyBytes: config.isolate_options.max_body_bytes }));
  }
  steps.push(...hooks('post'));
  const responseSteps = ctx ? spec.hooks.response.map((h) => responseHookStep(h, ctx)) : [];
  const bodyExtractor = extractor && extractor.extractFrom !== 'header';
  const needsBody = Boolean(ctx) || Boolean(bodyExtractor) || spec.virtual.endpoints.length > 0;
  return new ApiRuntime(spec, generation, steps, responseSteps, needsBody, eventHandlers, dispatcher, jsvm?.own ? [jsvm.dispatcher] : []);
}
