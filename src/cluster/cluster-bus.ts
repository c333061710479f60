import type { Redis } from 'ioredis';
import { logger } from '../log/logger';
import { type RedisTarget, closeRedis, connectAtStartup } from '../storage/redis-connection';
import { Commands, NOTIFICATION_CHANNEL, RELOAD_COMMANDS, decodeNotification, encodeNotification, keysOfPayload } from './notification';

export interface ClusterHandlers {
  /** A reload command arrived (GroupReload, ApiUpdated, …); resolves when it is done. */
  reload(command: string): unknown;
  /** KeySpaceUpdateNotification: these stored keys changed on another node. */
  keysChanged(storedKeys: string[]): void;
  /** The subscription was down for a while: notifications sent meanwhile are lost. */
  resync(): void;
}

export interface ClusterBusOptions {
  /** Commands connection (shared with the session store): a subscribed connection can only listen. */
  publisher: Redis;
  /** A connection of its own, used only to listen on the channel. */
  subscriber: Redis;
  nodeSecret: string;
  allowInsecure: boolean;
  handlers: ClusterHandlers;
}

/** How long a message we published is remembered while its echo is awaited. */
const ECHO_WINDOW_MS = 60_000;

const log = logger.child({ component: 'cluster' });

/**
 * Tyk's cluster notifications over Redis pub/sub. Every sender has already done the local work
 * (evicted the key, started the reload) when it publishes, so a node skips its own messages when
 * they come back; Tyk's messages carry no sender id, so "own" means the exact text we published.
 */
export class ClusterBus {
  /** Text → copies published and not yet heard back: counted, since two nodes may send the same text. */
  private readonly awaitingEcho = new Map<string, { count: number; at: number }>();
  private subscribed = false;
  private interrupted = false;
  private closed = false;

  constructor(private readonly options: ClusterBusOptions) {}

  /** Connect the subscriber and join the channel; a failure is a startup error naming storage.*. */
  async start(target: RedisTarget): Promise<void> {
    const { subscriber } = this.options;
    subscriber.on('message', (channel: string, text: string) => this.onMessage(channel, text));
    subscriber.on('close', () => {
      if (this.subscribed && !this.closed) this.interrupted = true;
    });
    // ioredis re-subscribes by itself after a reconnect; only the gap needs handling here.
    subscriber.on('ready', () => {
      if (!this.interrupted || this.closed) return;
      this.interrupted = false;
      log.info('cluster notifications resumed; re-reading state that may have changed meanwhile');
      this.options.handlers.resync();
    });
    await connectAtStartup(subscriber, target);
    await subscriber.subscribe(NOTIFICATION_CHANNEL);
    this.subscribed = true;
    log.info({ channel: NOTIFICATION_CHANNEL }, 'listening for cluster notifications');
  }

  /** Sign and publish; rejects when Redis cannot take it (callers decide whether that matters). */
  async publish(command: string, payload: string): Promise<void> {
    const text = encodeNotification(command, payload, this.options.nodeSecret);
    this.expectEcho(text);
    try {
      await this.options.publisher.publish(NOTIFICATION_CHANNEL, text);
    } catch (err) {
      this.takeEcho(text);
      throw err;
    }
  }

  /** Tell the other nodes to drop a key from their caches; a failure only delays them (auth LRU TTL). */
  notifyKeyChanged(storedKey: string): void {
    this.publish(Commands.keySpaceUpdate, storedKey).catch((err: Error) =>
      log.warn({ err: err.message }, 'could not publish KeySpaceUpdateNotification; other nodes see the change when their cached copy expires'),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await closeRedis(this.options.subscriber);
  }

  private onMessage(channel: string, text: string): void {
    if (channel !== NOTIFICATION_CHANNEL || this.closed) return;
    if (this.takeEcho(text)) return;
    const decoded = decodeNotification(text, this.options.nodeSecret, this.options.allowInsecure);
    if (!decoded.ok) {
      log.warn({ reason: decoded.reason, command: decoded.command }, `cluster notification rejected: ${decoded.reason}`);
      return;
    }
    const { command, payload } = decoded.notification;
    if (!decoded.verified) log.debug({ command }, 'accepting an unverified cluster notification (allow_insecure_configs)');
    void applyNotification(command, payload, this.options.handlers);
  }

  private expectEcho(text: string): void {
    const now = Date.now();
    // Echoes lost while the subscriber was down would otherwise stay forever.
    for (const [key, entry] of this.awaitingEcho) if (now - entry.at > ECHO_WINDOW_MS) this.awaitingEcho.delete(key);
    const entry = this.awaitingEcho.get(text);
    if (entry) {
      entry.count++;
      entry.at = now;
    } else {
      this.awaitingEcho.set(text, { count: 1, at: now });
    }
  }

  private takeEcho(text: string): boolean {
    const entry = this.awaitingEcho.get(text);
    if (!entry) return false;
    if (--entry.count === 0) this.awaitingEcho.delete(text);
    return true;
  }
}

/**
 * Act on one notification, from another node (Redis) or another worker of this gateway (IPC):
 * the same commands mean the same thing either way. Resolves once it is done (a reload finished).
 */
export async function applyNotification(command: string, payload: string, handlers: ClusterHandlers): Promise<void> {
  if (RELOAD_COMMANDS.has(command)) {
    log.info({ command }, 'cluster notification: reloading');
    await handlers.reload(command);
  } else if (command === Commands.keySpaceUpdate) {
    const keys = keysOfPayload(payload);
    log.debug({ keys: keys.length }, 'cluster notification: evicting changed keys');
    handlers.keysChanged(keys);
  } else {
    log.debug({ command }, 'cluster notification ignored (not used by isogate)');
  }
}
