// Micro: isolate cold start inside one process, the way the gateway loads an API: the isolate
// driver's createApiIsolate (drivers/isolate/plugin.ts: build the isolate that will serve and
// validate the middleware in it) and the first hooked call. Median of N.
// Run as: node --no-node-snapshot bench/micro/cold-start.mjs [samples]
import { benchSpec, distModule, fakeRequestState } from '../lib/dist.mjs';
import { median } from '../lib/load.mjs';
import { ISOLATE_PLUGIN } from '../lib/plugins.mjs';
import { emitResult } from './emit.mjs';

const samples = Number(process.argv[2] ?? 20);
const { createApiIsolate } = distModule('coprocess/drivers/isolate/plugin.js');
const { buildHookObject, applyHookResult } = distModule('coprocess/message.js');
const { parseGatewayConfig } = distModule('config/gateway-config.js');
// The gateway config's defaults, as a gateway with an empty config file has them.
const config = parseGatewayConfig({}, '<bench>', process.cwd());

const events = { fire() {} };

const specFor = (i) => benchSpec({ apiId: `cold-${i}`, driver: 'isolate', file: 'bench-plugin.js', code: ISOLATE_PLUGIN, config });

const ms = (t0) => performance.now() - t0;

async function one(i) {
  const { spec, hook } = specFor(i);
  const t0 = performance.now();
  const dispatcher = await createApiIsolate(spec, { events, config }, 1);
  const loadMs = ms(t0);
  const state = fakeRequestState();
  applyHookResult(state, await dispatcher.dispatch(buildHookObject(state, hook, { OrgID: 'bench', APIID: `cold-${i}` })));
  const totalMs = ms(t0);
  if (state.headers['x-bench'] !== '1') throw new Error('the hook did not run');
  await dispatcher.dispose();
  return { loadMs, firstCallMs: totalMs - loadMs, totalMs };
}

// The first isolate of a process also compiles the runtime and produces its V8 code cache.
const first = await one(0);
const runs = [];
for (let i = 1; i <= samples; i++) runs.push(await one(i));
emitResult({
  samples,
  firstInProcess: first,
  medianTotalMs: median(runs.map((r) => r.totalMs)),
  medianLoadMs: median(runs.map((r) => r.loadMs)),
  medianFirstCallMs: median(runs.map((r) => r.firstCallMs)),
});
