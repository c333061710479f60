import { setMaxListeners } from 'node:events';
import { logger as processLogger, type Logger } from '../log/logger';
import { buildHandlerTable, parseEventHandlers } from './compile';
import { DropReporter, type DropReason } from './drop-reporter';
import type { EventHandlersSection, EventInput, EventSink, GatewayEvent } from './event';
import { HANDLER_KINDS, type DispatcherSource, type EventHandler, type HandlerKind, type HandlerScope } from './handler';
import { WebhookDedup } from './handlers/webhook-dedup';
import { DEFAULT_WEBHOOK_TRANSPORT, WebhookTransport, type WebhookTransportOptions } from './handlers/webhook-transport';
import { Lane } from './lane';
import { numericOption } from '../util/numbers';

export interface EventBusOptions {
  /** Defaults to the process logger with `component: "events"`; tests inject their own stream. */
  logger?: Logger;
  /** The gateway config's `event_handlers` (system-level handlers). */
  gatewayHandlers?: EventHandlersSection;
  /** Deliveries (event × handler) waiting across all handlers. Default 10 000. */
  queueSize?: number;
  /** Deliveries waiting for one handler, so one dead receiver cannot take the whole queue. Default 1 000. */
  handlerQueueSize?: number;
  /** Deliveries running at once across all handlers. Default 64. */
  concurrency?: number;
  /** Deliveries running at once for one handler. Default 8. */
  handlerConcurrency?: number;
  webhook?: Partial<WebhookTransportOptions>;
  /** Webhook de-duplication entries kept in memory. Default 10 000. */
  dedupMaxEntries?: number;
  /** At most one "dropped" warning (with the count) per interval. Default 1 000 ms. */
  dropLogIntervalMs?: number;
}

export interface ApiHandlerOptions {
  /** Required when the section uses cp_dynamic_handler. */
  dispatcher?: DispatcherSource;
  /** Required when the section uses eh_dynamic_handler. */
  jsvm?: DispatcherSource;
}

export interface HandlerKindStats {
  /** Accepted into the queue. */
  queued: number;
  delivered: number;
  /** Webhooks suppressed within their `event_timeout`. */
  deduplicated: number;
  failed: number;
  /** Never attempted: queue full, or fired after stop. */
  dropped: number;
}

export interface EventBusStats {
  /** `fire()` calls, whether or not any handler wanted the event. */
  fired: number;
  pending: number;
  inFlight: number;
  dropped: number;
  handlers: Record<HandlerKind, HandlerKindStats>;
}

interface ApiEntry {
  orgId?: string;
  lanes: Map<string, Lane[]>;
}

/** One API's handlers, validated and built but not yet receiving events. */
export interface CompiledApiHandlers {
  readonly apiId: string;
  readonly orgId: string | undefined;
  /** @internal */
  readonly lanes: Map<string, Lane[]>;
}

/** Deliveries started per event-loop turn, so draining a full queue never starves requests. */
const DELIVERIES_PER_TURN = 256;
/** Failures of one handler are logged at most this often; the line carries the skipped count. */
const FAILURE_LOG_INTERVAL_MS = 1_000;

const positive = (value: number | undefined, fallback: number, name: string): number =>
  numericOption('EventBus option', name, value, fallback, { min: 1, integer: true });

function toLanes(table: Map<string, EventHandler[]>): Map<string, Lane[]> {
  const lanes = new Map<string, Lane[]>();
  for (const [type, handlers] of table) lanes.set(type, handlers.map((h) => new Lane(h)));
  return lanes;
}

/**
 * The event system. `fire()` only copies the event into per-handler lanes (bounded) and returns;
 * deliveries start on a later event-loop turn with bounded concurrency, so a slow or dead handler
 * never adds latency to the request that fired the event.
 */
export class EventBus implements EventSink {
  private readonly logger: Logger;
  private readonly queueSize: number;
  private readonly handlerQueueSize: number;
  private readonly concurrency: number;
  private readonly handlerConcurrency: number;
  private readonly dedup: WebhookDedup;
  private readonly transport: WebhookTransport;
  private readonly drops: DropReporter;
  private readonly abort = new AbortController();

  private gatewayLanes = new Map<string, Lane[]>();
  private readonly apis = new Map<string, ApiEntry>();

  /** Lanes with queued events and a free slot: the round-robin order of the pump. */
  private readonly ready = new Set<Lane>();
  /** Lanes with queued events, including saturated ones: what a timed-out stop discards. */
  private readonly withWork = new Set<Lane>();
  private pending = 0;
  private inFlight = 0;
  private fired = 0;
  private readonly kindStats: Record<HandlerKind, HandlerKindStats>;
  private pumpScheduled = false;
  private turnBudget = DELIVERIES_PER_TURN;
  private readonly failureLogs = new WeakMap<Lane, { lastAt: number; skipped: number }>();

