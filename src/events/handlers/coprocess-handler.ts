import type { GatewayEvent } from '../event';
import { goTimeString } from '../go-time';
import type { DeliveryOutcome, DispatcherSource, EventDispatcher, EventHandler, HandlerFactory, HandlerScope } from '../handler';

export interface CoprocessHandlerConfig {
  /** The plugin function that receives the event (`handler_meta.name`). */
  name: string;
}

/**
 * Tyk's DispatchEvent payload, key order included, so plugin code written against Tyk's JSON
 * (string-compared in some plugins' tests) sees the same bytes.
 */
export function coprocessEventPayload(event: GatewayEvent, handlerName: string, scope: HandlerScope): string {
  return JSON.stringify({
    message: { Type: event.type, Meta: event.meta, TimeStamp: goTimeString(event.timestamp) },
    handler_name: handlerName,
    spec: { APIID: scope.apiId ?? event.apiId ?? '', OrgID: scope.orgId ?? event.orgId ?? '' },
  });
}

/** `cp_dynamic_handler`: hands the event to the API's plugin driver (isolate, JSVM or gRPC). */
export class CoprocessEventHandler implements EventHandler {
  readonly kind = 'cp_dynamic_handler' as const;
  readonly target: string;

  constructor(
    private readonly config: CoprocessHandlerConfig,
    private readonly scope: HandlerScope,
    private readonly dispatcher: DispatcherSource,
  ) {
    this.target = `${scope.apiId ?? ''}:${config.name}`;
  }

  async handle(event: GatewayEvent): Promise<DeliveryOutcome> {
    const dispatcher: EventDispatcher | undefined =
      typeof this.dispatcher === 'function' ? this.dispatcher() : this.dispatcher;
    if (dispatcher === undefined) throw new Error('the API has no plugin driver loaded');
    await dispatcher.dispatchEvent(coprocessEventPayload(event, this.config.name, this.scope));
    return 'delivered';
  }
}

export const coprocessHandlerFactory: HandlerFactory<CoprocessHandlerConfig> = {
  kind: 'cp_dynamic_handler',
  apiOnly: true,
  parse: (meta) => ({ name: meta.requiredString('name') }),
  // The compiler refuses a cp_dynamic_handler without a dispatcher; the fallback only keeps the
  // type honest and reports "no plugin driver" at delivery if that ever changes.
  create: (config, deps) => new CoprocessEventHandler(config, deps.scope, deps.dispatcher ?? (() => undefined)),
};
