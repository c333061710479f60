// Micro: what the session store costs one authorised request, in µs of CPU, per store type.
// An authorised request reads its session (the auth LRU misses every 10 s per key; shown
// separately) and counts rate + quota. memory: the in-process limiter. embedded: one LMDB
// write transaction in the counters environment (noSync; src/storage/embedded-counters.ts),
// the same call the limits step makes. Keys rotate over `keys` names so LMDB pages are warm, as
// with real traffic. Also: a management write (set, committed and fsynced), for the record.
// Run as: node bench/micro/store.mjs [iterations]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distModule } from '../lib/dist.mjs';
import { emitResult } from './emit.mjs';

const iterations = Number(process.argv[2] ?? 20000);
const keys = 1000;
const { EmbeddedSessionStore } = distModule('storage/embedded-store.js');
const { MemorySessionStore } = distModule('storage/memory-store.js');
const { SessionLimiter } = distModule('auth/limits.js');

const session = (i) => ({ rate: 1e9, per: 1, quota_max: 1e9, quota_renewal_rate: 3600, last_updated: '1', org_id: 'o', meta_data: { n: i } });

/** CPU and wall µs per call of `fn(i)`, after a warm-up. */
async function measure(fn, n = iterations) {
  for (let i = 0; i < Math.min(2000, n); i++) await fn(i);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const wallUs = ((performance.now() - t0) * 1000) / n;
  const c = process.cpuUsage(cpu0);
  return { cpuUs: (c.user + c.system) / n, wallUs };
}

const dir = mkdtempSync(join(tmpdir(), 'isogate-bench-store-'));
try {
  const embedded = EmbeddedSessionStore.open(join(dir, 'data'), 'bench');
  const memory = new MemorySessionStore({ sweepIntervalMs: 0 });
  for (let i = 0; i < keys; i++) {
    await embedded.set(`key-${i}`, session(i));
    await memory.set(`key-${i}`, session(i));
  }
  const sessions = Array.from({ length: keys }, (_, i) => session(i));
  const memLimiter = new SessionLimiter({ store: memory });
  const embLimiter = new SessionLimiter({ store: embedded, counters: embedded.counters });
  const check = (limiter) => (i) => {
    const k = i % keys;
    const r = limiter.check({ storedKey: `key-${k}`, session: sessions[k], apiId: 'a' });
    if (r instanceof Promise || !r.ok) throw new Error('the check should pass synchronously');
  };
  const result = {
    iterations,
    keys,
    memory: { count: await measure(check(memLimiter)), read: await measure((i) => memory.get(`key-${i % keys}`)) },
    embedded: { count: await measure(check(embLimiter)), read: await measure((i) => embedded.get(`key-${i % keys}`)) },
    // A management write waits for the commit and the fsync.
    embeddedWrite: await measure((i) => embedded.set(`w-${i % 50}`, session(i)), Math.min(200, iterations)),
  };
  await memLimiter.flush();
  await embLimiter.flush();
  memLimiter.close();
  embLimiter.close();
  await embedded.close();
  await memory.close();
  emitResult(result);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
