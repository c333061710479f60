import type { ApiSpec } from '../../config/api-spec';
import type { GatewayConfig } from '../../config/gateway-config-types';
import type { EventSink } from '../../events/event';
import { logger } from '../../log/logger';
import { DispatchError, type Dispatcher } from '../dispatcher';
import { GrpcConnection, GrpcDispatcher } from './grpc';
import { createIsolateDispatcher } from './isolate-factory';
import { startOutputDropReports } from './isolate/output-meter';
import { HttpAllowList, type JsvmHostDeps, type KeyDataServices } from './jsvm';

/** Gateway services drivers may hand to plugin code. */
export interface DriverServices {
  /** For Tyk JSVM plugins' TykGetKeyData / TykSetKeyData. */
  sessions?: KeyDataServices;
}

function hasHooks(spec: ApiSpec): boolean {
  return Boolean(spec.authCheck) || Object.values(spec.hooks).some((list) => list.length > 0);
}

/** Stands in when a driver is switched off in the gateway config (`enable_jsvm: false`): every hook fails as Tyk's do. */
class DisabledDispatcher implements Dispatcher {
  constructor(readonly driver: string, private readonly why: string) {}
  dispatch(): Promise<never> {
    return Promise.reject(new DispatchError(this.why, 'unavailable'));
  }
  async dispatchEvent(): Promise<void> {}
  async reload(): Promise<void> {}
  async dispose(): Promise<void> {}
}

/**
 * Picks and builds the dispatcher for an API's `custom_middleware.driver`. Owns what drivers
 * share across APIs: the one gRPC connection to the plugin server.
 */
export class DriverRegistry {
  private grpc?: GrpcConnection;
  /** What every JSVM isolate's natives use: one allow-list, parsed once (the config loader already validated it). */
  private readonly jsvm: JsvmHostDeps;
  /** Guest output over budget: one summary warning per API per interval. */
  private readonly stopDropReports: () => void;

  constructor(
    private readonly config: GatewayConfig,
    private readonly events: EventSink,
    services: DriverServices = {},
  ) {
    this.jsvm = { config, allow: HttpAllowList.parse(config.jsvm_http_allow), sessions: services.sessions };
    this.stopDropReports = startOutputDropReports(logger.child({ component: 'isolate' }), (config.isolate_options.output_report_interval_s ?? 10) * 1000);
  }

  /** Undefined when the API runs no hooks (none configured, or coprocess switched off as Tyk does). */
  async create(spec: ApiSpec, generation: number): Promise<Dispatcher | undefined> {
    if (!hasHooks(spec)) return undefined;
    switch (spec.driver) {
      case 'grpc':
        if (!this.config.coprocess_options.enable_coprocess) return undefined;
        this.grpc ??= GrpcConnection.fromConfig(this.config.coprocess_options);
        return new GrpcDispatcher(this.grpc, { apiId: spec.apiId, timeoutMs: spec.hookTimeoutMs });
      case 'isolate':
        if (!this.config.coprocess_options.enable_coprocess) return undefined;
        return createIsolateDispatcher(spec, this.config, this.events, generation);
      case 'otto':
      case 'javascript':
        if (!this.config.enable_jsvm) return new DisabledDispatcher(spec.driver, 'JSVM is disabled (enable_jsvm: false)');
        return createIsolateDispatcher(spec, this.config, this.events, generation, this.jsvm);
      default:
        throw new Error(`custom_middleware.driver: "${spec.driver}" is not supported`);
    }
  }

  async close(): Promise<void> {
    this.stopDropReports();
    try {
      this.grpc?.close();
    } catch (err) {
      logger.warn({ err }, 'closing the gRPC connection failed');
    }
  }
}
