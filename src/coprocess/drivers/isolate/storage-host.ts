import { apiKvNamespace, jsvmStoreNamespace, type KvNamespace, type KvQuota, type KvStore } from '../../../storage/kv';
import { KV_LIST_DEFAULT_LIMIT, KV_MAX_KEY_BYTES, STORAGE_HOST_FUNCTIONS as F, TYK_STORAGE_MAX_KEY_BYTES, TYK_STORAGE_MAX_VALUE_BYTES } from '../../../protocol/kv';
import type { HostCallContext, HostFunction, HostFunctions } from './host-calls';

/** Whose storage an isolate reaches: the API it serves, never what its code says. */
export interface StorageOwner {
  apiId: string;
  orgId: string;
  kvQuota: KvQuota;
}

/** Longest TTL accepted (ms): 2^31 s, about 68 years. */
const MAX_TTL_MS = 2 ** 31 * 1000;

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string`);
  // A lone surrogate has no UTF-8 form: it would be stored as U+FFFD and never be found again.
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) throw new TypeError(`${what} must be well-formed Unicode text`);
  return value;
}

function key(value: unknown, maxBytes: number): string {
  const k = text(value, 'the key');
  const bytes = Buffer.byteLength(k);
  if (bytes === 0 || bytes > maxBytes) throw new RangeError(`the key must be 1 to ${maxBytes} bytes of UTF-8, got ${bytes}`);
  return k;
}

function ttl(value: unknown, unitMs: number, what: string): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < 0 || n * unitMs > MAX_TTL_MS) throw new RangeError(`${what} must be a number of ${unitMs === 1 ? 'milliseconds' : 'seconds'} from 0 (no expiry) to ${MAX_TTL_MS / unitMs}`);
  return Math.ceil(n * unitMs);
}

/**
 * Answer within the guest call's budget: a slow store (Redis waits up to storage.timeout) must
 * not keep the guest blocked in its host call past the hook's deadline, since the isolate is then
 * thrown away under it. The store operation itself still completes or fails on its own.
 */
function bounded(fn: (args: unknown[]) => unknown): HostFunction {
  return (args: unknown[], { signal }: HostCallContext) => {
    if (signal.aborted) throw new Error('the call\'s time budget is used up');
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new Error('the store did not answer within the call\'s time budget'));
      signal.addEventListener('abort', onAbort, { once: true });
      Promise.resolve()
        .then(() => fn(args))
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  };
}

/**
 * The host half of `isogate.kv` (the API's own namespace, with its quota) and of Tyk JSVM's
 * `TykStorage*` (the API's org, as Python's store_data: src/storage/kv/namespaces.ts). Every
 * isolate gets both: the sandbox decides which globals its adapter shows. Arguments come from
 * the guest and are checked here whatever the sandbox checked; results are primitives or JSON
 * text (host-calls.ts).
 */
export function storageHostFunctions(kv: KvStore, owner: StorageOwner): HostFunctions {
  const api: KvNamespace = apiKvNamespace(owner.apiId, owner.kvQuota);
  const org: KvNamespace = jsvmStoreNamespace(owner.orgId);
  const tykKey = (value: unknown) => key(value, TYK_STORAGE_MAX_KEY_BYTES);
  const tykValue = (value: unknown): string => {
    const v = text(value, 'the value');
    if (Buffer.byteLength(v) > TYK_STORAGE_MAX_VALUE_BYTES) throw new RangeError(`storage value exceeds ${TYK_STORAGE_MAX_VALUE_BYTES} bytes`);
    return v;
  };
  const functions: Record<string, (args: unknown[]) => unknown> = {
    [F.kvGet]: async ([k]) => (await kv.get(api, key(k, KV_MAX_KEY_BYTES))) ?? null,
    [F.kvSet]: async ([k, json, ttlMs]) => {
      const name = key(k, KV_MAX_KEY_BYTES);
      const value = text(json, 'the value (JSON text)');
      // The sandbox sends JSON.stringify's output; anything else did not come from it.
      JSON.parse(value);
      await kv.set(api, name, value, { ttlMs: ttl(ttlMs, 1, 'ttl') });
      return null;
    },
    [F.kvDelete]: ([k]) => kv.delete(api, key(k, KV_MAX_KEY_BYTES)),
    [F.kvList]: async ([prefix, limit]) => {
      const p = prefix === undefined || prefix === null ? '' : text(prefix, 'the prefix');
      if (Buffer.byteLength(p) > KV_MAX_KEY_BYTES) throw new RangeError(`the prefix must be at most ${KV_MAX_KEY_BYTES} bytes`);
      const n = limit === undefined || limit === null ? KV_LIST_DEFAULT_LIMIT : Number(limit);
      if (!Number.isInteger(n) || n < 0 || n > Math.max(KV_LIST_DEFAULT_LIMIT, owner.kvQuota.maxKeys)) throw new RangeError(`limit must be a whole number from 0 to ${Math.max(KV_LIST_DEFAULT_LIMIT, owner.kvQuota.maxKeys)}`);
      return JSON.stringify(await kv.list(api, p, n));
    },
    [F.kvUsage]: async () => JSON.stringify({ ...(await kv.usage(api)), maxKeys: owner.kvQuota.maxKeys, maxBytes: owner.kvQuota.maxBytes }),
    [F.tykGet]: async ([k]) => (await kv.get(org, tykKey(k))) ?? null,
    [F.tykSet]: async ([k, v, ttlS]) => {
      await kv.set(org, tykKey(k), tykValue(v), { ttlMs: ttl(ttlS, 1000, 'ttlSeconds') });
      return null;
    },
    [F.tykSetNX]: ([k, v, ttlS]) => kv.set(org, tykKey(k), tykValue(v), { ttlMs: ttl(ttlS, 1000, 'ttlSeconds'), ifAbsent: true }),
    [F.tykDel]: async ([k]) => {
      await kv.delete(org, tykKey(k));
      return null;
    },
    // Redis TTL semantics, as Tyk: seconds left, -1 no expiry, -2 no such key.
    [F.tykTTL]: async ([k]) => {
      const ms = await kv.ttlMs(org, tykKey(k));
      return ms < 0 ? ms : Math.floor(ms / 1000);
    },
    // A string, as Tyk: counters may pass 2^53.
    [F.tykIncr]: async ([k, ttlS]) => String(await kv.incr(org, tykKey(k), ttl(ttlS, 1000, 'ttlSeconds'))),
  };
  return Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, bounded(fn)]));
}
