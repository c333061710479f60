// The one key-value store plugins keep data in: isogate.kv (per API, with quotas), Tyk JSVM's
// TykStorage* and Python's store_data/get_data (per org). A backend is one file implementing
// KvStore (memory-kv.ts, redis-kv.ts); which one serves is chosen in index.ts. Callers never build
// stored names themselves: they pass a KvNamespace from namespaces.ts.

/** Per-namespace limits: live keys and bytes (UTF-8 of key + value, summed over live keys). */
export interface KvQuota {
  readonly maxKeys: number;
  readonly maxBytes: number;
}

/**
 * A separate key space. `prefix` is prepended to every key to make the stored name, and ends with
 * the namespace's own delimiter after an encoded owner id, so no key of one namespace can name an
 * entry of another (namespaces.ts). A namespace with a `quota` keeps an index of its keys and
 * sizes (under `meta`), which is what lets a backend count it exactly, TTLs included.
 */
export interface KvNamespace {
  readonly prefix: string;
  readonly quota?: KvQuota;
  /** Base name of the index entries of a quota namespace; never a prefix of a stored value's name. */
  readonly meta?: string;
  /** What to call it in error messages (`API "a1"`). */
  readonly label: string;
}

export interface KvSetOptions {
  /** Time to live in ms; absent or 0: no expiry. */
  readonly ttlMs?: number;
  /** Write only if the key is absent (Redis SET NX); `set` then answers false when it was present. */
  readonly ifAbsent?: boolean;
}

export interface KvUsage {
  keys: number;
  bytes: number;
}

/** A write that would take a namespace past its quota; nothing was written. */
export class KvQuotaError extends Error {
  constructor(
    readonly limit: 'keys' | 'bytes',
    namespace: KvNamespace,
  ) {
    const q = namespace.quota!;
    super(limit === 'keys'
      ? `KV quota exceeded for ${namespace.label}: at most ${q.maxKeys} keys (limits.kv_max_keys)`
      : `KV quota exceeded for ${namespace.label}: at most ${q.maxBytes} bytes of keys and values (limits.kv_max_bytes)`);
    this.name = 'QuotaExceeded';
  }
}

/** A stored value that `incr` cannot count up (not a whole decimal number). */
export class KvNotANumberError extends Error {
  constructor() {
    super('the value is not an integer');
    this.name = 'TypeError';
  }
}

/**
 * Every method is async so a networked or on-disk backend fits behind it. `key` is the caller's
 * key, never a stored name. Expired entries are never returned, whatever the backend's sweeping.
 */
export interface KvStore {
  get(ns: KvNamespace, key: string): Promise<string | undefined>;
  /** False only with `ifAbsent` when the key exists. Throws KvQuotaError past the quota. */
  set(ns: KvNamespace, key: string, value: string, options?: KvSetOptions): Promise<boolean>;
  /** Whether the key existed. */
  delete(ns: KvNamespace, key: string): Promise<boolean>;
  /** Live keys starting with `prefix`, sorted (by code unit or by UTF-8 byte: the same for ASCII), at most `limit`. */
  list(ns: KvNamespace, prefix: string, limit: number): Promise<string[]>;
  /** Remaining life in ms: -1 no expiry, -2 no such key (Redis PTTL). */
  ttlMs(ns: KvNamespace, key: string): Promise<number>;
  /** Add 1 (a missing key counts from 0); `ttlMs` applies only when this call created the key. */
  incr(ns: KvNamespace, key: string, ttlMs?: number): Promise<number>;
  /** Live keys and bytes of a quota namespace. */
  usage(ns: KvNamespace): Promise<KvUsage>;
  close(): Promise<void>;
}

/** The bytes a key and value count for against a quota. */
export function entryBytes(key: string, value: string): number {
  return Buffer.byteLength(key) + Buffer.byteLength(value);
}