  private state: 'running' | 'stopping' | 'stopped' = 'running';
  private stopPromise: Promise<void> | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(options: EventBusOptions = {}) {
    this.logger = options.logger ?? processLogger.child({ component: 'events' });
    this.queueSize = positive(options.queueSize, 10_000, 'queueSize');
    this.handlerQueueSize = positive(options.handlerQueueSize, 1_000, 'handlerQueueSize');
    this.concurrency = positive(options.concurrency, 64, 'concurrency');
    this.handlerConcurrency = positive(options.handlerConcurrency, 8, 'handlerConcurrency');
    this.dedup = new WebhookDedup(positive(options.dedupMaxEntries, 10_000, 'dedupMaxEntries'));
    this.transport = new WebhookTransport({ ...DEFAULT_WEBHOOK_TRANSPORT, ...options.webhook });
    // Every running webhook attempt listens on this signal; they are capped by `concurrency`,
    // so Node's default warning at 11 listeners would only be noise.
    setMaxListeners(0, this.abort.signal);
    this.drops = new DropReporter(this.logger, options.dropLogIntervalMs ?? 1_000);
    this.kindStats = Object.fromEntries(
      HANDLER_KINDS.map((kind) => [kind, { queued: 0, delivered: 0, deduplicated: 0, failed: 0, dropped: 0 }]),
    ) as Record<HandlerKind, HandlerKindStats>;
    if (options.gatewayHandlers !== undefined) this.setGatewayHandlers(options.gatewayHandlers);
  }

  /** Compiles the gateway config's section; throws EventConfigError and keeps the old one on error. */
  setGatewayHandlers(section: EventHandlersSection | undefined): void {
    this.gatewayLanes = this.compile(section, {}, undefined);
  }

  /**
   * Compiles one API's section at load/reload and installs it, replacing the previous one.
   * Throws EventConfigError (API id + key) and keeps the previous handlers when it is invalid.
   * Events already queued for the old handlers are still delivered by them.
   */
  setApiHandlers(
    apiId: string,
    orgId: string | undefined,
    section: EventHandlersSection | undefined,
    options: ApiHandlerOptions = {},
  ): void {
    this.installApiHandlers(this.compileApiHandlers(apiId, orgId, section, options));
  }

  /**
   * The validating half of setApiHandlers, for a reload that builds a whole new API version
   * first and swaps it in only if everything else about it also compiled.
   */
  compileApiHandlers(
    apiId: string,
    orgId: string | undefined,
    section: EventHandlersSection | undefined,
    options: ApiHandlerOptions = {},
  ): CompiledApiHandlers {
    return { apiId, orgId, lanes: this.compile(section, { apiId, orgId }, options.dispatcher, options.jsvm) };
  }

  /** The swapping half: cannot fail, so it can run inside the gateway's atomic swap. */
  installApiHandlers(compiled: CompiledApiHandlers): void {
    this.apis.set(compiled.apiId, { orgId: compiled.orgId, lanes: compiled.lanes });
  }

  removeApi(apiId: string): void {
    this.apis.delete(apiId);
  }

  /** True if firing `type` (for `apiId`) would reach a handler; lets fire points skip costly meta. */
  wants(type: string, apiId?: string): boolean {
    if (this.gatewayLanes.has(type)) return true;
    return apiId !== undefined && this.apis.get(apiId)?.lanes.has(type) === true;
  }

  fire(input: EventInput): void {
    try {
      this.fired++;
      const api = input.apiId === undefined ? undefined : this.apis.get(input.apiId);
      const apiLanes = api?.lanes.get(input.type);
      const gatewayLanes = this.gatewayLanes.get(input.type);
      if (apiLanes === undefined && gatewayLanes === undefined) return;
      const event: GatewayEvent = {
        type: input.type,
        // A copy: callers may reuse or mutate their meta object after firing.
        meta: { ...input.meta },
        apiId: input.apiId,
        orgId: input.orgId ?? api?.orgId,
        timestamp: input.timestamp ?? new Date(),
      };
      if (apiLanes !== undefined) for (const lane of apiLanes) this.enqueue(lane, event);
      if (gatewayLanes !== undefined) for (const lane of gatewayLanes) this.enqueue(lane, event);
    } catch (err) {
      // fire() runs on the request path: a fault here may cost an event, never a request.
      try {
        this.logger.error({ err, event_type: input?.type }, 'event could not be queued');
      } catch {
        // Nothing left to report with.
      }
    }
  }

  stats(): EventBusStats {
    const handlers = {} as Record<HandlerKind, HandlerKindStats>;
    let dropped = 0;
    for (const kind of HANDLER_KINDS) {
      handlers[kind] = { ...this.kindStats[kind] };
      dropped += this.kindStats[kind].dropped;
    }
    return { fired: this.fired, pending: this.pending, inFlight: this.inFlight, dropped, handlers };
  }

