// The systems measured side by side (issue 8). Each knows how to start itself against the
// upstream, which request to send, and which headers must reach the upstream to prove its
// hooks ran. Every isogate system gets a fresh gateway process of its own.
import { join } from 'node:path';
import { startServer } from './child.mjs';
import { makeWorkspace, startGateway } from './gateway.mjs';
import { LUA_PLUGIN, LUA_PLUGIN_FILE, luaPreHookApi } from './lua.mjs';
import { BENCH_DIR } from './paths.mjs';
import { AUTH_TOKEN, ISOLATE_PLUGIN, JSVM_PLUGIN, apiDefinition, authChainApi, jsvmApi, preHookApi } from './plugins.mjs';
import { PYTHON_PLUGIN, childPidsOf, hostPidsOf, pythonApi, pythonExtra } from './python.mjs';
import { transformsApi } from './transforms.mjs';
import { WEB_HEADERS, WEB_PLUGIN, WEB_PLUGIN_FILE, webVerifyApi } from './web.mjs';

const AUTH = { authorization: AUTH_TOKEN };

/** Start a gateway serving the single API `def`; the system's base URL is its listen path. */
async function gatewaySystem(def, files, gatewayOptions) {
  const ws = makeWorkspace();
  for (const [name, code] of Object.entries(files)) ws.writeMiddleware(name, code);
  ws.writeApi(def);
  try {
    const gw = await startGateway(ws, gatewayOptions);
    return {
      url: `${gw.url}${def.proxy.listen_path.replace(/\/$/, '')}`,
      pid: gw.pid,
      child: gw.child,
      log: gw.log,
      stop: async () => {
        await gw.stop();
        ws.dispose();
      },
    };
  } catch (err) {
    ws.dispose();
    throw err;
  }
}

/**
 * `expect`: headers the upstream must see on /probe. `probes`: per probe request, headers that
 * must be present (true) or absent (false), e.g. the cached auth must NOT enter the plugin twice.
 */
export const SYSTEMS = [
  {
    id: 'a',
    label: 'node http proxy, +1 header (floor)',
    start: async (upstream, opts) => {
      const proxy = await startServer(join(BENCH_DIR, 'servers', 'floor-proxy.mjs'), [upstream.url], { nodeArgs: opts.nodeArgs });
      return { url: proxy.url, pid: proxy.child.pid, log: proxy.log, stop: proxy.stop };
    },
    probes: [{ 'x-bench': true }],
  },
  {
    id: 'b',
    label: 'isogate keyless, no hooks',
    target: 0.85,
    start: (upstream, opts) => gatewaySystem(apiDefinition('bench-b', '/b/', upstream.url), {}, opts),
    probes: [{ 'x-forwarded-for': true }],
  },
  {
    id: 'c',
    label: 'isogate, 1 isolate pre hook',
    target: 0.7,
    start: (upstream, opts) => gatewaySystem(preHookApi('bench-c', '/c/', upstream.url), { 'bench-plugin.js': ISOLATE_PLUGIN }, opts),
    probes: [{ 'x-bench': true }],
  },
  {
    id: 'd',
    label: 'isogate, pre+pka+post, cached auth_check',
    target: 0.6,
    headers: AUTH,
    start: (upstream, opts) => gatewaySystem(authChainApi('bench-d', '/d/', upstream.url, 'benchAuthCached'), { 'bench-plugin.js': ISOLATE_PLUGIN }, opts),
    // The first request enters auth_check, the second must be served from the ID-extractor cache.
    probes: [
      { 'x-bench': true, 'x-bench-auth': true, 'x-bench-pka': true, 'x-bench-post': true },
      { 'x-bench': true, 'x-bench-auth': false, 'x-bench-pka': true, 'x-bench-post': true },
    ],
  },
  {
    id: 'e',
    label: 'isogate, pre+pka+post, uncached auth_check',
    headers: AUTH,
    start: (upstream, opts) => gatewaySystem(authChainApi('bench-e', '/e/', upstream.url, 'benchAuthUncached'), { 'bench-plugin.js': ISOLATE_PLUGIN }, opts),
    probes: [
      { 'x-bench': true, 'x-bench-auth': true, 'x-bench-pka': true, 'x-bench-post': true },
      { 'x-bench': true, 'x-bench-auth': true, 'x-bench-pka': true, 'x-bench-post': true },
    ],
  },
  {
    id: 'f',
    label: 'isogate, Tyk JSVM pre plugin (otto)',
    // The JSVM driver lands separately; until it does, (f) is reported as not available.
    optional: true,
    start: (upstream, opts) => gatewaySystem(jsvmApi('bench-f', '/f/', upstream.url), { 'bench-jsvm.js': JSVM_PLUGIN }, opts),
    probes: [{ 'x-bench': true }],
  },
  {
    id: 'g',
    label: 'isogate, 1 Python pre hook (driver python)',
    // Needs python3 with grpcio and protobuf; without them (g) is reported as not available.
    optional: true,
    start: async (upstream, opts) => {
      const running = await gatewaySystem(pythonApi('bench-g', '/g/', upstream.url), { 'bench-g/middleware.py': PYTHON_PLUGIN }, opts);
      // The hook's own process: its CPU is part of the system's, its RSS is reported (bench/lib/python.mjs).
      const hosts = hostPidsOf(running.pid);
      return { ...running, extraPids: hosts, extra: () => pythonExtra(hosts) };
    },
    probes: [{ 'x-bench': true }],
  },
];

