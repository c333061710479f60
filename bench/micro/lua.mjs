// Micro: what a Lua API adds over a JS one, each measured beside the other so that both see the
// same machine. Bring-up as the gateway does it (the drivers' create: new isolate, runtime from
// the V8 code cache, middleware, hook check) plus the first hooked call, median of N each; then
// the hook round trip (build, encode, isolate, decode, apply) of one API of each, in alternating
// blocks, with the isolate's own CPU time per call.
// Run as: node --no-node-snapshot bench/micro/lua.mjs [samples] [calls]
import { benchSpec, distModule, fakeRequestState } from '../lib/dist.mjs';
import { median } from '../lib/load.mjs';
import { LUA_PLUGIN, LUA_PLUGIN_FILE } from '../lib/lua.mjs';
import { ISOLATE_PLUGIN } from '../lib/plugins.mjs';
import { emitResult } from './emit.mjs';

const samples = Number(process.argv[2] ?? 20);
const calls = Number(process.argv[3] ?? 5000);
const { Drivers } = distModule('coprocess/drivers/index.js');
const { buildHookObject, applyHookResult } = distModule('coprocess/message.js');

const { parseGatewayConfig } = distModule('config/gateway-config.js');
// The gateway config's defaults, as a gateway with an empty config file has them.
const config = parseGatewayConfig({}, '<bench>', process.cwd());
const drivers = new Drivers({ config, events: { fire() {} } });

const VARIANTS = {
  js: { driver: 'isolate', file: 'bench-plugin.js', code: ISOLATE_PLUGIN },
  lua: { driver: 'lua', file: LUA_PLUGIN_FILE, code: LUA_PLUGIN },
};

function specFor(kind, i) {
  const v = VARIANTS[kind];
  return benchSpec({ apiId: `cold-${kind}-${i}`, driver: v.driver, file: v.file, code: v.code, config });
}

const ms = (t0) => performance.now() - t0;

async function one(kind, i) {
  const { spec, hook } = specFor(kind, i);
  const t0 = performance.now();
  const dispatcher = await drivers.create(spec, 1);
  const loadMs = ms(t0);
  const state = fakeRequestState();
  applyHookResult(state, await dispatcher.dispatch(buildHookObject(state, hook, { OrgID: 'bench', APIID: spec.apiId })));
  const totalMs = ms(t0);
  if (state.headers['x-bench'] !== '1') throw new Error(`the ${kind} hook did not run`);
  await dispatcher.dispose();
  return { loadMs, firstCallMs: totalMs - loadMs, totalMs };
}

// The first isolate of each runtime compiles it and makes its code cache (Lua: on the host).
const first = { js: await one('js', 0), lua: await one('lua', 0) };
const runs = { js: [], lua: [] };
for (let i = 1; i <= samples; i++) {
  runs.js.push(await one('js', i));
  runs.lua.push(await one('lua', i));
}
const summary = (list) => ({ medianTotalMs: median(list.map((r) => r.totalMs)), medianLoadMs: median(list.map((r) => r.loadMs)), medianFirstCallMs: median(list.map((r) => r.firstCallMs)) });

/** Round trips on one warm API of each kind, in alternating blocks: median µs and isolate CPU µs per call. */
async function roundTrips() {
  const apis = {};
  for (const kind of ['js', 'lua']) {
    const { spec, hook } = specFor(kind, 'warm');
    apis[kind] = { hook, spec, dispatcher: await drivers.create(spec, 1), times: [], cpuMs: 0 };
  }
  const block = Math.max(1, Math.floor(calls / 10));
  for (let done = 0; done < calls; done += block) {
    for (const api of Object.values(apis)) {
      const cpu0 = api.dispatcher.stats().cpuTimeMs;
      for (let i = 0; i < block; i++) {
        const state = fakeRequestState();
        const t0 = performance.now();
        applyHookResult(state, await api.dispatcher.dispatch(buildHookObject(state, api.hook, { OrgID: 'bench', APIID: api.spec.apiId })));
        api.times.push((performance.now() - t0) * 1000);
      }
      api.cpuMs += api.dispatcher.stats().cpuTimeMs - cpu0;
    }
  }
  const out = {};
  for (const [kind, api] of Object.entries(apis)) {
    await api.dispatcher.dispose();
    out[kind] = { medianUs: median(api.times), isolateCpuUs: (api.cpuMs * 1000) / api.times.length };
  }
  return out;
}

emitResult({ samples, firstInProcess: first, js: summary(runs.js), lua: summary(runs.lua), calls, roundTrip: await roundTrips() });
