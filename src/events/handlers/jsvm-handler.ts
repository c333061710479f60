import type { GatewayEvent } from '../event';
import type { DeliveryOutcome, DispatcherSource, EventDispatcher, EventHandler, HandlerFactory, HandlerScope } from '../handler';
import { coprocessEventPayload } from './coprocess-handler';

/** A JS identifier: the handler object's global name. */
const JS_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export interface JsvmHandlerConfig {
  /** The global handler object (`handler_meta.name`), a TykJS.TykEventHandlers.NewEventHandler. */
  name: string;
}

/**
 * `eh_dynamic_handler`: Tyk's JSVM event handler, `<name>.DoProcessEvent(event, {APIID, OrgID})`
 * in the API's JSVM, whatever the API's plugin driver. Its `handler_meta.path` file is loaded into
 * that JSVM when the API loads (src/config/jsvm-extras.ts).
 */
export class JsvmEventHandler implements EventHandler {
  readonly kind = 'eh_dynamic_handler' as const;
  readonly target: string;

  constructor(
    private readonly config: JsvmHandlerConfig,
    private readonly scope: HandlerScope,
    private readonly jsvm: DispatcherSource,
  ) {
    this.target = `${scope.apiId ?? ''}:${config.name}`;
  }

  async handle(event: GatewayEvent): Promise<DeliveryOutcome> {
    const jsvm: EventDispatcher | undefined = typeof this.jsvm === 'function' ? this.jsvm() : this.jsvm;
    if (jsvm === undefined) throw new Error('the API has no JSVM loaded');
    await jsvm.dispatchEvent(coprocessEventPayload(event, this.config.name, this.scope));
    return 'delivered';
  }
}

export const jsvmHandlerFactory: HandlerFactory<JsvmHandlerConfig> = {
  kind: 'eh_dynamic_handler',
  // Tyk also runs them from tyk.conf in a gateway-wide VM; isogate has JSVMs per API only.
  apiOnly: true,
  needs: 'jsvm',
  parse: (meta) => {
    const name = meta.requiredString('name');
    if (!JS_NAME.test(name)) throw meta.error('name', `${JSON.stringify(name)} is not a JavaScript name`);
    return { name };
  },
  create: (config, deps) => new JsvmEventHandler(config, deps.scope, deps.jsvm ?? (() => undefined)),
};
