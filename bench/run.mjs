// `npm run bench`: isogate side by side with a bare Node proxy (issue 8). Starts a loopback
// upstream, measures each system with autocannon from this process (every system runs in its
// own child process), then the micro figures; prints Markdown tables and writes JSON to
// bench/results/<timestamp>.json. See `npm run bench -- --help`.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs, USAGE } from './lib/args.mjs';
import { startServer } from './lib/child.mjs';
import { cpuMeter, waitForQuiet } from './lib/cpu.mjs';
import { measure, median } from './lib/load.mjs';
import { commandLine, machineInfo } from './lib/machine.mjs';
import { runMicroFigures } from './lib/micro.mjs';
import { BENCH_DIR, RESULTS_DIR, ROOT, cliPath } from './lib/paths.mjs';
import { cpuPerRequestUs, microTable, systemsTable } from './lib/report.mjs';
import { SYSTEMS, verifySystem } from './lib/systems.mjs';
import { pythonBlock } from './lib/python.mjs';

const say = (text = '') => process.stdout.write(`${text}\n`);
const t0 = performance.now();
const progress = (text) => say(`· [${((performance.now() - t0) / 1000).toFixed(1)} s] ${text}`);

/** The rest of the machine counts as quiet under this share of one core. */
const QUIET_PCT = 15;
let lastBusyNote = 0;
function noteBusy(pct) {
  if (performance.now() - lastBusyNote < 10_000) return;
  lastBusyNote = performance.now();
  progress(`waiting for the machine to go quiet (other processes use ${pct}% of a core)`);
}

/** With --profile, every system (gateways and the floor proxy) writes a V8 CPU profile (on its graceful exit) for bench/profile.mjs. */
function gatewayNodeArgs(opts, system) {
  if (!opts.profile) return [];
  return ['--cpu-prof', '--cpu-prof-dir', join(RESULTS_DIR, 'profiles'), '--cpu-prof-name', `system-${system.id}-${Date.now()}.cpuprofile`];
}

/** Warnings and errors the system logged (pino JSON lines), to say why a probe failed. */
function loggedProblems(log) {
  const out = [];
  for (const line of log?.lines ?? []) {
    try {
      const entry = JSON.parse(line);
      if (entry.level >= 40) out.push(entry.msg);
    } catch {
      // not a JSON log line
    }
  }
  return out;
}

/** Start, verify and measure one system once; returns its figures or { unavailable | error }. */
async function runSystem(system, upstream, opts) {
  let running;
  try {
    running = await system.start(upstream, { nodeArgs: gatewayNodeArgs(opts, system) });
    await verifySystem(system, running.url);
  } catch (err) {
    const problems = loggedProblems(running?.log);
    await running?.stop();
    const reason = `${err.message.split('\n')[0].replace(/\s+/g, ' ').slice(0, 200)}${problems.length ? ` — gateway: ${problems[0]}` : ''}`;
    const detail = [err.message, ...problems].join('\n');
    return system.optional ? { unavailable: reason, detail } : { error: detail };
  }
  try {
    const quietBefore = opts.waitQuiet > 0 ? await waitForQuiet(opts.waitQuiet, QUIET_PCT, noteBusy) : undefined;
    let meter;
    // A system's helper processes (the Python plugin host) count as the system's CPU.
    const extraPids = running.extraPids ?? [];
    const beforeMeasured = async () => {
      meter = await cpuMeter([running.pid, upstream.child.pid, process.pid, ...extraPids]);
    };
    const m = await measure({ url: `${running.url}/`, connections: opts.connections, durationS: opts.duration, warmupS: opts.warmup, headers: system.headers, beforeMeasured });
    const { pct: [gateway, up, gen, ...helpers], otherPct } = await meter.stop();
    const sys = gateway + helpers.reduce((a, b) => a + b, 0);
    const extra = (await running.extra?.()) ?? {};
    return { ...m, ...extra, cpu: { system: sys, upstream: up, loadgen: gen, other: otherPct }, otherCpuBeforePct: quietBefore };
  } finally {
    await running.stop();
  }
}

/** The round whose req/s is the median: its latencies are reported with it, consistently. */
function medianRound(rounds) {
  const sorted = [...rounds].sort((a, b) => a.reqPerSec - b.reqPerSec);
  return {
    ...sorted[Math.floor((sorted.length - 1) / 2)],
    rounds: rounds.map((r) => ({ reqPerSec: Math.round(r.reqPerSec), p50Ms: r.p50Ms, p99Ms: r.p99Ms, cpu: r.cpu })),
  };
}

