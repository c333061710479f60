/**
 * Every plugin host process this gateway started and has not seen exit. Each one runs in its
 * own process group (spawned detached), so killing the group also ends anything the plugin
 * itself started.
 *
 * On a normal stop the driver stops them (drivers/python/plugin.ts `close`). This list covers
 * the other ways out: process.exit() from anywhere kills them synchronously on 'exit'. When the
 * gateway is killed outright (SIGKILL), the hosts notice on their own: Linux's parent-death
 * signal and the end of their channel (host/_isogate_host/limits.py, channel.py).
 */
const live = new Set<number>();
let hooked = false;

export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export function trackProcess(pid: number): void {
  live.add(pid);
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const p of live) killGroup(p);
  });
}

export function untrackProcess(pid: number): void {
  live.delete(pid);
}

export function liveProcessCount(): number {
  return live.size;
}
