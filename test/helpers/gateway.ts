// Starts the real gateway (dist/src/cli.js) as a child process on a free port, with a temp
// folder holding its config, API definitions and middleware; tests talk to it over loopback.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { until } from './poll';
import { CLI } from './paths';
import { freePort } from './ports';
import { runToEnd, spawnTracked, type RunResult, type Tracked } from './processes';

export const SECRET = 'test-secret';

/** An API definition as a test writes it: any shape (tests also write broken ones). */
export interface ApiDef {
  api_id: string;
  [key: string]: unknown;
}

export function makeWorkspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isogate-test-'));
  fs.mkdirSync(path.join(dir, 'apps'));
  fs.mkdirSync(path.join(dir, 'middleware'));
  return dir;
}

export function writeApi(dir: string, def: ApiDef): void {
  fs.writeFileSync(path.join(dir, 'apps', `${def.api_id}.json`), JSON.stringify(def, null, 2));
}

export function writeMiddleware(dir: string, name: string, code: string): void {
  const file = path.join(dir, 'middleware', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, code);
}

/** Keyless API definition pointing at `target`. */
export function keylessApi(apiId: string, listenPath: string, target: string, extra: Record<string, unknown> = {}): ApiDef {
  return { api_id: apiId, org_id: 'org1', name: apiId, use_keyless: true, proxy: { listen_path: listenPath, target_url: target, strip_listen_path: true }, ...extra };
}

/** A keyless API on /<apiId>/ whose plugins are `customMiddleware` (driver included). */
export function hookedApi(apiId: string, target: string, customMiddleware: Record<string, unknown>, extra: Record<string, unknown> = {}): ApiDef {
  return keylessApi(apiId, `/${apiId}/`, target, { custom_middleware: customMiddleware, ...extra });
}

export interface GatewayOptions {
  /** A workspace prepared with writeApi/writeMiddleware (a fresh one otherwise). */
  dir?: string;
  /** Merged into the gateway config. */
  config?: Record<string, unknown>;
  /** false: --no-supervisor (one process, no restart). */
  supervise?: boolean;
  logLevel?: string;
  /** How long to wait for /hello (several workers start one after another on a busy machine). */
  startTimeoutMs?: number;
  /** Added to the gateway's environment (PYTHON, PYTHONPATH, ...). */
  env?: Record<string, string>;
}

/** What /tyk/reload answers: Tyk's status and message, plus the APIs or files that failed. */
export interface ReloadAnswer {
  status: string;
  message?: string;
  failed?: { file: string; api_id?: string; error: string }[];
}

export interface RunningGateway {
  url: string;
  port: number;
  dir: string;
  /** The gateway's stdout and stderr, in chunks (log lines may trail a response). */
  logs: string[];
  child: ChildProcess;
  /** The CLI process, which is also its process group: the supervisor, and its worker in it. */
  process: Tracked;
  /** fetch a management API path with the secret. */
  admin(p: string, init?: RequestInit): Promise<Response>;
  /** A blocking /tyk/reload, answered JSON. */
  reload(): Promise<ReloadAnswer>;
  /** Resolves once the logs hold `text`: log lines travel worker → supervisor → here and may trail a response. */
  waitForLog(text: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM (graceful), SIGKILL after a grace; resolves with the exit code once all its processes are gone. */
  stop(): Promise<number | null>;
}

/** Start a gateway; resolves once /hello answers 200. */
export async function startGateway(options: GatewayOptions = {}): Promise<RunningGateway> {
  const dir = options.dir ?? makeWorkspace();
  const port = await freePort();
  // Memory unless the test asks for a store: most tests need no state across processes, and an
  // embedded store per test would only cost time (test/store-embedded.test.ts asks for one).
  const config = { listen_address: '127.0.0.1', listen_port: port, secret: SECRET, app_path: './apps', middleware_path: './middleware', storage: { type: 'memory' }, ...options.config };
  const confFile = path.join(dir, 'gateway.json');
  fs.writeFileSync(confFile, JSON.stringify(config, null, 2));
  const args = ['--no-node-snapshot', CLI, '--conf', confFile];
  if (options.supervise === false) args.push('--no-supervisor');
  const proc = spawnTracked(process.execPath, args, { cwd: dir, env: { ...process.env, ISOGATE_LOG_LEVEL: options.logLevel ?? 'info', ...options.env } });
  const url = `http://127.0.0.1:${port}`;
  const state = await until(
    async () => (proc.child.exitCode !== null ? 'exited' : (await fetch(`${url}/hello`).then((r) => r.status === 200, () => false)) && 'ready'),
    { timeoutMs: options.startTimeoutMs ?? 20_000, stepMs: 50, what: 'the gateway to answer /hello' },
  ).catch((err: Error) => err.message);
  if (state !== 'ready') {
    await proc.stop();
    throw new Error(`gateway did not start (${state === 'exited' ? `exited with ${proc.child.exitCode}` : state}):\n${proc.output.join('')}`);
  }
  const admin = (p: string, init: RequestInit = {}) =>
    fetch(`${url}${p}`, { ...init, headers: { 'x-tyk-authorization': SECRET, ...(init.headers as Record<string, string> | undefined) } });
  return {
    url,
    port,
    dir,
    logs: proc.output,
    child: proc.child,
    process: proc,
    admin,
    reload: async () => (await admin('/tyk/reload?block=true')).json() as Promise<ReloadAnswer>,
    waitForLog: async (text, timeoutMs = 5000) => {
      await until(() => proc.output.join('').includes(text), { timeoutMs, stepMs: 50 }).catch(() => {
        throw new Error(`the gateway log did not show ${JSON.stringify(text)} within ${timeoutMs} ms:\n${proc.output.join('')}`);
      });
    },
    stop: async () => (await proc.stop()).code,
  };
}

/** Run the CLI to completion (for startup-failure tests). */
export function runCli(args: string[], cwd: string, timeoutMs = 20_000): Promise<RunResult> {
  return runToEnd(process.execPath, [CLI, ...args], { cwd, timeoutMs });
}
