// Micro: one hook dispatch round trip, in µs, inside one Node process with the gateway's own
// pieces from dist/: build the coprocess Object from a request (message.ts), encode, call the
// API's isolate through IsolateDispatcher, decode, apply the result to the request. Calls run
// one after another (the per-isolate queue runs one at a time anyway), each timed alone.
// Run as: node --no-node-snapshot bench/micro/dispatch.mjs [iterations]
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { distModule, fakeRequestState } from '../lib/dist.mjs';
import { quantile } from '../lib/load.mjs';
import { ROOT } from '../lib/paths.mjs';
import { ISOLATE_PLUGIN } from '../lib/plugins.mjs';
import { emitResult } from './emit.mjs';

const iterations = Number(process.argv[2] ?? 20_000);
const warmup = Math.max(200, Math.floor(iterations / 10));

const { IsolateDispatcher } = distModule('coprocess/drivers/isolate/index.js');
const { buildHookObject, applyHookResult } = distModule('coprocess/message.js');
const { encodeObject, decodeObject } = distModule('coprocess/codec.js');
// The isolate driver's own encoder (no copy out of protobufjs's pool) where the build has one.
let encodeForIsolate = encodeObject;
try {
  encodeForIsolate = distModule('coprocess/drivers/isolate/batch-wire.js').encodeCall;
} catch {
  // an older build: the codec's copying encoder is what its driver used
}

const hook = { name: 'benchPre', path: 'bench-plugin.js', kind: 'pre' };
const specMap = { OrgID: 'bench', APIID: 'bench-micro', bundle_hash: '' };
const dispatcher = new IsolateDispatcher({
  apiId: 'bench-micro',
  sources: [{ filename: 'bench-plugin.js', code: ISOLATE_PLUGIN }],
  hookNames: ['benchPre'],
});

const ns = () => process.hrtime.bigint();
const us = (t0, t1) => Number(t1 - t0) / 1000;

function summary(samples) {
  const sorted = Float64Array.from(samples).sort();
  return { medianUs: quantile(sorted, 0.5), p99Us: quantile(sorted, 0.99), n: sorted.length };
}

/**
 * Time `fn` `n` times after a warm-up; `fn` may be async. `cpuUs` is the process's CPU time per
 * call over all threads: an async ivm call also keeps a pool thread busy, and on 2 cores shared
 * with the load generator and the upstream, CPU per call is what caps throughput.
 */
async function timeEach(n, fn) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = new Float64Array(n);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t0 = ns();
    await fn();
    samples[i] = us(t0, ns());
  }
  const cpu = process.cpuUsage(cpu0);
  return { ...summary(samples), cpuUs: (cpu.user + cpu.system) / n };
}

const roundTrip = await timeEach(iterations, async () => {
  const state = fakeRequestState();
  const result = await dispatcher.dispatch(buildHookObject(state, hook, specMap));
  applyHookResult(state, result);
  if (state.headers['x-bench'] !== '1') throw new Error('the hook did not set X-Bench');
});
const dispatchOnly = await timeEach(iterations, async () => {
  await dispatcher.dispatch(buildHookObject(fakeRequestState(), hook, specMap));
});

// Host-side shares of the round trip, to show where the time goes.
const sample = buildHookObject(fakeRequestState(), hook, specMap);
const bytes = encodeObject(sample);
const resultObject = await dispatcher.dispatch(sample);
const hostOnly = {
  build: await timeEach(iterations, () => buildHookObject(fakeRequestState(), hook, specMap)),
  encode: await timeEach(iterations, () => encodeForIsolate(sample)),
  decode: await timeEach(iterations, () => decodeObject(bytes)),
  apply: await timeEach(iterations, () => applyHookResult(fakeRequestState(), resultObject)),
};

