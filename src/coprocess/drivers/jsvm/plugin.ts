import type { ApiSpec } from '../../../config/api-spec';
import type { GatewayConfig } from '../../../config/gateway-config';
import { HttpAllowList } from '../../../config/host-allow-list';
import { Messages } from '../../../pipeline/errors';
import { JSVM_SPEC } from '../../../protocol/jsvm';
import type { Dispatcher } from '../../dispatcher';
import { createApiIsolate } from '../isolate/plugin';
import type { DriverHost, DriverPlugin } from '../plugin';
import { jsvmAuthStep } from './auth-step';
import { jsvmHostFunctions, type JsvmHostDeps } from './host-functions';
import { jsvmSessionExchange } from './session-exchange';

/** What Tyk runs in an API's JSVM besides its hooks: virtual endpoints' code, eh_dynamic_handler files. */
function jsvmExtras(spec: ApiSpec): ApiSpec['sources'] {
  return [...spec.virtual.sources, ...spec.jsvm.handlerSources];
}

/** Whether the API needs a JSVM for something other than JSVM hooks (virtual endpoints, JSVM event handlers). */
export function needsApiJsvm(spec: ApiSpec): boolean {
  return spec.virtual.endpoints.length > 0 || spec.jsvm.usesHandlers;
}

/** Tyk's `jsvm_timeout` (seconds; 0 or less means its default of 5) bounds every JSVM call. */
function jsvmTimeoutMs(config: GatewayConfig): number {
  return (config.jsvm_timeout > 0 ? config.jsvm_timeout : 5) * 1000;
}

function requireJsvm(host: DriverHost, spec: ApiSpec, what: string): void {
  if (!host.config.enable_jsvm) {
    throw new Error(`${what} needs enable_jsvm, which is false in ${host.config.source}; the API is not served without it`);
  }
}

function hostDeps(host: DriverHost): JsvmHostDeps {
  // One allow-list for every JSVM isolate, parsed once (the config loader already validated it).
  return { config: host.config, allow: HttpAllowList.parse(host.config.jsvm_http_allow), sessions: host.sessions };
}

/** A JSVM isolate for `spec` running `sources`; natives per API: the key store sees the calling API's org (key-data.ts). */
function createJsvmIsolate(spec: ApiSpec, host: DriverHost, deps: JsvmHostDeps, generation: number, sources: ApiSpec['sources'], hooks: boolean): Promise<Dispatcher> {
  const served: ApiSpec = hooks ? { ...spec, sources } : { ...spec, sources, hooks: { pre: [], post_key_auth: [], post: [], response: [] }, authCheck: undefined };
  return createApiIsolate(served, host, generation, { mode: 'jsvm', hostFunctions: jsvmHostFunctions(deps, { apiId: spec.apiId, orgId: spec.orgId }) });
}

/**
 * The JSVM of an API whose driver is not a JSVM one (or that has no hooks) but which has virtual
 * endpoints: an isolate of its own, with the API's memory limit and Tyk's `jsvm_timeout` per
 * call (the API's `limits.hook_timeout_ms` when set), as Tyk gives every API a JSVM.
 */
export function createApiJsvm(spec: ApiSpec, host: DriverHost, generation: number): Promise<Dispatcher> {
  requireJsvm(host, spec, spec.virtual.endpoints.length > 0 ? 'extended_paths.virtual' : 'event_handlers: eh_dynamic_handler');
  const timeoutMs = spec.definition.custom_middleware?.limits?.hook_timeout_ms ?? jsvmTimeoutMs(host.config);
  return createJsvmIsolate({ ...spec, hookTimeoutMs: timeoutMs }, host, hostDeps(host), generation, [...spec.jsvm.core, ...jsvmExtras(spec)], false);
}

/**
 * `otto` and `javascript`: Tyk JSVM plugins, run unchanged inside the API's own isolate with
 * Tyk's JSVM shim (sandbox/jsvm/), its natives, and Tyk's session and auth semantics. The same
 * isolate runs the API's virtual endpoints.
 */
export const jsvmDriver: DriverPlugin = {
  names: ['otto', 'javascript'],
  needsSources: true,
  runsJsvm: true,
  defaultHookTimeoutMs: jsvmTimeoutMs,
  open(host) {
    const deps = hostDeps(host);
    return {
      validate(spec) {
        requireJsvm(host, spec, `custom_middleware.driver: "${spec.driver}"`);
      },
      // tyk_js_path first: Tyk evaluates it right after its core library, before any plugin file.
      create: (spec, generation) => createJsvmIsolate(spec, host, deps, generation, [...spec.jsvm.core, ...spec.sources, ...jsvmExtras(spec)], true),
      steps: {
        failureMessage: Messages.jsvmError,
        sessionExchange: (spec) => {
          if (!host.sessions) throw new Error('Tyk JSVM plugins need the session store');
          return jsvmSessionExchange(host.sessions.store, spec.sessionLifetime);
        },
        authCheck: jsvmAuthStep,
        specMap: (spec, base) => (spec.definition.config_data_disabled === true ? { ...base, [JSVM_SPEC.configDataDisabled]: '1' } : base),
      },
    };
  },
};
