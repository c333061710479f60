// Tyk goja's storage natives (Tyk 5.15+): the org's key-value store in the gateway's store
// (src/storage/kv, `jsvm-store:<org>:`). Arguments are coerced as goja does (String(), integer
// TTLs in seconds); unlike Tyk's other natives these throw on failure, so that an outage is never
// mistaken for a missing key.
import { STORAGE_HOST_FUNCTIONS as F } from '../../src/protocol/kv';
import { define } from '../globals/define';
import { callHost } from '../host';

function seconds(value: unknown): number {
  const n = Math.trunc(Number(value));
  return Number.isFinite(n) && n > 0 ? n : 0;
}

export function installTykStorage(): void {
  define('TykStorageGet', (key: unknown) => {
    const value = callHost(F.tykGet, [String(key)]);
    return typeof value === 'string' ? value : null;
  });
  define('TykStorageSet', (key: unknown, value: unknown, ttl: unknown) => {
    callHost(F.tykSet, [String(key), String(value), seconds(ttl)]);
    return undefined;
  });
  define('TykStorageSetNX', (key: unknown, value: unknown, ttl: unknown) => callHost(F.tykSetNX, [String(key), String(value), seconds(ttl)]) === true);
  define('TykStorageDel', (key: unknown) => {
    callHost(F.tykDel, [String(key)]);
    return undefined;
  });
  define('TykStorageTTL', (key: unknown) => Number(callHost(F.tykTTL, [String(key)])));
  define('TykStorageIncr', (key: unknown, ttl: unknown) => String(callHost(F.tykIncr, [String(key), seconds(ttl)])));
}
