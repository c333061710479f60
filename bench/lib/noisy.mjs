// The "noisy neighbour" figure (issue 15): API B, hooked and healthy, under load, while API A on
// the same gateway spins until its hook timeout on every 50th request. What B keeps of its solo
// throughput, and B's p99, say whether one plugin's misbehaviour reaches another API.
import { makeWorkspace, startGateway } from './gateway.mjs';
import { measure, median } from './load.mjs';
import { ISOLATE_PLUGIN, apiDefinition, noisyPlugin, preHookApi } from './plugins.mjs';

const SPIN_EVERY = 50;
const NOISY_TIMEOUT_MS = 200;

/**
 * `rounds` pairs of B alone and B beside a loaded A, alternating, in one gateway process.
 * B gets `connections` connections, A a quarter of them.
 */
export async function noisyNeighbour(upstreamUrl, { connections, durationS, warmupS, rounds }) {
  const ws = makeWorkspace();
  ws.writeMiddleware('bench-plugin.js', ISOLATE_PLUGIN);
  ws.writeMiddleware('noisy-plugin.js', noisyPlugin(SPIN_EVERY));
  ws.writeApi(preHookApi('bench-quiet', '/quiet/', upstreamUrl));
  ws.writeApi(
    apiDefinition('bench-noisy', '/noisy/', upstreamUrl, {
      custom_middleware: { driver: 'isolate', pre: [{ name: 'noisyPre', path: 'noisy-plugin.js' }], limits: { hook_timeout_ms: NOISY_TIMEOUT_MS } },
    }),
  );
  const gw = await startGateway(ws, { logLevel: 'error' });
  try {
    const b = { url: `${gw.url}/quiet/`, connections, durationS, warmupS };
    const a = { url: `${gw.url}/noisy/`, connections: Math.max(1, Math.round(connections / 4)), durationS: durationS + warmupS + 1, warmupS: 0 };
    const solo = [];
    const noisy = [];
    let neighbour;
    for (let i = 0; i < rounds; i++) {
      solo.push(await measure(b));
      const aRun = measure(a);
      noisy.push(await measure(b));
      neighbour = await aRun;
    }
    const pick = (runs) => ({ reqPerSec: median(runs.map((r) => r.reqPerSec)), p99Ms: median(runs.map((r) => r.p99Ms)), failed: runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0) });
    const ratios = noisy.map((r, i) => r.reqPerSec / solo[i].reqPerSec);
    return {
      spinEvery: SPIN_EVERY,
      noisyTimeoutMs: NOISY_TIMEOUT_MS,
      rounds,
      solo: pick(solo),
      noisy: pick(noisy),
      ratio: median(ratios),
      ratios,
      // A's own figures in the last round: its spinners fail (500), the rest must not.
      neighbour: { reqPerSec: neighbour.reqPerSec, ok: neighbour.ok, non2xx: neighbour.non2xx, p99Ms: neighbour.p99Ms },
    };
  } finally {
    await gw.stop();
    ws.dispose();
  }
}
