import type { Logger } from '../log/logger';
import type { GatewayEvent } from './event';
import type { MetaReader } from './meta-reader';
import type { WebhookDedup } from './handlers/webhook-dedup';
import type { WebhookTransport } from './handlers/webhook-transport';

/** Tyk's `handler_name` values that isogate implements. */
export type HandlerKind = 'eh_log_handler' | 'eh_web_hook_handler' | 'cp_dynamic_handler' | 'eh_dynamic_handler';

export const HANDLER_KINDS: readonly HandlerKind[] = ['eh_log_handler', 'eh_web_hook_handler', 'cp_dynamic_handler', 'eh_dynamic_handler'];

/** `deduplicated`: a webhook suppressed inside its `event_timeout` window; not a failure. */
export type DeliveryOutcome = 'delivered' | 'deduplicated';

/** One compiled handler entry. `handle` rejects on failure; the bus counts and logs it. */
export interface EventHandler {
  readonly kind: HandlerKind;
  /** Names the handler in logs (prefix, target, plugin function): where a failure went. */
  readonly target: string;
  handle(event: GatewayEvent, signal: AbortSignal): Promise<DeliveryOutcome> | DeliveryOutcome;
}

/** Where a handler section belongs: an API (with its org) or the gateway config (no apiId). */
export interface HandlerScope {
  apiId?: string;
  orgId?: string;
}

/** The part of a plugin driver's Dispatcher that events need (Tyk's DispatchEvent). */
export interface EventDispatcher {
  dispatchEvent(payload: string): Promise<void>;
}

/** The API's current dispatcher; a function so a driver swap needs no recompilation. */
export type DispatcherSource = EventDispatcher | (() => EventDispatcher | undefined);

/** What handlers get from the bus: shared resources live once per bus, not per handler. */
export interface HandlerDeps {
  logger: Logger;
  scope: HandlerScope;
  dedup: WebhookDedup;
  transport: WebhookTransport;
  dispatcher?: DispatcherSource;
  /** The API's JSVM (eh_dynamic_handler): its hooks' isolate for JSVM drivers, else one of its own. */
  jsvm?: DispatcherSource;
}

/**
 * Parses and validates `handler_meta` at load time (pure, throws EventConfigError), then builds
 * the handler from the parsed config. Split so config can be checked without a running bus.
 */
export interface HandlerFactory<Config> {
  readonly kind: HandlerKind;
  /** cp_dynamic_handler needs an API's plugin driver, so Tyk rejects it in the gateway config. */
  readonly apiOnly: boolean;
  /** What an API must have for it: its plugin driver (default) or its JSVM. */
  readonly needs?: 'dispatcher' | 'jsvm';
  parse(meta: MetaReader): Config;
  create(config: Config, deps: HandlerDeps): EventHandler;
}
