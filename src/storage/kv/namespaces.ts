// Where each kind of plugin data lives: the stored name of an entry is the namespace prefix
// followed by the key as given. The owner id in a prefix is percent-encoded (encodeURIComponent
// leaves no ":"), so the ":" after it is the first ":" of every stored name of that owner: keys of
// owner "a" cannot start with "b:" and reach owner "a:b", whatever they contain ("../", NUL, ":",
// "%3A" stays literal).
import type { KvNamespace, KvQuota } from './kv-store';

/** isogate.kv of one API (README: per-API KV). Values and their index live apart (KvNamespace.meta). */
export function apiKvNamespace(apiId: string, quota: KvQuota): KvNamespace {
  const owner = encodeURIComponent(apiId);
  return { prefix: `isogate-kv:${owner}:`, meta: `isogate-kv-index:${owner}`, quota, label: `API ${JSON.stringify(apiId)}` };
}

/** Tyk keeps goja's TykStorage* values under `jsvm-store:`; isogate adds the org. */
export function jsvmStoreNamespace(orgId: string): KvNamespace {
  return { prefix: `jsvm-store:${encodeURIComponent(orgId)}:`, label: `org ${JSON.stringify(orgId)}` };
}

/** Tyk keeps Python's store_data values under `coprocess-data:`; isogate adds the org. */
export function pluginDataNamespace(orgId: string): KvNamespace {
  return { prefix: `coprocess-data:${encodeURIComponent(orgId)}:`, label: `org ${JSON.stringify(orgId)}` };
}
