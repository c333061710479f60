import type { SessionState } from '../pipeline/session';
import type { SessionStore } from './session-store';

/**
 * Copy of a JSON-shaped value (what sessions are: they arrive as JSON and are served as JSON).
 * A hand-rolled walk over plain objects and arrays is several times cheaper than
 * structuredClone or a JSON round trip for objects this small, and sessions are copied on
 * every store read and every counter write.
 */
export function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    // undefined is not JSON: dropping it keeps stored sessions identical to what JSON would give.
    if (v !== undefined) out[key] = cloneJson(v);
  }
  return out as T;
}

export interface MemorySessionStoreOptions {
  /** How often expired entries are purged in the background. Reads never see them regardless. */
  sweepIntervalMs?: number;
  /** Clock in milliseconds; tests inject one. */
  now?: () => number;
}

interface Entry {
  session: SessionState;
  /** Epoch ms after which the entry is gone; 0 = never. */
  expiresAt: number;
}

/**
 * The default session store: a Map in this process. Sessions are deep-copied in and out, so
 * neither the caller that stored a session nor one that read it can change the stored state by
 * mutating its object — only another `set` does.
 */
export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, Entry>();
  /** Keys that carry a TTL: the sweep walks only these, not every session. */
  private readonly expiring = new Set<string>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    const interval = options.sweepIntervalMs ?? 60_000;
    if (interval > 0) {
      this.timer = setInterval(() => this.sweep(), interval);
      // Housekeeping must never be the reason the process stays up.
      this.timer.unref();
    }
  }

  async get(key: string): Promise<SessionState | undefined> {
    const entry = this.live(key);
    return entry ? cloneJson(entry.session) : undefined;
  }

  async set(key: string, session: SessionState, ttlSeconds?: number): Promise<void> {
    this.store(key, session, ttlSeconds);
  }

  /**
   * Like `set`, but only when the key is (still) present — Redis `SET … XX`. Counter write-backs
   * use it so that a request finishing after an admin deleted its key does not bring it back.
   */
  async setIfExists(key: string, session: SessionState, ttlSeconds?: number): Promise<boolean> {
    if (!this.live(key)) return false;
    this.store(key, session, ttlSeconds);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.live(key) !== undefined;
    this.entries.delete(key);
    this.expiring.delete(key);
    return existed;
  }

  async keys(): Promise<string[]> {
    const out: string[] = [];
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt === 0 || entry.expiresAt > now) out.push(key);
    }
    return out;
  }

  /** Number of live entries (expired ones not yet swept are not counted). */
  get size(): number {
    let n = 0;
    const now = this.now();
    for (const entry of this.entries.values()) if (entry.expiresAt === 0 || entry.expiresAt > now) n++;
    return n;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.entries.clear();
    this.expiring.clear();
  }

  /** Drop every expired entry now (also run periodically). */
  sweep(): void {
    const now = this.now();
    for (const key of this.expiring) {
      const entry = this.entries.get(key);
      if (!entry || (entry.expiresAt !== 0 && entry.expiresAt <= now)) {
        this.entries.delete(key);
        this.expiring.delete(key);
      }
    }
  }

  private store(key: string, session: SessionState, ttlSeconds: number | undefined): void {
    // Copied before anything else runs, so later mutation by the caller cannot leak in.
    const copy = cloneJson(session);
    const ttl = ttlSeconds !== undefined && Number.isFinite(ttlSeconds) && ttlSeconds > 0 ? ttlSeconds : 0;
    const expiresAt = ttl > 0 ? this.now() + ttl * 1000 : 0;
    this.entries.set(key, { session: copy, expiresAt });
    if (expiresAt > 0) this.expiring.add(key);
    else this.expiring.delete(key);
  }

  /** The entry if present and not expired; an expired one is removed on the spot (lazy expiry). */
  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      this.expiring.delete(key);
      return undefined;
    }
    return entry;
  }
}
