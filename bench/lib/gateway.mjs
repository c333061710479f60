// Runs the real gateway (dist/src/cli.js --no-supervisor) as a child process in a temp
// workspace: one process, as production would run one worker, so its RSS and CPU are its own.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnNode } from './child.mjs';
import { cliPath } from './paths.mjs';

export const SECRET = 'bench-secret';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A temp folder with `apps/` and `middleware/`, removed by `dispose()`. */
export function makeWorkspace() {
  const dir = mkdtempSync(join(tmpdir(), 'isogate-bench-'));
  mkdirSync(join(dir, 'apps'));
  mkdirSync(join(dir, 'middleware'));
  return {
    dir,
    writeApi(def) {
      writeFileSync(join(dir, 'apps', `${def.api_id}.json`), JSON.stringify(def));
    },
    writeMiddleware(name, code) {
      const file = join(dir, 'middleware', name);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, code);
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitReady(url, proc, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`gateway exited with ${proc.child.exitCode}:\n${proc.log.text()}`);
    try {
      const res = await fetch(`${url}/hello`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gateway not ready after ${timeoutMs} ms:\n${proc.log.text()}`);
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS). */
export async function rssOf(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/**
 * Start a gateway over `workspace` (`options.nodeArgs`: extra node flags, e.g. --cpu-prof). Resolves once `/hello` answers 200 (every API loaded) with
 * { url, pid, startMs, admin(path, init), stop(), log }.
 */
export async function startGateway(workspace, options = {}) {
  const port = await freePort();
  const config = {
    listen_address: '127.0.0.1',
    listen_port: port,
    secret: SECRET,
    app_path: './apps',
    middleware_path: './middleware',
    ...options.config,
  };
  const confFile = join(workspace.dir, 'gateway.json');
  writeFileSync(confFile, JSON.stringify(config, null, 2));
  const started = performance.now();
  // `supervise`: run under the supervisor (quarantine, standby worker); `pid` is then the supervisor's.
  const proc = spawnNode(['--no-node-snapshot', ...(options.nodeArgs ?? [])], cliPath(), ['--conf', confFile, ...(options.supervise ? [] : ['--no-supervisor'])], {
    cwd: workspace.dir,
    env: { ISOGATE_LOG_LEVEL: options.logLevel ?? 'info' },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, proc, options.readyTimeoutMs ?? 30_000);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  const startMs = performance.now() - started;
  const admin = (path, init = {}) => fetch(`${url}${path}`, { ...init, headers: { 'x-tyk-authorization': SECRET, ...(init.headers ?? {}) } });
  return { url, port, pid: proc.child.pid, startMs, admin, log: proc.log, stop: proc.stop, child: proc.child };
}
