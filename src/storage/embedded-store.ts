import type { Database } from 'lmdb';
import type { SessionState } from '../pipeline/session';
import { logger } from '../log/logger';
import { EmbeddedCounters } from './embedded-counters';
import { type EmbeddedEnvs, lmdbKey, openEmbeddedEnvs } from './embedded-env';
import type { SessionStore } from './session-store';

/** One stored session: its expiry (epoch ms, 0 = never), the session, and the name when it is too long to be the LMDB key. */
interface Entry {
  e: number;
  s: SessionState;
  k?: string;
}

const SWEEP_INTERVAL_MS = 60_000;

/**
 * The default store without Redis: sessions in an LMDB file under `storage.path`, shared by
 * every worker process of the gateway and kept across restarts. Reads are memory-mapped and
 * synchronous underneath (about a microsecond); writes resolve once committed and flushed to disk
 * (see embedded-env.ts), so a key the management API confirmed survives a crash.
 */
export class EmbeddedSessionStore implements SessionStore {
  readonly counters: EmbeddedCounters;
  private readonly db: Database<string, string>;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly envs: EmbeddedEnvs,
    private readonly now: () => number,
  ) {
    this.db = envs.sessions.openDB<string, string>({ name: 'sessions', encoding: 'string' });
    this.counters = new EmbeddedCounters(envs.counters);
    this.timer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  /** Opens (or creates) the store; a ConfigError naming storage.path when it cannot. */
  static open(path: string, source: string, now: () => number = Date.now): EmbeddedSessionStore {
    return new EmbeddedSessionStore(openEmbeddedEnvs(path, source), now);
  }

  async get(key: string): Promise<SessionState | undefined> {
    return this.read(lmdbKey(key).key)?.s;
  }

  async set(key: string, session: SessionState, ttlSeconds?: number): Promise<void> {
    const { key: k, long } = lmdbKey(key);
    await this.db.put(k, this.encode(key, long, session, ttlSeconds));
    await this.envs.sessions.flushed;
  }

  async setIfExists(key: string, session: SessionState, ttlSeconds?: number): Promise<boolean> {
    const { key: k, long } = lmdbKey(key);
    const text = this.encode(key, long, session, ttlSeconds);
    // The check and the write in one transaction: a delete by another worker cannot fall between.
    const written = await this.db.transaction(() => {
      if (!this.read(k)) return false;
      void this.db.put(k, text);
      return true;
    });
    // Committed (visible to every worker), not awaited to disk: counter write-backs and plugin
    // session updates come from the request path; LMDB flushes them right after the commit.
    return written;
  }

  async delete(key: string): Promise<boolean> {
    const k = lmdbKey(key).key;
    const existed = await this.db.transaction(() => {
      const live = this.read(k) !== undefined;
      void this.db.remove(k);
      return live;
    });
    await this.envs.sessions.flushed;
    await this.counters.drop(key);
    return existed;
  }

  async keys(): Promise<string[]> {
    const out: string[] = [];
    const now = this.now();
    for (const { key, value } of this.db.getRange({ start: 'h:', end: 'l' })) {
      const entry = parse(value);
      if (entry && (entry.e === 0 || entry.e > now)) out.push(entry.k ?? key.slice(2));
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.counters.close();
    await this.envs.sessions.close();
    await this.envs.counters.close();
  }

  /** Remove expired sessions (every worker sweeps; removing twice is harmless). */
  async sweep(): Promise<void> {
    const now = this.now();
    const expired: string[] = [];
    for (const { key, value } of this.db.getRange({ start: 'h:', end: 'l' })) {
      const entry = parse(value);
      if (!entry || (entry.e !== 0 && entry.e <= now)) expired.push(key);
    }
    if (expired.length === 0 || this.closed) return;
    await this.db.transaction(() => {
      for (const k of expired) {
        const entry = this.read(k, true);
        if (!entry || (entry.e !== 0 && entry.e <= now)) void this.db.remove(k);
      }
    }).catch((err: Error) => logger.warn({ err: err.message }, 'embedded store: removing expired sessions failed'));
  }

  toString(): string {
    return `embedded store ${this.envs.path}`;
  }

  /** The live entry under an LMDB key (an expired one reads as absent). */
  private read(k: string, includeExpired = false): Entry | undefined {
    const text = this.db.get(k);
    if (text === undefined) return undefined;
    const entry = parse(text);
    if (!entry) return undefined;
    if (!includeExpired && entry.e !== 0 && entry.e <= this.now()) return undefined;
    return entry;
  }

  private encode(name: string, long: boolean, session: SessionState, ttlSeconds: number | undefined): string {
    const ttl = ttlSeconds !== undefined && Number.isFinite(ttlSeconds) && ttlSeconds > 0 ? ttlSeconds : 0;
    // JSON drops undefined values, as the memory store's copy does.
    const entry: Entry = { e: ttl > 0 ? this.now() + ttl * 1000 : 0, s: session };
    if (long) entry.k = name;
    return JSON.stringify(entry);
  }
}

function parse(text: string): Entry | undefined {
  try {
    const value = JSON.parse(text) as Entry;
    return typeof value === 'object' && value !== null && typeof value.e === 'number' && typeof value.s === 'object' && value.s !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
