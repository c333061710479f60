// CPU time of a process from /proc/<pid>/stat, so the table can show which process was the
// bottleneck: on 2 cores the load generator, the upstream and the system under test compete.
import { readFile } from 'node:fs/promises';

/** USER_HZ: 100 on every mainstream Linux build; /proc reports utime/stime in these ticks. */
const TICKS_PER_SECOND = 100;

export async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name (which may contain spaces).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / TICKS_PER_SECOND;
}

/** Busy CPU seconds of the whole machine, all cores (from the first line of /proc/stat). */
export async function machineBusySeconds() {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + (steal || 0)) / TICKS_PER_SECOND;
}

/**
 * Start measuring the given pids; `stop()` returns each one's CPU use as % of one core, and
 * `other`: what the rest of the machine used meanwhile (other people's work skews the run).
 */
export async function cpuMeter(pids) {
  const t0 = performance.now();
  const machine0 = await machineBusySeconds();
  const before = await Promise.all(pids.map((pid) => cpuSeconds(pid).catch(() => NaN)));
  return {
    async stop() {
      const wall = (performance.now() - t0) / 1000;
      const after = await Promise.all(pids.map((pid) => cpuSeconds(pid).catch(() => NaN)));
      const machine = ((await machineBusySeconds()) - machine0) / wall;
      const ours = after.map((a, i) => (a - before[i]) / wall);
      const other = Math.max(0, machine - ours.reduce((sum, v) => sum + (Number.isFinite(v) ? v : 0), 0));
      return { pct: ours.map((v) => Math.round(v * 100)), otherPct: Math.round(other * 100) };
    },
  };
}

/**
 * Wait (up to `maxWaitS`) until the rest of the machine uses under `thresholdPct` of one core,
 * sampled over 1 s. Returns the last sample, in % of one core.
 */
export async function waitForQuiet(maxWaitS, thresholdPct = 15, onWait = () => {}) {
  const deadline = performance.now() + maxWaitS * 1000;
  for (;;) {
    const b0 = await machineBusySeconds();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    const busy = Math.round((((await machineBusySeconds()) - b0) / ((performance.now() - t0) / 1000)) * 100);
    if (busy < thresholdPct || performance.now() >= deadline) return busy;
    onWait(busy);
  }
}