// Driver lua (issue 19): the pre hook of (c) written as a Tyk Lua plugin, in the same isolate
// model; reported against the floor and against (c), the JS hook.
SYSTEMS.push({
  id: 'l',
  label: 'isogate, 1 Lua pre hook (driver lua)',
  relativeTo: 'c',
  start: (upstream, opts) => gatewaySystem(luaPreHookApi('bench-l', '/l/', upstream.url), { [LUA_PLUGIN_FILE]: LUA_PLUGIN }, opts),
  probes: [{ 'x-bench': true }],
});

// Definition transforms (issue 20): headers, a URL rewrite and a response header, against (b).
SYSTEMS.push({
  id: 't',
  label: 'isogate keyless, 2 global headers + URL rewrite + response header',
  relativeTo: 'b',
  start: (upstream, opts) => gatewaySystem(transformsApi('bench-t', '/t/', upstream.url), {}, opts),
  probes: [{ 'x-bench': true, 'x-bench-id': true }],
});

// The web platform (issue 16): (c)'s hook plus one crypto.subtle HMAC verify, against the floor and (c).
SYSTEMS.push({
  id: 'w',
  label: 'isogate, 1 pre hook doing one crypto.subtle HMAC verify',
  relativeTo: 'c',
  headers: WEB_HEADERS,
  start: (upstream, opts) => gatewaySystem(webVerifyApi('bench-w', '/w/', upstream.url), { [WEB_PLUGIN_FILE]: WEB_PLUGIN }, opts),
  probes: [{ 'x-bench': true, 'x-bench-bad-signature': false }],
});

// Metrics (issue 22): (b) and (c) record Prometheus metrics (enable_metrics defaults to true);
// (b0) and (c0) are the same systems with enable_metrics false. The ratio to (b)/(c) from the same
// rounds, and the CPU µs/req difference, are what recording costs per request.
SYSTEMS.push({
  id: 'b0',
  label: 'isogate keyless, no hooks, metrics off',
  relativeTo: 'b',
  start: (upstream, opts) => gatewaySystem(apiDefinition('bench-b0', '/b0/', upstream.url), {}, { ...opts, config: { enable_metrics: false } }),
  probes: [{ 'x-forwarded-for': true }],
});
SYSTEMS.push({
  id: 'c0',
  label: 'isogate, 1 isolate pre hook, metrics off',
  relativeTo: 'c',
  start: (upstream, opts) => gatewaySystem(preHookApi('bench-c0', '/c0/', upstream.url), { 'bench-plugin.js': ISOLATE_PLUGIN }, { ...opts, config: { enable_metrics: false } }),
  probes: [{ 'x-bench': true }],
});

// Several workers (issue 21): (b) and (c) served by `worker_count: 2` supervised workers sharing
// one socket, against (b)/(c) with one worker in the same rounds. The system's CPU is the
// supervisor's and every worker's. On 2 cores the load generator and the upstream share them.
async function workersSystem(def, files, opts) {
  const running = await gatewaySystem(def, files, { ...opts, supervise: true, config: { ...opts.config, worker_count: 2 } });
  return { ...running, extraPids: childPidsOf(running.pid) };
}
SYSTEMS.push({
  id: 'b2',
  label: 'isogate keyless, no hooks, 2 workers',
  relativeTo: 'b',
  start: (upstream, opts) => workersSystem(apiDefinition('bench-b2', '/b2/', upstream.url), {}, opts),
  probes: [{ 'x-forwarded-for': true }],
});
SYSTEMS.push({
  id: 'c2',
  label: 'isogate, 1 isolate pre hook, 2 workers',
  relativeTo: 'c',
  start: (upstream, opts) => workersSystem(preHookApi('bench-c2', '/c2/', upstream.url), { 'bench-plugin.js': ISOLATE_PLUGIN }, opts),
  probes: [{ 'x-bench': true }],
});

/**
 * Send the system's probe requests to `/probe` (the upstream echoes what it received) and throw
 * unless every expected header arrived (or stayed away).
 */
export async function verifySystem(system, url) {
  for (const [i, expectations] of system.probes.entries()) {
    const res = await fetch(`${url}/probe`, { headers: system.headers ?? {} });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`probe ${i + 1}: status ${res.status}: ${text.replace(/\s+/g, ' ').slice(0, 300)}`);
    const seen = JSON.parse(text).headers;
    for (const [name, present] of Object.entries(expectations)) {
      if ((name in seen) !== present) {
        throw new Error(`probe ${i + 1}: header ${name} ${present ? 'missing at' : 'unexpectedly reached'} the upstream (saw ${Object.keys(seen).join(', ')})`);
      }
    }
  }
}
