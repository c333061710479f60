// Micro: what containment (issue 13) costs on the hot path and at upload time, in one process.
//  - the entry record: one 1-byte pwrite before and one after every isolate entry;
//  - the same hook round trip with and without the record;
//  - a log line / event over the API's budget (counted inside the isolate, never sent);
//  - validating an upload in the validation child: the first job (process start) and later ones.
// Run as: node --no-node-snapshot bench/micro/containment.mjs [iterations]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distModule, fakeRequestState } from '../lib/dist.mjs';
import { quantile } from '../lib/load.mjs';
import { ISOLATE_PLUGIN } from '../lib/plugins.mjs';
import { emitResult } from './emit.mjs';

const iterations = Number(process.argv[2] ?? 20_000);
const warmup = Math.max(200, Math.floor(iterations / 10));

const { IsolateDispatcher } = distModule('coprocess/drivers/isolate/index.js');
const { buildHookObject } = distModule('coprocess/message.js');
const { HookType } = distModule('coprocess/dispatcher.js');
const record = distModule('containment/entry-record.js');
const { validateInChild, stopValidationChild } = distModule('containment/validator.js');

const ns = () => process.hrtime.bigint();
const us = (t0, t1) => Number(t1 - t0) / 1000;
const median = (samples) => quantile(Float64Array.from(samples).sort(), 0.5);

async function timeEach(n, fn) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = ns();
    await fn();
    samples[i] = us(t0, ns());
  }
  return median(samples);
}

const dir = mkdtempSync(join(tmpdir(), 'isogate-bench-record-'));
const hook = { name: 'benchPre', path: 'bench-plugin.js', kind: 'pre' };
const specMap = { OrgID: 'bench', APIID: 'bench-containment', bundle_hash: '' };
const sources = [{ filename: 'bench-plugin.js', code: ISOLATE_PLUGIN }];

async function roundTripUs(apiId) {
  const dispatcher = new IsolateDispatcher({ apiId, sources, hookNames: ['benchPre'] });
  try {
    return await timeEach(iterations, () => dispatcher.dispatch(buildHookObject(fakeRequestState(), hook, specMap)));
  } finally {
    await dispatcher.dispose();
  }
}

try {
  // Without a record (as under --no-supervisor), then with one (as under the supervisor).
  const withoutRecordUs = await roundTripUs('bench-no-record');
  record.openEntryRecord(join(dir, 'bench.record'));
  const withRecordUs = await roundTripUs('bench-record');
  const slot = record.recordSlot(record.entryTag('bench-pair', '0123456789abcdef'));
  // An entry after the idle byte was written (two pwrites), and back-to-back entries within one
  // event-loop turn (a saturated API: no write).
  const pairUs = await timeEach(iterations, async () => {
    slot.enter('call');
    slot.leave();
    await new Promise((resolve) => setImmediate(resolve));
  }) - await timeEach(iterations, () => new Promise((resolve) => setImmediate(resolve)));
  const backToBackUs = await timeEach(iterations * 5, () => {
    slot.enter('call');
    slot.leave();
  });
  slot.free();
  record.closeEntryRecord();

  // Output over budget: 100,000 calls inside one hook, with the budget at 0 (every one dropped).
  const spam = `
    function logs() { for (let i = 0; i < 100000; i++) console.log('spam', i); }
    function events() { for (let i = 0; i < 100000; i++) TykTriggerEvent('Spam', { i }); }
    function empty() { let x = 0; for (let i = 0; i < 100000; i++) x += i; return x > 0 ? undefined : undefined; }`;
  const quiet = new IsolateDispatcher({ apiId: 'bench-budget', sources: [{ filename: 'spam.js', code: spam }], hookNames: ['logs', 'events', 'empty'], logLinesPerS: 0, eventsPerS: 0, hookTimeoutMs: 60_000 });
  const call = (name) => quiet.dispatch({ hook_type: HookType.Pre, hook_name: name, request: { headers: {}, set_headers: {} }, spec: {} });
  const perCallNs = async (name) => {
    const runs = [];
    for (let i = 0; i < 5; i++) {
      const t0 = ns();
      await call(name);
      runs.push(Number(ns() - t0) / 100_000);
    }
    return median(runs);
  };
  await call('empty');
  const emptyNs = await perCallNs('empty');
  const droppedLogNs = (await perCallNs('logs')) - emptyNs;
  const droppedEventNs = (await perCallNs('events')) - emptyNs;
  await quiet.dispose();

  // Upload validation in the child: the first job starts the process, later ones reuse it.
  const job = (i) => ({ apiId: `bench-validate-${i}`, sources: [{ filename: `v${i}.js`, code: `function benchPre(request) { request.set_headers['X-V'] = '${i}'; }` }], hookNames: ['benchPre'] });
  let t0 = performance.now();
  await validateInChild(job(0));
  const validateColdMs = performance.now() - t0;
  const warm = [];
  for (let i = 1; i <= 10; i++) {
    t0 = performance.now();
    await validateInChild(job(i));
    warm.push(performance.now() - t0);
  }
  stopValidationChild();

  emitResult({
    iterations,
    record: { pairUs, backToBackUs, withoutRecordUs, withRecordUs },
    budget: { droppedLogNs, droppedEventNs },
    validation: { coldMs: validateColdMs, warmMs: median(warm) },
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