  /**
   * Delivers everything queued, including events fired while stopping, then resolves. After
   * `timeoutMs` the rest is dropped (and logged) and running deliveries are aborted. Events fired
   * after stop are dropped and logged. Idempotent.
   */
  stop(timeoutMs = 5_000): Promise<void> {
    this.stopPromise ??= this.shutdown(timeoutMs);
    return this.stopPromise;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.state = 'stopping';
    const deadline = Date.now() + timeoutMs;
    // Re-checked after every wake-up: promise continuations that ran in between may have fired
    // more events, and those are still owed a delivery.
    let drained = this.pending === 0 && this.inFlight === 0;
    while (!drained && Date.now() < deadline) {
      await this.waitIdle(deadline - Date.now());
      drained = this.pending === 0 && this.inFlight === 0;
    }
    this.state = 'stopped';
    if (!drained) {
      for (const lane of this.withWork) {
        const discarded = lane.clear();
        this.pending -= discarded;
        this.noteDrop(lane, 'shutdown_timeout', discarded);
      }
      this.withWork.clear();
      this.ready.clear();
      this.logger.warn(
        { timeout_ms: timeoutMs, in_flight: this.inFlight },
        'event bus stop timed out; undelivered events dropped, running deliveries aborted',
      );
      this.abort.abort();
    }
    this.transport.close();
    this.dedup.clear();
    this.drops.flush();
  }

  /** Resolves when the bus goes idle or after `timeoutMs`, whichever comes first. */
  private waitIdle(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const onIdle = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== onIdle);
        resolve();
      }, timeoutMs);
      this.idleWaiters.push(onIdle);
    });
  }

  private compile(
    section: EventHandlersSection | undefined,
    scope: HandlerScope,
    dispatcher: DispatcherSource | undefined,
    jsvm?: DispatcherSource,
  ): Map<string, Lane[]> {
    const isApi = scope.apiId !== undefined;
    const parsed = parseEventHandlers(section, scope, isApi ? { hasDispatcher: dispatcher !== undefined, hasJsvm: jsvm !== undefined } : {});
    const table = buildHandlerTable(parsed, {
      logger: this.logger,
      scope,
      dedup: this.dedup,
      transport: this.transport,
      dispatcher,
      jsvm,
    });
    return toLanes(table);
  }

  private enqueue(lane: Lane, event: GatewayEvent): void {
    if (this.state === 'stopped') return this.noteDrop(lane, 'stopped', 1);
    if (this.pending >= this.queueSize) return this.noteDrop(lane, 'queue_full', 1);
    if (lane.size >= this.handlerQueueSize) return this.noteDrop(lane, 'handler_queue_full', 1);
    lane.push(event);
    this.pending++;
    this.kindStats[lane.handler.kind].queued++;
    this.withWork.add(lane);
    if (lane.inFlight < this.handlerConcurrency) this.ready.add(lane);
    this.schedulePump();
  }

  private noteDrop(lane: Lane, reason: DropReason, count: number): void {
    if (count === 0) return;
    this.kindStats[lane.handler.kind].dropped += count;
    this.drops.note(lane.handler.kind, reason, count);
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // setImmediate, not a microtask: deliveries must start after the firing request's own work.
    setImmediate(() => {
      this.pumpScheduled = false;
      this.turnBudget = DELIVERIES_PER_TURN;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.ready.size > 0) {
      if (this.turnBudget <= 0) return this.schedulePump();
      const lane = this.ready.values().next().value as Lane;
      this.ready.delete(lane);
      const event = lane.shift();
      if (event === undefined) continue;
      if (lane.size === 0) this.withWork.delete(lane);
      this.pending--;
      this.inFlight++;
      lane.inFlight++;
      this.turnBudget--;
      // Re-adding at the end gives the other lanes their turn first.
      if (lane.size > 0 && lane.inFlight < this.handlerConcurrency) this.ready.add(lane);
      void this.deliver(lane, event);
    }
  }

  private async deliver(lane: Lane, event: GatewayEvent): Promise<void> {
    const { handler } = lane;
    const stats = this.kindStats[handler.kind];
    try {
      const outcome = await handler.handle(event, this.abort.signal);
      if (outcome === 'deduplicated') stats.deduplicated++;
      else stats.delivered++;
    } catch (err) {
      stats.failed++;
      this.logFailure(lane, event, err);
    } finally {
      lane.inFlight--;
      this.inFlight--;
      if (lane.size > 0 && lane.inFlight < this.handlerConcurrency) this.ready.add(lane);
      this.pump();
      if (this.pending === 0 && this.inFlight === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    }
  }

  private logFailure(lane: Lane, event: GatewayEvent, err: unknown): void {
    const now = Date.now();
    const log = this.failureLogs.get(lane) ?? { lastAt: -Infinity, skipped: 0 };
    this.failureLogs.set(lane, log);
    if (now - log.lastAt < FAILURE_LOG_INTERVAL_MS) {
      log.skipped++;
      return;
    }
    this.logger.error(
      {
        handler: lane.handler.kind,
        target: lane.handler.target,
        event_type: event.type,
        api_id: event.apiId,
        error: err instanceof Error ? err.message : String(err),
        similar_failures_not_logged: log.skipped,
      },
      `event handler ${lane.handler.kind} failed for ${lane.handler.target}`,
    );
    log.lastAt = now;
    log.skipped = 0;
  }
}
