// Micro: how many TykTriggerEvent calls per second reach a handler. A hook fires `perCall`
// events per call on one API's isolate; every event goes through the gateway's EventBus to an
// eh_log_handler whose log lines are counted (not written anywhere). Phase 1 fires flat out
// (the bus is bounded: what it cannot take is dropped and counted); phase 2 fires at a paced
// rate just under what phase 1 delivered, to confirm it is sustainable without drops.
// Run as: node --no-node-snapshot bench/micro/events.mjs [seconds] [perCall]
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { distModule, fakeRequestState } from '../lib/dist.mjs';
import { ROOT } from '../lib/paths.mjs';
import { eventPlugin } from '../lib/plugins.mjs';
import { emitResult } from './emit.mjs';

const seconds = Number(process.argv[2] ?? 3);
const perCall = Number(process.argv[3] ?? 100);

const pino = createRequire(import.meta.url)(join(ROOT, 'node_modules', 'pino'));
const { IsolateDispatcher } = distModule('coprocess/drivers/isolate/index.js');
const { EventBus } = distModule('events/index.js');
const { buildHookObject } = distModule('coprocess/message.js');

const apiId = 'bench-events';
const hook = { name: 'benchEvents', kind: 'pre' };
const spec = { OrgID: 'bench', APIID: apiId };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One bus + dispatcher; `callsPerSec` undefined = flat out (two callers keep the queue busy). */
async function phase(callsPerSec) {
  let logLines = 0;
  // pino writes each line synchronously to `write`: counting here measures delivery, not disk I/O.
  const countingLogger = pino({ level: 'info' }, { write: () => void logLines++ });
  const bus = new EventBus({
    logger: countingLogger,
    gatewayHandlers: { events: { BenchEvent: [{ handler_name: 'eh_log_handler', handler_meta: { prefix: 'bench' } }] } },
  });
  let reached = 0;
  const dispatcher = new IsolateDispatcher({
    apiId,
    sources: [{ filename: 'events.js', code: eventPlugin(perCall) }],
    hookNames: ['benchEvents'],
    // The host's event path flat out, not the API's guest output budget (10,000/s by default).
    eventsPerS: 1e9,
    // What the isolate driver does with TykTriggerEvent (drivers/isolate/plugin.ts).
    onEvent: (name, payload) => {
      reached++;
      bus.fire({ type: name, apiId, orgId: 'bench', meta: { Message: payload } });
    },
  });
  const call = () => dispatcher.dispatch(buildHookObject(fakeRequestState(), hook, spec));
  await call();
  await sleep(200);
  const base = { reached, lines: logLines, dropped: bus.stats().dropped };

  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;
  let calls = 0;
  if (callsPerSec === undefined) {
    await Promise.all([0, 1].map(async () => {
      for (; elapsed() < seconds * 1000; calls++) await call();
    }));
  } else {
    // Paced: every 5 ms, start the calls that are due by now.
    const pending = [];
    while (elapsed() < seconds * 1000) {
      const due = Math.floor((elapsed() / 1000) * callsPerSec);
      for (; calls < due; calls++) pending.push(call());
      await sleep(5);
    }
    await Promise.all(pending);
  }
  const firingS = elapsed() / 1000;
  // Ignored callbacks reach the host asynchronously: wait until the count stops moving.
  for (let last = -1; last !== reached; ) {
    last = reached;
    await sleep(50);
  }
  await bus.stop(30_000);
  const totalS = elapsed() / 1000;
  await dispatcher.dispose();
  const delivered = logLines - base.lines;
  return {
    calls,
    fired: calls * perCall,
    reachedHost: reached - base.reached,
    delivered,
    dropped: bus.stats().dropped - base.dropped,
    firingSeconds: firingS,
    reachedHostPerSec: (reached - base.reached) / firingS,
    deliveredPerSec: delivered / totalS,
  };
}

const flatOut = await phase(undefined);
let paced;
for (const share of [0.9, 0.6, 0.3]) {
  paced = { share, ...(await phase((flatOut.deliveredPerSec * share) / perCall)) };
  if (paced.dropped === 0) break;
}
emitResult({ perCall, flatOut, paced, sustainablePerSec: paced.dropped === 0 ? paced.deliveredPerSec : 0 });
