// Child processes of the bench: the upstream, the floor proxy and the gateway each run in their
// own process, so the load generator (in the bench process) never shares an event loop with
// the system it measures.
import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** Keeps the last lines a child printed, for error reports, without growing without bound. */
export class TailLog {
  constructor(max = 200) {
    this.max = max;
    this.lines = [];
    this.partial = '';
  }

  push(chunk) {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop();
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > this.max) this.lines.shift();
    }
  }

  text() {
    return [...this.lines, this.partial].filter(Boolean).join('\n');
  }
}

/** Children still running: killed if the bench exits early (Ctrl-C, a crash), never orphaned. */
const live = new Set();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => process.exit(130));
}

/**
 * Spawn `node [nodeArgs] script [args]`; stdout/stderr are drained into a TailLog (an undrained
 * pipe would eventually block a chatty child and distort its numbers).
 */
export function spawnNode(nodeArgs, script, args, options = {}) {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const log = new TailLog(options.tail ?? 200);
  child.stdout.on('data', (d) => {
    log.push(d);
    options.onStdout?.(d);
  });
  child.stderr.on('data', (d) => log.push(d));
  const stop = async (timeoutMs = 15_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const [code] = await exited;
    clearTimeout(timer);
    return code;
  };
  return { child, log, stop };
}

/** A bench server script that prints one JSON line `{"port": N}` once it listens. */
export async function startServer(script, args = [], { timeoutMs = 10_000, nodeArgs = [] } = {}) {
  let resolvePort;
  const portSeen = new Promise((resolve) => (resolvePort = resolve));
  let buffered = '';
  const proc = spawnNode(nodeArgs, script, args, {
    onStdout: (d) => {
      buffered += d.toString();
      const line = buffered.split('\n').find((l) => l.startsWith('{'));
      if (line) resolvePort(JSON.parse(line).port);
    },
  });
  const exited = once(proc.child, 'exit').then(([code]) => {
    throw new Error(`${script} exited with ${code} before listening:\n${proc.log.text()}`);
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${script} did not listen within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const port = await Promise.race([portSeen, exited, timeout]);
    return { ...proc, port, url: `http://127.0.0.1:${port}` };
  } catch (err) {
    await proc.stop();
    throw err;
  } finally {
    clearTimeout(timer);
    exited.catch(() => undefined);
  }
}