async function runSystems(opts, upstream) {
  // The load generator (this process) and the upstream get faster as their JIT warms up; left
  // cold, the first system measured would be handicapped, and the floor comes first.
  progress('warming up the load generator and the upstream');
  await measure({ url: `${upstream.url}/`, connections: opts.connections, durationS: opts.harnessWarmup, warmupS: 0 });
  const chosen = SYSTEMS.filter((s) => opts.systems.includes(s.id));
  const perSystem = new Map(chosen.map((s) => [s.id, []]));
  const failed = new Map();
  for (let round = 1; round <= opts.rounds; round++) {
    for (const system of chosen) {
      if (failed.has(system.id)) continue;
      progress(`(${system.id}) ${system.label}${opts.rounds > 1 ? `, round ${round}/${opts.rounds}` : ''}`);
      const r = await runSystem(system, upstream, opts);
      if (r.unavailable || r.error) failed.set(system.id, r);
      else perSystem.get(system.id).push(r);
    }
  }
  const floorRounds = perSystem.get('a');
  return chosen.map((s) => {
    const base = { id: s.id, label: s.label, target: s.target };
    const f = failed.get(s.id);
    if (f) return { ...base, ...f };
    const rounds = perSystem.get(s.id);
    // Each round's ratio uses the floor measured in the same round, minutes apart at most, so
    // that background load drifting during a long run skews numerator and denominator alike.
    const ratios = rounds.map((r, i) => (floorRounds[i] ? r.reqPerSec / floorRounds[i].reqPerSec : NaN)).filter(Number.isFinite);
    const m = medianRound(rounds);
    return { ...base, ...m, ratio: ratios.length ? median(ratios) : NaN, ratios, cpuUsPerReq: cpuPerRequestUs(m) };
  });
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  if (opts.help) {
    say(USAGE);
    return 0;
  }
  if (opts.dist) process.env.ISOGATE_BENCH_DIST = resolve(opts.dist);
  if (!existsSync(cliPath())) {
    process.stderr.write(`${cliPath()} is missing: run \`npm run build\` first\n`);
    return 1;
  }
  const machine = machineInfo();
  const command = commandLine(process.argv.slice(2));
  const startedAt = new Date();
  say(`isogate bench — ${startedAt.toISOString()}`);
  say(`command: ${command}`);
  say(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}`);
  say(`runtime: node ${machine.node}, isolated-vm ${machine.isolatedVm}, autocannon ${machine.autocannon}, isogate ${opts.dist ? `build in ${process.env.ISOGATE_BENCH_DIST}` : machine.git}`);
  const settings = opts.systemsTable ? `${opts.connections} connections, ${opts.duration} s measured after ${opts.warmup} s warm-up, ${opts.rounds} round(s)` : 'micro only';
  say(`settings: ${settings}${opts.smoke ? ' (smoke mode: numbers are not meaningful)' : ''}`);
  const busy = await waitForQuiet(0);
  if (busy >= QUIET_PCT) say(`warning: other processes use ${busy}% of a core right now: their work skews the numbers (see the "other" column)`);
  say();

  const upstream = await startServer(join(BENCH_DIR, 'servers', 'upstream.mjs'));
  const result = { startedAt: startedAt.toISOString(), command, machine, settings: opts, otherCpuBeforePct: busy };
  let exitCode = 0;
  try {
    if (opts.systemsTable) {
      result.systems = await runSystems(opts, upstream);
      say();
      say(systemsTable(result.systems));
      const python = pythonBlock(result.systems);
      if (python) say(`\n${python}`);
      say('CPU: % of one core over the measured run (2 cores = 200%), per process; "load gen" is this process (autocannon);\n"other" is the rest of the machine (anything but a few % means the row is skewed).');
      say('CPU µs/req: the system process\'s CPU time (all threads) per request served.');
      for (const s of result.systems.filter((x) => x.error)) {
        say(`\n(${s.id}) failed: ${s.error}`);
        exitCode = 1;
      }
      for (const s of result.systems.filter((x) => x.unavailable)) say(`(${s.id}) not available yet: ${s.unavailable}`);
      say();
    }
    if (opts.micro) {
      result.micro = await runMicroFigures(opts, upstream.url, progress);
      const { text, targets } = microTable(result.micro);
      result.microTargets = targets;
      say();
      say(text);
      say();
    }
  } finally {
    await upstream.stop();
  }
  result.finishedAt = new Date().toISOString();
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${startedAt.toISOString().replace(/[:.]/g, '-')}${opts.smoke ? '-smoke' : ''}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  say(`results: ${relative(ROOT, file)}`);
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
