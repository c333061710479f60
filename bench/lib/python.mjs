// System (g): one Python pre hook (driver `python`), written as Tyk documents Python plugins.
// Its hook runs in a separate Python process, so that process's CPU is counted with the
// gateway's, and its RSS is reported beside the ratios to the floor (a) and the isolate (c).
import { readdirSync, readFileSync } from 'node:fs';
import { rssOf } from './gateway.mjs';
import { apiDefinition } from './plugins.mjs';

export const PYTHON_PLUGIN = `from tyk.decorators import *


@Hook
def BenchPre(request, session, spec):
    request.add_header("X-Bench", "1")
    return request, session
`;

/** API `apiId` whose folder (middleware_path/{apiId}/middleware.py) holds the plugin. */
export function pythonApi(apiId, listenPath, target) {
  return apiDefinition(apiId, listenPath, target, { custom_middleware: { driver: 'python', pre: [{ name: 'BenchPre' }] } });
}

/** The child processes of `parentPid` whose command line includes `command` (any, without). */
export function childPidsOf(parentPid, command = '') {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parentPid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(command)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** The plugin host processes a gateway started (children running isogate_host.py). */
export const hostPidsOf = (gatewayPid) => childPidsOf(gatewayPid, 'isogate_host.py');

/** What (g) adds to its row: the Python process's idle RSS after the run. */
export async function pythonExtra(pids) {
  const rss = await Promise.all(pids.map((pid) => rssOf(pid).catch(() => NaN)));
  return { hostRssMiB: rss.reduce((a, b) => a + b, 0) / 2 ** 20 };
}

const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

/** The Python block under the systems table: (g) against the floor and against the isolate driver. */
export function pythonBlock(systems) {
  const g = systems.find((s) => s.id === 'g');
  if (!g || g.unavailable || g.error) return '';
  const c = systems.find((s) => s.id === 'c' && !s.unavailable && !s.error);
  const toIsolate = c ? g.reqPerSec / c.reqPerSec : NaN;
  return [
    '| Python driver | req/s | × floor (a) | × isolate pre hook (c) | CPU µs/req (gateway + Python) | Python process RSS |',
    '|---|---:|---:|---:|---:|---:|',
    `| (g) one Python pre hook | ${Math.round(g.reqPerSec).toLocaleString('en-US')} | ${fmt(g.ratio)} | ${fmt(toIsolate)} | ${fmt(g.cpuUsPerReq, 0)} | ${fmt(g.hostRssMiB, 1)} MiB |`,
  ].join('\n');
}
