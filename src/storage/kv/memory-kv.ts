import { positiveOrZero } from '../../util/numbers';
import { entryBytes, KvNotANumberError, type KvNamespace, KvQuotaError, type KvSetOptions, type KvStore, type KvUsage } from './kv-store';

interface Entry {
  value: string;
  /** Epoch ms after which the entry is gone; 0 = never. */
  expiresAt: number;
}

interface Space {
  entries: Map<string, Entry>;
  bytes: number;
}

export interface MemoryKvOptions {
  /**
   * Bytes a namespace without a quota may hold in this process (Tyk's per-org stores have none:
   * in Redis they are the operator's to size). Past it writes fail. Default 16 MiB.
   */
  maxBytesPerNamespace?: number;
  /** How often expired entries are purged in the background. Reads never see them regardless. */
  sweepIntervalMs?: number;
  now?: () => number;
}

const INTEGER = /^-?\d{1,16}$/;

/** KV in this process (storage.type "memory"): survives reloads and isolate rebuilds, not a restart. */
export class MemoryKvStore implements KvStore {
  private readonly spaces = new Map<string, Space>();
  private readonly now: () => number;
  private readonly fallbackBytes: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: MemoryKvOptions = {}) {
    this.now = options.now ?? Date.now;
    this.fallbackBytes = options.maxBytesPerNamespace ?? 16 * 1024 * 1024;
    const interval = options.sweepIntervalMs ?? 60_000;
    if (interval > 0) {
      this.timer = setInterval(() => this.sweep(), interval);
      // Housekeeping must never be the reason the process stays up.
      this.timer.unref();
    }
  }

  async get(ns: KvNamespace, key: string): Promise<string | undefined> {
    return this.live(ns, key)?.value;
  }

  async set(ns: KvNamespace, key: string, value: string, options: KvSetOptions = {}): Promise<boolean> {
    const old = this.live(ns, key);
    if (old && options.ifAbsent) return false;
    const ttl = positiveOrZero(options.ttlMs);
    this.write(ns, key, value, ttl > 0 ? this.now() + ttl : 0, old);
    return true;
  }

  async delete(ns: KvNamespace, key: string): Promise<boolean> {
    const old = this.live(ns, key);
    if (!old) return false;
    this.remove(this.space(ns), key, old);
    return true;
  }

  async list(ns: KvNamespace, prefix: string, limit: number): Promise<string[]> {
    const space = this.spaces.get(ns.prefix);
    if (!space) return [];
    const now = this.now();
    const out: string[] = [];
    for (const [key, entry] of space.entries) {
      if (key.startsWith(prefix) && (entry.expiresAt === 0 || entry.expiresAt > now)) out.push(key);
    }
    return out.sort().slice(0, Math.max(0, limit));
  }

  async ttlMs(ns: KvNamespace, key: string): Promise<number> {
    const entry = this.live(ns, key);
    if (!entry) return -2;
    return entry.expiresAt === 0 ? -1 : entry.expiresAt - this.now();
  }

  async incr(ns: KvNamespace, key: string, ttlMs?: number): Promise<number> {
    const old = this.live(ns, key);
    if (old && !INTEGER.test(old.value)) throw new KvNotANumberError();
    const next = (old ? Number(old.value) : 0) + 1;
    const expiresAt = old ? old.expiresAt : positiveOrZero(ttlMs) > 0 ? this.now() + positiveOrZero(ttlMs) : 0;
    this.write(ns, key, String(next), expiresAt, old);
    return next;
  }

  async usage(ns: KvNamespace): Promise<KvUsage> {
    const space = this.spaces.get(ns.prefix);
    if (!space) return { keys: 0, bytes: 0 };
    this.purge(space);
    return { keys: space.entries.size, bytes: space.bytes };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.spaces.clear();
  }

  /** Drop every expired entry now (also run periodically). */
  sweep(): void {
    for (const space of this.spaces.values()) this.purge(space);
  }

  /** Quota first, then the write: a refused write changes nothing. */
  private write(ns: KvNamespace, key: string, value: string, expiresAt: number, old: Entry | undefined): void {
    const space = this.space(ns);
    const size = entryBytes(key, value);
    const oldSize = old ? entryBytes(key, old.value) : 0;
    if (ns.quota) {
      // Expired entries still in the map must not count against the quota.
      this.purge(space);
      if (!old && space.entries.size + 1 > ns.quota.maxKeys) throw new KvQuotaError('keys', ns);
      if (space.bytes - oldSize + size > ns.quota.maxBytes) throw new KvQuotaError('bytes', ns);
    } else if (space.bytes - oldSize + size > this.fallbackBytes) {
      this.purge(space);
      if (space.bytes - oldSize + size > this.fallbackBytes) {
        throw new Error(`the in-memory store holds at most ${this.fallbackBytes} bytes for ${ns.label}`);
      }
    }
    space.entries.set(key, { value, expiresAt });
    space.bytes += size - oldSize;
  }

  private space(ns: KvNamespace): Space {
    let space = this.spaces.get(ns.prefix);
    if (!space) this.spaces.set(ns.prefix, (space = { entries: new Map(), bytes: 0 }));
    return space;
  }

  private remove(space: Space, key: string, entry: Entry): void {
    space.entries.delete(key);
    space.bytes -= entryBytes(key, entry.value);
  }

  private purge(space: Space): void {
    const now = this.now();
    for (const [key, entry] of space.entries) {
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) this.remove(space, key, entry);
    }
  }

  /** The entry if present and not expired; an expired one is removed on the spot. */
  private live(ns: KvNamespace, key: string): Entry | undefined {
    const space = this.spaces.get(ns.prefix);
    const entry = space?.entries.get(key);
    if (!space || !entry) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= this.now()) {
      this.remove(space, key, entry);
      return undefined;
    }
    return entry;
  }
}
