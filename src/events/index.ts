/** The event system's public surface: the gateway imports from here only. */
export { EventBus } from './bus';
export type { ApiHandlerOptions, CompiledApiHandlers, EventBusOptions, EventBusStats, HandlerKindStats } from './bus';
export type { EventHandlerConfig, EventHandlersSection, EventInput, EventSink, GatewayEvent } from './event';
export { EventConfigError } from './config-error';
export { parseEventHandlers } from './compile';
export type { DispatcherSource, HandlerKind } from './handler';
export { DefaultEventMessages, EventNames } from './names';
export type { BuiltinEventName, KeyFailureEventName, TokenEventName } from './names';
export {
  encodeOriginatingRequest,
  keyFailureEvent,
  keyFailureMeta,
  middlewareErrorEvent,
  middlewareErrorMeta,
  tokenEvent,
  triggerEvent,
  triggerMeta,
} from './meta';
export type { ApiRef, KeyFailureFields, KeyFailureMeta, MiddlewareErrorMeta, RequestHead, TokenMeta } from './meta';
export { goTimeString } from './go-time';
export { coprocessEventPayload } from './handlers/coprocess-handler';
export { renderWebhookBody } from './handlers/webhook-handler';
