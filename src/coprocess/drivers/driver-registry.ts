import type { ApiSpec } from '../../config/api-spec';
import type { GatewayConfig } from '../../config/gateway-config-types';
import type { EventSink } from '../../events/event';
import { logger } from '../../log/logger';
import type { Dispatcher } from '../dispatcher';
import { ConfigError } from '../../config/config-error';
import { GrpcConnection, GrpcDispatcher } from './grpc';
import { createIsolateDispatcher } from './isolate-factory';
import { HttpAllowList, type JsvmHostDeps, type KeyDataServices } from './jsvm';

/** Gateway services drivers may hand to plugin code. */
export interface DriverServices {
  /** For Tyk JSVM plugins' TykGetKeyData / TykSetKeyData. */
  sessions?: KeyDataServices;
}

function hasHooks(spec: ApiSpec): boolean {
  return Boolean(spec.authCheck) || Object.values(spec.hooks).some((list) => list.length > 0);
}

/**
 * Picks and builds the dispatcher for an API's `custom_middleware.driver`. Owns what drivers
 * share across APIs: the one gRPC connection to the plugin server.
 */
export class DriverRegistry {
  private grpc?: GrpcConnection;
  /** What every JSVM isolate's natives use: one allow-list, parsed once (the config loader already validated it). */
  private readonly jsvm: JsvmHostDeps;

  constructor(
    private readonly config: GatewayConfig,
    private readonly events: EventSink,
    services: DriverServices = {},
  ) {
    this.jsvm = { config, allow: HttpAllowList.parse(config.jsvm_http_allow), sessions: services.sessions };
  }

  /**
   * Undefined when the API runs no hooks. An API whose hooks cannot run because their driver is
   * switched off in the gateway config fails closed: this throws, the API is not served, and
   * the reason shows in /tyk/reload and /tyk/apis/{id}/runtime (Tyk would skip the hooks and
   * proxy the API unchecked).
   */
  async create(spec: ApiSpec, generation: number): Promise<Dispatcher | undefined> {
    if (!hasHooks(spec)) return undefined;
    const off = (key: string) => new ConfigError(`custom_middleware.driver: "${spec.driver}" hooks cannot run because ${key} is false in ${this.config.source}; the API is not served rather than proxied without its middleware`);
    switch (spec.driver) {
      case 'grpc':
        if (!this.config.coprocess_options.enable_coprocess) throw off('coprocess_options.enable_coprocess');
        this.grpc ??= GrpcConnection.fromConfig(this.config.coprocess_options);
        return new GrpcDispatcher(this.grpc, { apiId: spec.apiId, timeoutMs: spec.hookTimeoutMs });
      case 'isolate':
        if (!this.config.coprocess_options.enable_coprocess) throw off('coprocess_options.enable_coprocess');
        return createIsolateDispatcher(spec, this.config, this.events, generation);
      case 'otto':
      case 'javascript':
        if (!this.config.enable_jsvm) throw off('enable_jsvm');
        return createIsolateDispatcher(spec, this.config, this.events, generation, this.jsvm);
      default:
        throw new Error(`custom_middleware.driver: "${spec.driver}" is not supported`);
    }
  }

  async close(): Promise<void> {
    try {
      this.grpc?.close();
    } catch (err) {
      logger.warn({ err }, 'closing the gRPC connection failed');
    }
  }
}
