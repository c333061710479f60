import type { Database, RootDatabase } from 'lmdb';
import { positiveOrZero } from '../../util/numbers';
import { entryBytes, KvNotANumberError, type KvNamespace, KvQuotaError, type KvSetOptions, type KvStore, type KvUsage } from './kv-store';

/** One value as stored: the value and its expiry (epoch ms; 0 = never). */
interface Entry {
  v: string;
  e: number;
}

/** LMDB's longest key is 1978 bytes; namespace prefixes and plugin keys stay well below it. */
const MAX_NAME_BYTES = 1900;
const INTEGER = /^-?\d{1,16}$/;

export interface EmbeddedKvOptions {
  /** Bytes a namespace without a quota may hold (Tyk's per-org stores have none). Default 16 MiB. */
  maxBytesPerNamespace?: number;
  now?: () => number;
}

/**
 * Plugin data in the embedded store (storage.type "embedded"), beside the sessions: every worker
 * of the gateway shares it and it survives restarts. Entries live under their stored name
 * (prefix + key), so `list` is a range scan; each namespace's key count and bytes are kept in a
 * second table, updated in the same write transaction as the entry, so a quota holds exactly
 * across workers. Expired entries never answer; a write that would pass a quota first drops the
 * namespace's expired entries, so they never count against it.
 */
export class EmbeddedKvStore implements KvStore {
  private readonly db: Database<string, string>;
  private readonly usageDb: Database<KvUsage, string>;
  private readonly now: () => number;
  private readonly fallbackBytes: number;

  constructor(private readonly env: RootDatabase, options: EmbeddedKvOptions = {}) {
    this.db = env.openDB<string, string>({ name: 'plugin-kv', encoding: 'string' });
    this.usageDb = env.openDB<KvUsage, string>({ name: 'plugin-kv-usage', encoding: 'json' });
    this.now = options.now ?? Date.now;
    this.fallbackBytes = options.maxBytesPerNamespace ?? 16 * 1024 * 1024;
  }

  async get(ns: KvNamespace, key: string): Promise<string | undefined> {
    return this.live(nameOf(ns, key))?.v;
  }

  async set(ns: KvNamespace, key: string, value: string, options: KvSetOptions = {}): Promise<boolean> {
    const name = nameOf(ns, key);
    const ttl = positiveOrZero(options.ttlMs);
    return this.env.transaction(() => {
      const old = this.live(name);
      if (old && options.ifAbsent) return false;
      this.write(ns, key, name, { v: value, e: ttl > 0 ? this.now() + ttl : 0 }, old);
      return true;
    });
  }

  async delete(ns: KvNamespace, key: string): Promise<boolean> {
    const name = nameOf(ns, key);
    return this.env.transaction(() => {
      const stored = parse(this.db.get(name));
      if (!stored) return false;
      this.remove(ns, key, name, stored);
      return stored.e === 0 || stored.e > this.now();
    });
  }

  async list(ns: KvNamespace, prefix: string, limit: number): Promise<string[]> {
    const start = ns.prefix + prefix;
    const now = this.now();
    const out: string[] = [];
    for (const { key, value } of this.db.getRange({ start })) {
      if (out.length >= limit || !key.startsWith(start)) break;
      const entry = parse(value);
      if (entry && (entry.e === 0 || entry.e > now)) out.push(key.slice(ns.prefix.length));
    }
    return out;
  }

  async ttlMs(ns: KvNamespace, key: string): Promise<number> {
    const entry = this.live(nameOf(ns, key));
    if (!entry) return -2;
    return entry.e === 0 ? -1 : entry.e - this.now();
  }

  async incr(ns: KvNamespace, key: string, ttlMs?: number): Promise<number> {
    const name = nameOf(ns, key);
    return this.env.transaction(() => {
      const old = this.live(name);
      if (old && !INTEGER.test(old.v)) throw new KvNotANumberError();
      const next = (old ? Number(old.v) : 0) + 1;
      const ttl = positiveOrZero(ttlMs);
      this.write(ns, key, name, { v: String(next), e: old ? old.e : ttl > 0 ? this.now() + ttl : 0 }, old);
      return next;
    });
  }

  async usage(ns: KvNamespace): Promise<KvUsage> {
    return this.env.transaction(() => {
      this.purge(ns);
      return { ...this.counted(ns) };
    });
  }

  async close(): Promise<void> {
    // The environment belongs to the embedded store, which closes it.
  }

  /** Inside a write transaction: quota first, then the entry and its namespace's counts. */
  private write(ns: KvNamespace, key: string, name: string, entry: Entry, old: Entry | undefined): void {
    const stored = old ?? parse(this.db.get(name));
    const oldSize = stored ? entryBytes(key, stored.v) : 0;
    const size = entryBytes(key, entry.v);
    let usage = this.counted(ns);
    const over = () => (ns.quota
      ? (!stored && usage.keys + 1 > ns.quota.maxKeys ? 'keys' : usage.bytes - oldSize + size > ns.quota.maxBytes ? 'bytes' : undefined)
      : usage.bytes - oldSize + size > this.fallbackBytes ? 'bytes' : undefined);
    if (over()) {
      this.purge(ns);
      usage = this.counted(ns);
      const limit = over();
      if (limit && ns.quota) throw new KvQuotaError(limit, ns);
      if (limit) throw new Error(`the embedded store holds at most ${this.fallbackBytes} bytes for ${ns.label}`);
    }
    void this.db.put(name, JSON.stringify(entry));
    void this.usageDb.put(ns.prefix, { keys: usage.keys + (stored ? 0 : 1), bytes: usage.bytes - oldSize + size });
  }

  private remove(ns: KvNamespace, key: string, name: string, stored: Entry): void {
    const usage = this.counted(ns);
    void this.db.remove(name);
    void this.usageDb.put(ns.prefix, { keys: Math.max(0, usage.keys - 1), bytes: Math.max(0, usage.bytes - entryBytes(key, stored.v)) });
  }

  /** Inside a write transaction: drop the namespace's expired entries and their counts. */
  private purge(ns: KvNamespace): void {
    const now = this.now();
    for (const { key, value } of this.db.getRange({ start: ns.prefix })) {
      if (!key.startsWith(ns.prefix)) break;
      const entry = parse(value);
      if (entry && entry.e !== 0 && entry.e <= now) this.remove(ns, key.slice(ns.prefix.length), key, entry);
    }
  }

  private counted(ns: KvNamespace): KvUsage {
    return this.usageDb.get(ns.prefix) ?? { keys: 0, bytes: 0 };
  }

  private live(name: string): Entry | undefined {
    const entry = parse(this.db.get(name));
    return entry && (entry.e === 0 || entry.e > this.now()) ? entry : undefined;
  }
}

function nameOf(ns: KvNamespace, key: string): string {
  const name = ns.prefix + key;
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw new Error(`key too long for the embedded store (${ns.label}): at most ${MAX_NAME_BYTES} bytes with its namespace`);
  return name;
}

function parse(text: string | undefined): Entry | undefined {
  if (text === undefined) return undefined;
  try {
    const entry = JSON.parse(text) as Entry;
    return typeof entry?.v === 'string' && typeof entry.e === 'number' ? entry : undefined;
  } catch {
    return undefined;
  }
}
