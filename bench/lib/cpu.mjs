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

/** Start measuring the given pids; `stop()` returns each one's CPU use as % of one core. */
export async function cpuMeter(pids) {
  const t0 = performance.now();
  const before = await Promise.all(pids.map((pid) => cpuSeconds(pid).catch(() => NaN)));
  return {
    async stop() {
      const wall = (performance.now() - t0) / 1000;
      const after = await Promise.all(pids.map((pid) => cpuSeconds(pid).catch(() => NaN)));
      return after.map((a, i) => Math.round(((a - before[i]) / wall) * 100));
    },
  };
}