// The engine's own floor: the same bytes through a bare isolate whose function returns them,
// with the driver's call options (async apply, copy both ways, timeout, promise result). What
// the driver measures above this is queueing, deadlines and the guest's decode/hook/encode.
const ivm = createRequire(import.meta.url)(join(ROOT, 'node_modules', 'isolated-vm'));
const bare = new ivm.Isolate({ memoryLimit: 128 });
const bareContext = await bare.createContext();
const echo = await bareContext.eval('(function echo(bytes) { return bytes; })', { reference: true });
const engineFloor = {
  applyAsync: await timeEach(iterations, () => echo.apply(undefined, [bytes], { arguments: { copy: true }, result: { copy: true, promise: true }, timeout: 1000 })),
  applySync: await timeEach(iterations, () => echo.applySync(undefined, [bytes], { arguments: { copy: true }, result: { copy: true } })),
};
echo.release();
bareContext.release();
bare.dispose();

// What-if, measured rather than guessed: the same runtime and hook in an isolate built by the
// driver's own IsolateSlot, entered with applySync instead of async apply (the trade-off: sync calls block the
// event loop for the hook's duration, which is why the driver never uses them).
// It reaches into the slot's entry Reference; if the driver's internals move, the what-if is
// reported as unavailable instead of failing the bench.
async function syncWhatIf() {
  const { IsolateSlot } = distModule('coprocess/drivers/isolate/isolate-slot.js');
  const { resolveOptions } = distModule('coprocess/drivers/isolate/options.js');
  const { encodeCall, packBatch, ReportReader } = distModule('coprocess/drivers/isolate/batch-wire.js');
  const { CALL_KIND } = distModule('protocol/isolate.js');
  const { logger } = distModule('log/logger.js');
  const slot = await IsolateSlot.create(resolveOptions({ apiId: 'bench-sync', sources: [{ filename: 'bench-plugin.js', code: ISOLATE_PLUGIN }] }, logger), 1);
  let id = 1;
  try {
    const entry = slot.entries?.run;
    if (typeof entry?.applySync !== 'function') return null;
    return await timeEach(iterations, () => {
      const state = fakeRequestState();
      const batch = packBatch([{ kind: CALL_KIND.dispatch, payload: encodeCall(buildHookObject(state, hook, specMap)) }]);
      const answer = entry.applySync(undefined, [new ivm.ExternalCopy(batch, { transferOut: true }).copyInto({ release: true, transferIn: true }), id++], { result: { copy: true }, timeout: 1000 });
      const report = new ReportReader(answer instanceof Uint8Array ? answer : answer.report, 1);
      applyHookResult(state, decodeObject(report.report.subarray(report.starts[0], report.ends[0])));
      if (state.headers['x-bench'] !== '1') throw new Error('the sync hook did not set X-Bench');
    });
  } finally {
    slot.dispose();
  }
}
const syncRoundTrip = await syncWhatIf().catch(() => null);

/**
 * `inflight` callers at once on one API, each dispatching one hook after another (what that many
 * connections produce): wall µs per hook (the inverse of throughput, the latency at 1) and
 * process CPU µs per hook, all threads, so the isolate's pool thread counts too.
 */
async function concurrent(inflight, total) {
  const run = async (count) => {
    let left = count;
    const worker = async () => {
      while (left-- > 0) {
        const state = fakeRequestState();
        applyHookResult(state, await dispatcher.dispatch(buildHookObject(state, hook, specMap)));
      }
    };
    await Promise.all(Array.from({ length: inflight }, worker));
  };
  await run(Math.max(200, total / 10)); // warm-up at this concurrency
  const batchesBefore = dispatcher.stats().batches;
  const cpu0 = process.cpuUsage();
  const t0 = ns();
  await run(total);
  const wallUs = us(t0, ns());
  const cpu = process.cpuUsage(cpu0);
  const batches = dispatcher.stats().batches - batchesBefore;
  return { inflight, usPerHook: wallUs / total, cpuUsPerHook: (cpu.user + cpu.system) / total, callsPerSec: total / (wallUs / 1e6), meanBatch: total / batches };
}
const byConcurrency = [];
for (const inflight of [1, 8, 32]) byConcurrency.push(await concurrent(inflight, iterations));
const at32 = byConcurrency.find((c) => c.inflight === 32);

await dispatcher.dispose();
emitResult({
  iterations,
  messageBytes: bytes.length,
  roundTrip,
  dispatchOnly,
  hostOnly,
  engineFloor,
  syncRoundTrip,
  concurrent: { inflight: 32, callsPerSec: at32.callsPerSec, usPerCall: at32.usPerHook },
  byConcurrency,
});
