'use strict';
// Starts the real gateway (dist/src/cli.js) as a child process on a free port, with a temp
// folder holding its config, API definitions and middleware; tests talk to it over loopback.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const SECRET = 'test-secret';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function makeWorkspace() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isogate-test-'));
  fs.mkdirSync(path.join(dir, 'apps'));
  fs.mkdirSync(path.join(dir, 'middleware'));
  return dir;
}

function writeApi(dir, def) {
  fs.writeFileSync(path.join(dir, 'apps', `${def.api_id}.json`), JSON.stringify(def, null, 2));
}

function writeMiddleware(dir, name, code) {
  const file = path.join(dir, 'middleware', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, code);
}

/** Keyless API definition pointing at `target`. */
function keylessApi(apiId, listenPath, target, extra = {}) {
  return { api_id: apiId, org_id: 'org1', name: apiId, use_keyless: true, proxy: { listen_path: listenPath, target_url: target, strip_listen_path: true }, ...extra };
}

async function waitReady(url, child, logs, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}:\n${logs.join('')}`);
    try {
      const res = await fetch(`${url}/hello`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gateway not ready after ${timeoutMs} ms:\n${logs.join('')}`);
}

/**
 * Start a gateway. `options.config` is merged into the gateway config; `options.dir` reuses a
 * workspace prepared with writeApi/writeMiddleware; `options.env` adds environment variables.
 * Resolves with { url, dir, logs, admin, stop }.
 */
async function startGateway(options = {}) {
  const dir = options.dir || makeWorkspace();
  const port = await freePort();
  const config = { listen_address: '127.0.0.1', listen_port: port, secret: SECRET, app_path: './apps', middleware_path: './middleware', ...options.config };
  const confFile = path.join(dir, 'gateway.json');
  fs.writeFileSync(confFile, JSON.stringify(config, null, 2));
  const args = ['--no-node-snapshot', CLI, '--conf', confFile];
  if (options.supervise === false) args.push('--no-supervisor');
  const logs = [];
  const env = { ...process.env, ISOGATE_LOG_LEVEL: options.logLevel || 'info', ...options.env };
  const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => logs.push(d.toString()));
  child.stderr.on('data', (d) => logs.push(d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child, logs);
  const admin = (p, init = {}) => fetch(`${url}${p}`, { ...init, headers: { 'x-tyk-authorization': SECRET, ...(init.headers || {}) } });
  const stop = async () => {
    if (child.exitCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  };
  return { url, port, dir, logs, admin, stop, child, reload: () => admin('/tyk/reload?block=true').then((r) => r.json()) };
}

/** Run a Node script to completion, collecting its output (killed after `timeoutMs`). */
function runNode(args, cwd, timeoutMs = 20000) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Run the CLI to completion (for startup-failure tests). */
function runCli(args, cwd, timeoutMs = 20000) {
  return runNode([CLI, ...args], cwd, timeoutMs);
}

module.exports = { startGateway, makeWorkspace, writeApi, writeMiddleware, keylessApi, runCli, runNode, freePort, SECRET, ROOT };
