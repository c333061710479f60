import type { ApiSpec } from '../../config/api-spec';
import type { GatewayConfig } from '../../config/gateway-config';
import type { SourcePolicy } from '../../config/middleware-sources';
import type { Dispatcher } from '../dispatcher';
import { MiddlewareLoadError } from '../../gateway/failed-runtime';
import { grpcDriver } from './grpc/plugin';
import { isolateDriver } from './isolate/plugin';
import { createApiJsvm, jsvmDriver, needsApiJsvm } from './jsvm/plugin';
import { luaDriver } from './lua/plugin';
import { pythonDriver } from './python/plugin';
import type { Driver, DriverHost, DriverPlugin, HookStepVariants } from './plugin';

export type { Driver, DriverHost, DriverPlugin, HookStepVariants } from './plugin';

/** Every driver isogate has. Adding one means adding its folder and a line here. */
const PLUGINS: readonly DriverPlugin[] = [isolateDriver, jsvmDriver, grpcDriver, pythonDriver, luaDriver];

const BY_NAME: ReadonlyMap<string, DriverPlugin> = new Map(PLUGINS.flatMap((p) => p.names.map((name) => [name, p] as const)));

function hasHooks(spec: ApiSpec): boolean {
  return Boolean(spec.authCheck) || Object.values(spec.hooks).some((list) => list.length > 0);
}

/** What loading needs to know of the drivers, without opening any (also for `isogate bundle verify`). */
export const DRIVER_SOURCES: SourcePolicy = {
  needsSources: (name) => BY_NAME.get(name)?.needsSources ?? true,
  sourceFiles: (name) => BY_NAME.get(name)?.sourceFiles,
  requiresByName: (name) => BY_NAME.get(name)?.requiresByName ?? false,
  defaultHookTimeoutMs: (name, config) => BY_NAME.get(name)?.defaultHookTimeoutMs?.(config),
  runsJsvm: (name) => BY_NAME.get(name)?.runsJsvm === true,
};

/** The gateway's drivers, each opened on first use and closed with the gateway. */
export class Drivers implements SourcePolicy {
  private readonly opened = new Map<DriverPlugin, Driver>();

  constructor(private readonly host: DriverHost) {}

  needsSources(name: string): boolean {
    return DRIVER_SOURCES.needsSources(name);
  }

  sourceFiles(name: string): RegExp | undefined {
    return DRIVER_SOURCES.sourceFiles!(name);
  }

  requiresByName(name: string): boolean {
    return DRIVER_SOURCES.requiresByName!(name);
  }

  defaultHookTimeoutMs(name: string, config: GatewayConfig): number | undefined {
    return DRIVER_SOURCES.defaultHookTimeoutMs!(name, config);
  }

  runsJsvm(name: string): boolean {
    return DRIVER_SOURCES.runsJsvm!(name);
  }

  private driverFor(spec: ApiSpec): Driver {
    const plugin = BY_NAME.get(spec.driver);
    if (!plugin) throw new Error(`custom_middleware.driver: "${spec.driver}" is not supported by isogate (use ${[...BY_NAME.keys()].join(', ')})`);
    let driver = this.opened.get(plugin);
    if (!driver) {
      driver = plugin.open(this.host);
      this.opened.set(plugin, driver);
    }
    return driver;
  }

  /**
   * The API's dispatcher, or undefined when it configures no hooks. Throws a MiddlewareLoadError
   * naming the key when the driver is unknown or switched off (`driverUnavailable`) or the
   * middleware does not load: such an API fails closed (500 or refused), never proxied unchecked.
   */
  async create(spec: ApiSpec, generation: number): Promise<Dispatcher | undefined> {
    if (!hasHooks(spec)) return undefined;
    let driver: Driver;
    try {
      driver = this.driverFor(spec);
      driver.validate(spec);
    } catch (err) {
      throw new MiddlewareLoadError((err as Error).message, true, err);
    }
    try {
      return await driver.create(spec, generation);
    } catch (err) {
      throw new MiddlewareLoadError((err as Error).message, false, err);
    }
  }

  /**
   * The API's JSVM for virtual endpoints: its hooks' isolate when its driver is a JSVM one
   * (`own: false`), else an isolate of its own, to be disposed with the API (`own: true`).
   * Undefined when the API needs none.
   */
  async apiJsvm(spec: ApiSpec, generation: number, hooks: Dispatcher | undefined): Promise<{ dispatcher: Dispatcher; own: boolean } | undefined> {
    if (!needsApiJsvm(spec)) return undefined;
    if (hooks && this.runsJsvm(spec.driver)) return { dispatcher: hooks, own: false };
    return { dispatcher: await createApiJsvm(spec, this.host, generation), own: true };
  }

  /** How the API's hooks become steps, where its driver differs from the coprocess default. */
  stepsFor(spec: ApiSpec): HookStepVariants | undefined {
    return hasHooks(spec) ? this.driverFor(spec).steps : undefined;
  }

  async close(): Promise<void> {
    await Promise.all([...this.opened.values()].map((d) => d.close?.()));
    this.opened.clear();
  }
}
