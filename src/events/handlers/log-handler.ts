import type { Logger } from '../../log/logger';
import type { GatewayEvent } from '../event';
import type { DeliveryOutcome, EventHandler, HandlerFactory } from '../handler';

export interface LogHandlerConfig {
  prefix: string;
}

/** Tyk's obfuscation: an API key in a log line would be a credential leak to anyone reading logs. */
export function obfuscateKey(key: string): string {
  return key.length > 4 ? `****${key.slice(-4)}` : '--';
}

/**
 * The meta as it goes into the log line. OriginatingRequest is dropped: it is a base64 copy of
 * the whole request (headers, credentials) and would bloat and leak through every line.
 */
function loggableMeta(meta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(meta)) {
    if (name === 'OriginatingRequest') continue;
    out[name] = (name === 'Key' || name === 'key') && typeof value === 'string' ? obfuscateKey(value) : value;
  }
  return out;
}

/** `eh_log_handler`: a warning `<prefix>:<EventType>`, as Tyk logs it, with the meta as fields. */
export class LogEventHandler implements EventHandler {
  readonly kind = 'eh_log_handler' as const;
  readonly target: string;

  constructor(
    private readonly config: LogHandlerConfig,
    private readonly logger: Logger,
  ) {
    this.target = `log:${config.prefix}`;
  }

  handle(event: GatewayEvent): DeliveryOutcome {
    // Meta sits under its own key: event-specific names (e.g. TriggerExceeded's snake_case
    // fields) must not collide with pino's own `msg`/`level`/`time`.
    this.logger.warn(
      { event_type: event.type, api_id: event.apiId, org_id: event.orgId, meta: loggableMeta(event.meta) },
      `${this.config.prefix}:${event.type}`,
    );
    return 'delivered';
  }
}

export const logHandlerFactory: HandlerFactory<LogHandlerConfig> = {
  kind: 'eh_log_handler',
  apiOnly: false,
  parse: (meta) => ({ prefix: meta.string('prefix') ?? '' }),
  create: (config, deps) => new LogEventHandler(config, deps.logger),
};
