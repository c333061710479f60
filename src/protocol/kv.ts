// The private contract between the host's plugin-storage functions
// (src/coprocess/drivers/isolate/storage-host.ts) and the sandbox's `isogate.kv`
// (sandbox/globals/kv.ts) and Tyk JSVM `TykStorage*` (sandbox/jsvm/storage.ts). Shared by both
// sides: it must stay free of Node APIs.

/** Host function names (sandbox/host.ts `callHost`). */
export const STORAGE_HOST_FUNCTIONS = {
  kvGet: 'isogate.kv.get',
  kvSet: 'isogate.kv.set',
  kvDelete: 'isogate.kv.delete',
  kvList: 'isogate.kv.list',
  kvUsage: 'isogate.kv.usage',
  tykGet: 'TykStorageGet',
  tykSet: 'TykStorageSet',
  tykSetNX: 'TykStorageSetNX',
  tykDel: 'TykStorageDel',
  tykTTL: 'TykStorageTTL',
  tykIncr: 'TykStorageIncr',
} as const;

/** isogate.kv: a key is 1 to this many bytes of UTF-8. */
export const KV_MAX_KEY_BYTES = 512;
/** isogate.kv.list answers at most this many keys by default. */
export const KV_LIST_DEFAULT_LIMIT = 1000;
/** Tyk's TykStorage* limits. */
export const TYK_STORAGE_MAX_KEY_BYTES = 256;
export const TYK_STORAGE_MAX_VALUE_BYTES = 64 * 1024;
/** How a quota refusal starts, so the guest can name its error `QuotaExceeded`. */
export const KV_QUOTA_MESSAGE = 'KV quota exceeded';
