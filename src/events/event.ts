/** A gateway event as Tyk fires it: `Type`, event-specific `Meta`, and the API it belongs to. */
export interface GatewayEvent {
  type: string;
  meta: Record<string, unknown>;
  /** Absent for system (gateway-level) events such as key API events. */
  apiId?: string;
  orgId?: string;
  timestamp: Date;
}

/** The handler config shape shared by API definitions and the gateway config. */
export interface EventHandlerConfig {
  handler_name: string;
  handler_meta?: Record<string, unknown>;
}

export interface EventHandlersSection {
  events?: Record<string, EventHandlerConfig[]>;
}

/** What the rest of the gateway sees of the event system: fire and forget, never blocks. */
export interface EventSink {
  fire(event: Omit<GatewayEvent, 'timestamp'> & { timestamp?: Date }): void;
}

/** What `EventSink.fire` takes: the timestamp defaults to the moment of firing. */
export type EventInput = Omit<GatewayEvent, 'timestamp'> & { timestamp?: Date };
