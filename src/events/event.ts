import { type Static, Type } from '@sinclair/typebox';

/** A gateway event as Tyk fires it: `Type`, event-specific `Meta`, and the API it belongs to. */
export interface GatewayEvent {
  type: string;
  meta: Record<string, unknown>;
  /** Absent for system (gateway-level) events such as key API events. */
  apiId?: string;
  orgId?: string;
  timestamp: Date;
}

/** One handler entry, the same in API definitions and the gateway config. */
export const EventHandlerConfigSchema = Type.Object({
  handler_name: Type.String(),
  handler_meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type EventHandlerConfig = Static<typeof EventHandlerConfigSchema>;

/** `event_handlers`: `{ events: { <EventName>: [handler, ...] } }`. */
export const EventHandlersSectionSchema = Type.Object({
  events: Type.Optional(Type.Record(Type.String(), Type.Array(EventHandlerConfigSchema))),
});
export type EventHandlersSection = Static<typeof EventHandlersSectionSchema>;

/** What the rest of the gateway sees of the event system: fire and forget, never blocks. */
export interface EventSink {
  fire(event: Omit<GatewayEvent, 'timestamp'> & { timestamp?: Date }): void;
}

/** What `EventSink.fire` takes: the timestamp defaults to the moment of firing. */
export type EventInput = Omit<GatewayEvent, 'timestamp'> & { timestamp?: Date };
