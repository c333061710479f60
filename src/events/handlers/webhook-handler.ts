import { createHash } from 'node:crypto';
import type { Logger } from '../../log/logger';
import type { GatewayEvent } from '../event';
import type { DeliveryOutcome, EventHandler, HandlerFactory, HandlerScope } from '../handler';
import type { WebhookDedup } from './webhook-dedup';
import type { WebhookTransport } from './webhook-transport';

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'PATCH']);

export interface WebhookHandlerConfig {
  method: string;
  /** Tyk's config spelling is kept in messages; this is the parsed `target_path`. */
  url: URL;
  headers: Record<string, string>;
  /** De-duplication window; 0 sends every event. */
  eventTimeoutMs: number;
  /** Set when `method` was not one of Tyk's five and fell back to GET, to warn once at load. */
  methodFallbackFrom?: string;
  templatePath?: string;
}

function metaText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * The body of Tyk's default webhook template (`templates/default_webhook.json`), as real JSON:
 * Tyk's template interpolates into quotes without JSON escaping, which a message containing a
 * quote would break. A TykTriggerEvent payload is meta `{Message}`, so it lands in `message`.
 */
export function renderWebhookBody(event: GatewayEvent): string {
  const { meta } = event;
  return JSON.stringify({
    event: event.type,
    message: metaText(meta.Message),
    path: metaText(meta.Path),
    origin: metaText(meta.Origin),
    key: metaText(meta.Key),
  });
}

/**
 * Where failures are reported: origin and path only. Query strings and user-info often carry
 * receiver tokens, which do not belong in logs.
 */
function describeTarget(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Header names are case-insensitive; a header_map entry must replace our default, not add a twin. */
function buildHeaders(headerMap: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = { 'User-Agent': 'Tyk-Hookshot' };
  const lowerToName = new Map<string, string>([['user-agent', 'User-Agent']]);
  for (const [name, value] of Object.entries(headerMap)) {
    const existing = lowerToName.get(name.toLowerCase());
    if (existing !== undefined) delete headers[existing];
    headers[name] = value;
    lowerToName.set(name.toLowerCase(), name);
  }
  if (!lowerToName.has('content-type')) headers['Content-Type'] = 'application/json';
  return headers;
}

/** `eh_web_hook_handler`: renders, de-duplicates within `event_timeout`, sends with retries. */
export class WebhookEventHandler implements EventHandler {
  readonly kind = 'eh_web_hook_handler' as const;
  readonly target: string;
  private readonly headers: Record<string, string>;
  private readonly href: string;

  constructor(
    private readonly config: WebhookHandlerConfig,
    private readonly dedup: WebhookDedup,
    private readonly transport: WebhookTransport,
  ) {
    this.target = `${config.method} ${describeTarget(config.url)}`;
    this.headers = buildHeaders(config.headers);
    this.href = config.url.href;
  }

  async handle(event: GatewayEvent, signal: AbortSignal): Promise<DeliveryOutcome> {
    const body = renderWebhookBody(event);
    const { eventTimeoutMs } = this.config;
    // Same inputs as Tyk's checksum (method, URL, body; not the custom headers), so two handlers
    // posting the same thing to the same receiver also share one window, as they do in Tyk.
    const checksum =
      eventTimeoutMs > 0
        ? createHash('md5').update(`${this.config.method}\n${this.href}\n${body}`).digest('hex')
        : undefined;
    if (checksum !== undefined && !this.dedup.claim(checksum, eventTimeoutMs)) return 'deduplicated';
    try {
      await this.transport.send({ method: this.config.method, url: this.config.url, headers: this.headers, body }, signal);
    } catch (err) {
      if (checksum !== undefined) this.dedup.release(checksum);
      throw err;
    }
    return 'delivered';
  }
}

export const webhookHandlerFactory: HandlerFactory<WebhookHandlerConfig> = {
  kind: 'eh_web_hook_handler',
  apiOnly: false,
  parse(meta) {
    const rawMethod = meta.string('method') ?? 'GET';
    const method = rawMethod.toUpperCase();
    const target = meta.requiredString('target_path');
    let url: URL | undefined;
    try {
      url = new URL(target);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
      throw meta.error('target_path', 'must be an absolute http(s) URL');
    }
    const seconds = meta.nonNegativeNumber('event_timeout') ?? 0;
    return {
      method: METHODS.has(method) ? method : 'GET',
      methodFallbackFrom: METHODS.has(method) ? undefined : rawMethod,
      url,
      headers: meta.headerMap('header_map'),
      eventTimeoutMs: seconds * 1000,
      templatePath: meta.string('template_path'),
    };
  },
  create(config, deps) {
    warnAboutFallbacks(config, deps.logger, deps.scope);
    return new WebhookEventHandler(config, deps.dedup, deps.transport);
  },
};

/** Tyk accepts these and falls back with a warning; so do we, rather than reject the API. */
function warnAboutFallbacks(config: WebhookHandlerConfig, logger: Logger, scope: HandlerScope): void {
  const target = describeTarget(config.url);
  const apiId = scope.apiId;
  if (config.methodFallbackFrom !== undefined) {
    logger.warn({ api_id: apiId, target, method: config.methodFallbackFrom }, 'webhook method must be GET, PUT, POST, DELETE or PATCH; using GET');
  }
  if (config.templatePath !== undefined && config.templatePath !== '') {
    logger.warn(
      { api_id: apiId, target, template_path: config.templatePath },
      'webhook template_path is not supported (Go templates); sending the default JSON body',
    );
  }
}
