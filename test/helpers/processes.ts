// Every process a test starts goes through here. Each is spawned in its own process group
// (`detached: true`), so stopping it reaches everything it started in turn: a supervised
// gateway's worker, a bench's gateways, the Python interpreter behind run.sh. Groups still alive
// when the run ends are killed by the root `afterAll` hook (root-hooks.ts), or, when the process
// exits without running it (process.exit, a signal), by the handlers at the bottom of this file:
// a test that times out or fails halfway leaves nothing running.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { sleep, until } from './poll';

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Tracked {
  readonly child: ChildProcess;
  /** The leader's pid, which is also the process group id. */
  readonly pid: number;
  /** stdout and stderr chunks in arrival order. */
  readonly output: string[];
  readonly stdout: string[];
  /** Resolves when the leader has exited. */
  readonly exited: Promise<Exit>;
  /**
   * SIGTERM to the whole group; SIGKILL to whatever of it is left after `graceMs` (at once for 0).
   * Resolves with the leader's exit once no process of the group is alive.
   */
  stop(graceMs?: number): Promise<Exit>;
  /** Resolves once stdout and stderr are closed, so `output` is complete. */
  readonly closed: Promise<void>;
}

const running = new Set<Tracked>();

/** Pids of the live (not zombie) processes in process group `pgid`, from /proc. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') members.push(Number(entry));
  }
  return members;
}

/** Whether `pid` is a live process (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is gone already
  }
}

/** Start `command` in its own process group, tracked until it and its group are gone. */
export function spawnTracked(command: string, args: string[], options: SpawnOptions = {}): Tracked {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  const output: string[] = [];
  const stdout: string[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    output.push(d.toString());
    stdout.push(d.toString());
  });
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // 'close' comes after the last output: once every process holding the pipes has gone.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let stopping: Promise<Exit> | undefined;
  const tracked: Tracked = {
    child,
    pid,
    output,
    stdout,
    exited,
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        if (graceMs > 0) signalGroup(pid, 'SIGTERM');
        // The leader may be gone while a member (a worker finishing its requests) is not.
        const graceful = await until(() => child.exitCode !== null || child.signalCode !== null ? groupMembers(pid).length === 0 : false, {
          timeoutMs: graceMs,
          stepMs: 20,
        }).then(() => true, () => false);
        if (!graceful) {
          signalGroup(pid, 'SIGKILL');
          await until(() => groupMembers(pid).length === 0, { timeoutMs: 5000, stepMs: 20, what: `process group ${pid} to die after SIGKILL` });
        }
        const exit = await exited;
        running.delete(tracked);
        return exit;
      })();
      return stopping;
    },
    closed,
  };
  running.add(tracked);
  return tracked;
}

export interface RunResult extends Exit {
  /** stdout and stderr together. */
  out: string;
  stdout: string;
}

/** Run `command` to completion (its group is killed after `timeoutMs`), collecting its output. */
export async function runToEnd(command: string, args: string[], options: SpawnOptions & { timeoutMs?: number } = {}): Promise<RunResult> {
  const proc = spawnTracked(command, args, options);
  const timer = setTimeout(() => void proc.stop(0), options.timeoutMs ?? 20_000);
  const exit = await proc.exited;
  clearTimeout(timer);
  await proc.stop(); // whatever it left behind in its group
  await Promise.race([proc.closed, sleep(1000)]);
  return { ...exit, out: proc.output.join(''), stdout: proc.stdout.join('') };
}

/** Stop every tracked process group that is still alive (the root afterAll hook calls this). */
export async function stopAll(graceMs = 3000): Promise<void> {
  await Promise.all([...running].map((proc) => proc.stop(graceMs)));
}

/** The last resort, synchronous: SIGKILL every tracked group. */
function killAllNow(): void {
  for (const proc of running) signalGroup(proc.pid, 'SIGKILL');
}

process.on('exit', killAllNow);
// Ctrl-C reaches only the terminal's foreground group, which the detached children are not in:
// kill them, then die of the same signal as before.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAllNow();
    process.kill(process.pid, signal);
  });
}
