import type { ApiSpec } from '../../config/api-spec';
import type { GatewayConfig } from '../../config/gateway-config';
import type { EventSink } from '../../events/event';
import type { Step } from '../../pipeline/request-state';
import type { KeyDataServices } from './jsvm/key-data';
import type { Dispatcher } from '../dispatcher';
import type { SessionExchange } from '../hook-step';
import type { AuthCheckDeps } from '../auth-check-step';
import type { ApiMetrics } from '../../metrics/api-metrics';

/** What the gateway hands every driver when it opens it. */
export interface DriverHost {
  config: GatewayConfig;
  events: EventSink;
  /** For Tyk JSVM plugins' TykGetKeyData / TykSetKeyData. */
  sessions?: KeyDataServices;
  /** Per-API recorders (src/metrics); unset with enable_metrics off. */
  metrics?: { forApi(apiId: string): ApiMetrics };
}

/**
 * A plugin driver (the value of `custom_middleware.driver`): one folder under drivers/, one
 * object of this shape, one line in drivers/index.ts. Opened once per gateway; shared resources
 * (a gRPC channel) live in the opened driver and are released by `close`.
 */
export interface DriverPlugin {
  /** The `custom_middleware.driver` values it serves. */
  readonly names: readonly string[];
  /** Hooks come from middleware files (isolate, JSVM, Python) rather than a remote server (gRPC). */
  readonly needsSources: boolean;
  /** Which files of `middleware_path/{api_id}/` are its middleware. Default: `.js` and `.mjs`. */
  readonly sourceFiles?: RegExp;
  /** Its files find each other by module name (Lua's `require`): a bundle loads every listed file of its kind. */
  readonly requiresByName?: boolean;
  /** Its hook timeout when the API sets no `limits.hook_timeout_ms` (default isolate_options.hook_timeout_ms). */
  defaultHookTimeoutMs?(config: GatewayConfig): number;
  /** Its hooks run in a Tyk JSVM (otto, javascript): the same isolate serves the API's virtual endpoints and JSVM event handlers. */
  readonly runsJsvm?: boolean;
  open(host: DriverHost): Driver;
}

export interface Driver {
  /**
   * Load-time checks against the gateway config. Throws a message naming the key. A driver that
   * is switched off refuses the API here: its hooks are never skipped silently (fail closed).
   */
  validate(spec: ApiSpec): void;
  /** The API's dispatcher, validated and ready to serve. */
  create(spec: ApiSpec, generation: number): Promise<Dispatcher>;
  /** How this driver's hooks become chain steps (coprocess semantics unless it says otherwise). */
  readonly steps?: HookStepVariants;
  close?(): Promise<void>;
}

/** What a driver may change in its hooks' steps: Tyk's JSVM treats sessions and auth its own way. */
export interface HookStepVariants {
  /** Message a failed hook answers with (coprocess drivers: `Middleware error`). */
  readonly failureMessage: string;
  /** How sessions travel to and from this driver's hooks (coprocess: the proto session). */
  sessionExchange?(spec: ApiSpec): SessionExchange;
  /** The spec map its hooks get, from Tyk's (`base`): a driver may add what only its adapter reads. */
  specMap?(spec: ApiSpec, base: Record<string, string>): Record<string, string>;
  /** The auth_check step (coprocess: src/coprocess/auth-check-step.ts). */
  authCheck?(deps: AuthCheckDeps): Step;
}
