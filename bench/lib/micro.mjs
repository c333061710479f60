// Runs the in-process micro benchmarks, each in its own child process (isolated-vm needs
// --no-node-snapshot, and their isolates must not share a heap or CPU with the load generator),
// plus the gateway-level ones.
import { join } from 'node:path';
import { spawnNode } from './child.mjs';
import { abortOutage, baselineRss, coldStartViaAdmin, rssPerApi, spamIsolation } from './gateway-micro.mjs';
import { luaMicroFigures } from './lua.mjs';
import { noisyNeighbour } from './noisy.mjs';
import { BENCH_DIR } from './paths.mjs';
import { RESULT_TAG } from '../micro/emit.mjs';

function runMicro(script, args) {
  return new Promise((resolve, reject) => {
    let out = '';
    const proc = spawnNode(['--no-node-snapshot'], join(BENCH_DIR, 'micro', script), args.map(String), {
      env: { ISOGATE_LOG_LEVEL: 'warn' },
      onStdout: (d) => (out += d.toString()),
    });
    proc.child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_TAG));
      if (code === 0 && line) resolve(JSON.parse(line.slice(RESULT_TAG.length)));
      else reject(new Error(`bench/micro/${script} exited with ${code}:\n${proc.log.text()}`));
    });
  });
}

/** Every micro figure; `progress(text)` reports which one is running. */
export async function runMicroFigures(opts, upstreamUrl, progress) {
  progress('metrics recording per request');
  const metrics = await runMicro('metrics.mjs', [opts.smoke ? 100_000 : 2_000_000]);
  progress('dispatch round trip');
  const dispatch = await runMicro('dispatch.mjs', [opts.dispatchIterations]);
  progress('cold start (in process)');
  const coldInProcess = await runMicro('cold-start.mjs', [opts.coldSamples]);
  progress('cold start (management API)');
  const coldViaAdmin = await coldStartViaAdmin(upstreamUrl, opts.coldSamples);
  progress('noisy neighbour');
  const noisy = await noisyNeighbour(upstreamUrl, { connections: opts.connections, durationS: opts.duration, warmupS: opts.warmup, rounds: Math.max(2, Math.min(3, opts.rounds)) });
  progress('TykTriggerEvent rate');
  const events = await runMicro('events.mjs', [opts.eventSeconds, opts.eventsPerCall]);
  progress('RSS baseline');
  const baseline = await baselineRss(upstreamUrl, opts.settleMs);
  const rss = [];
  for (const count of opts.rssApis) {
    progress(`RSS with ${count} hooked APIs`);
    rss.push(await rssPerApi(upstreamUrl, count, baseline, opts.settleMs));
  }
  progress('session store cost per authorised request');
  const store = await runMicro('store.mjs', [opts.smoke ? 3000 : 50000]);
  progress('containment: entry record, output budget, validation child');
  const containment = await runMicro('containment.mjs', [opts.dispatchIterations]);
  progress('containment: another API under log/event spam');
  const spam = await spamIsolation(upstreamUrl, opts.smoke ? 500 : 5000);
  // A real abort takes seconds of V8's last-resort GCs: left out of the smoke run.
  let outage;
  if (!opts.smoke) {
    progress('containment: outage of the other APIs after one abort');
    outage = await abortOutage(upstreamUrl);
  }
  // Driver lua: its bring-up, round trip and RSS beside the JS figures above.
  const lua = await luaMicroFigures(opts, upstreamUrl, progress, { runMicro, rssPerApi, baseline, settleMs: opts.settleMs });
  return { metrics, dispatch, coldInProcess, coldViaAdmin, noisy, events, rss, containment, spam, outage, lua, store };
}
