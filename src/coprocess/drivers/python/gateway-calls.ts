import type { EventSink } from '../../../events/event';
import type { Logger } from '../../../log/logger';
import type { PluginDataStore } from '../../../storage/plugin-data-store';
import { Budget } from './budget';

/**
 * What one API's plugin may ask of the gateway through its host's channel (the `gateway`
 * module: log, trigger_event, store_data, get_data), with the budgets the gateway enforces
 * whatever the plugin does. Shared by every process the API's dispatcher starts, so a restart
 * does not refill a budget. The host checks the same limits first (host/_isogate_host/runtime.py)
 * so a well-behaved plugin gets a ValueError at the line at fault; these checks are the ones
 * that hold.
 */

/** The per-message cap of isolate logs (sandbox/globals/format.ts). */
export const MAX_LOG_MESSAGE = 16 * 1024;
/** Tyk's JavaScript store limits, applied to the Python store as well. */
export const MAX_KEY_BYTES = 256;
export const MAX_VALUE_BYTES = 64 * 1024;
export const MAX_EVENT_NAME = 256;
export const MAX_EVENT_PAYLOAD = 64 * 1024;
/** Store calls of one API waiting for the store at once; more are refused. */
export const MAX_PENDING_CALLS = 32;
/** How often an API whose output was dropped gets one warning with the count. */
const DROP_REPORT_MS = 10_000;

export interface GatewayCallsOptions {
  apiId: string;
  orgId: string;
  logger: Logger;
  events: EventSink;
  data: PluginDataStore;
  logLinesPerS: number;
  eventsPerS: number;
  storeCallsPerS: number;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: ReadonlySet<string> = new Set<Level>(['debug', 'info', 'warn', 'error']);
// Event names reach log lines, webhook bodies and handler tables: printable text only.
const EVENT_NAME = /^[^\x00-\x1f\x7f]+$/;

export type Reply = (message: Record<string, unknown>) => void;

function clip(text: string): string {
  return text.length > MAX_LOG_MESSAGE ? `${text.slice(0, MAX_LOG_MESSAGE)}… (${text.length - MAX_LOG_MESSAGE} more characters)` : text;
}

export class GatewayCalls {
  private readonly logs: Budget;
  private readonly eventBudget: Budget;
  private readonly storeBudget: Budget;
  private pending = 0;
  /** Lines the host dropped on its side (it reports them), plus what the gateway dropped here. */
  private hostDroppedLogs = 0;
  private reportedAt = 0;
  readonly counts = { logs: 0, events: 0, stores: 0, gets: 0, refused: 0 };

  constructor(private readonly options: GatewayCallsOptions) {
    this.logs = new Budget(options.logLinesPerS);
    this.eventBudget = new Budget(options.eventsPerS);
    this.storeBudget = new Budget(options.storeCallsPerS);
  }

  /** A plugin log line (tyk.log, print, a traceback), under the API's line budget. */
  log(level: unknown, message: unknown, source = 'middleware'): void {
    if (!this.logs.take()) return this.reportDrops();
    const lvl = typeof level === 'string' && LEVELS.has(level) ? (level as Level) : 'info';
    this.counts.logs++;
    this.options.logger[lvl]({ source }, clip(String(message)));
  }

  stats(): Record<string, number> {
    return { ...this.counts, logsDropped: this.logs.dropped + this.hostDroppedLogs, eventsDropped: this.eventBudget.dropped, storeRefused: this.storeBudget.dropped };
  }

  /** One message from the host that is not part of start-up; `reply` answers calls that carry an id. */
  handle(message: Record<string, unknown>, reply: Reply): void {
    switch (message.t) {
      case 'log':
        return this.log(message.level, message.msg);
      case 'dropped':
        if (typeof message.count === 'number' && Number.isFinite(message.count) && message.count > 0) this.hostDroppedLogs += Math.floor(message.count);
        return this.reportDrops();
      case 'event':
        return this.event(message.name, message.payload);
      case 'store':
      case 'get':
        return void this.storeCall(message, reply);
      default:
        this.options.logger.warn({ type: String(message.t).slice(0, 32) }, 'the Python plugin host sent an unknown message; ignored');
    }
  }

  private reportDrops(): void {
    const now = Date.now();
    if (now - this.reportedAt < DROP_REPORT_MS) return;
    this.reportedAt = now;
    const dropped = this.logs.dropped + this.hostDroppedLogs;
    if (dropped > 0) this.options.logger.warn({ dropped }, `the plugin's log output is over ${this.options.logLinesPerS} lines/s: ${dropped} lines dropped so far`);
  }

  /** tyk.trigger_event: a gateway event with meta {Message: payload}, as isolates' TykTriggerEvent. */
  private event(name: unknown, payload: unknown): void {
    if (typeof name !== 'string' || name.length > MAX_EVENT_NAME || !EVENT_NAME.test(name) || typeof payload !== 'string' || Buffer.byteLength(payload) > MAX_EVENT_PAYLOAD) {
      this.counts.refused++;
      this.log('warn', 'trigger_event refused: the name must be 1-256 printable characters and the payload text of at most 64 KiB', 'gateway');
      return;
    }
    if (!this.eventBudget.take()) return;
    this.counts.events++;
    const { apiId, orgId } = this.options;
    try {
      this.options.events.fire({ type: name, apiId, orgId, meta: { Message: payload } });
    } catch (err) {
      this.options.logger.error({ err }, 'trigger_event: firing the event failed');
    }
  }

  private async storeCall(message: Record<string, unknown>, reply: Reply): Promise<void> {
    const id = message.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
      this.counts.refused++;
      return;
    }
    const fail = (error: string): void => {
      this.counts.refused++;
      reply({ id, error });
    };
    const { key } = message;
    if (typeof key !== 'string' || key === '' || Buffer.byteLength(key) > MAX_KEY_BYTES) return fail(`key must be 1 to ${MAX_KEY_BYTES} bytes of text`);
    if (this.pending >= MAX_PENDING_CALLS) return fail(`more than ${MAX_PENDING_CALLS} store calls at once`);
    if (!this.storeBudget.take()) return fail(`over ${this.options.storeCallsPerS} store calls per second`);
    const { orgId, data } = this.options;
    this.pending++;
    try {
      if (message.t === 'get') {
        this.counts.gets++;
        reply({ id, value: (await data.get(orgId, key)) ?? '' });
        return;
      }
      const { value, ttl } = message;
      if (typeof value !== 'string' || Buffer.byteLength(value) > MAX_VALUE_BYTES) return fail(`value must be text of at most ${MAX_VALUE_BYTES} bytes`);
      if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl < 0) return fail('ttl must be a whole number of seconds >= 0');
      this.counts.stores++;
      await data.set(orgId, key, value, ttl);
      reply({ id, ok: true });
    } catch (err) {
      fail(`the gateway store failed: ${(err as Error).message}`);
    } finally {
      this.pending--;
    }
  }
}
