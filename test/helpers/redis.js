'use strict';
// Real redis-server processes for the Redis-mode tests: each on a free loopback port, no
// persistence, killed after the test. The binary comes from scripts/ensure-redis-server.sh
// (installed with apt-get on a Debian machine running as root).
const { spawn, spawnSync } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const Redis = require('ioredis');
const { freePort, ROOT } = require('./gateway');

let located;

// Mocha exits the process when the run ends (or a suite fails halfway): no server may outlive it.
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** { bin } when a redis-server is available (installing it if we may), else { skip: reason }. */
function locateRedisServer() {
  if (located) return located;
  const script = path.join(ROOT, 'scripts', 'ensure-redis-server.sh');
  const run = spawnSync('sh', [script], { encoding: 'utf8', timeout: 600_000 });
  const bin = (run.stdout || '').trim().split('\n').pop();
  if (run.status === 0 && bin) located = { bin };
  else if (run.status === 2) located = { skip: `redis-server is not installed and cannot be installed here: ${(run.stderr || '').trim()}` };
  else throw new Error(`scripts/ensure-redis-server.sh failed (exit ${run.status}):\n${run.stderr}`);
  return located;
}

/** Skip the calling suite (mocha `this`) with a clear reason when Redis cannot be had. */
function requireRedisServer(suite) {
  const found = locateRedisServer();
  if (found.skip) {
    // eslint-disable-next-line no-console
    console.warn(`    skipping Redis tests: ${found.skip}`);
    suite.skip();
  }
  return found.bin;
}

function ping(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(500, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      answer += d;
      if (answer.includes('\r\n')) socket.end();
    });
    // Any reply will do: a server with requirepass answers -NOAUTH, and that is up too.
    socket.on('close', () => resolve(/^[+-]/.test(answer)));
    socket.on('error', () => undefined);
  });
}

/**
 * Start redis-server on a free port (or `options.port`). Resolves with { port, host, url, client(),
 * stop(), restart() }; `restart()` brings a stopped server back on the same port.
 */
async function startRedis(options = {}) {
  const bin = options.bin || locateRedisServer().bin;
  const port = options.port || (await freePort());
  let child;
  const logs = [];
  const clients = [];

  async function launch() {
    child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(options.args || [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const launched = child;
    running.add(launched);
    launched.once('exit', () => running.delete(launched));
    child.stdout.on('data', (d) => logs.push(d.toString()));
    child.stderr.on('data', (d) => logs.push(d.toString()));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}:\n${logs.join('')}`);
      if (await ping(port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    await stop();
    throw new Error(`redis-server not answering on ${port}:\n${logs.join('')}`);
  }

  async function stop() {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  await launch();
  return {
    host: '127.0.0.1',
    port,
    logs,
    /** A plain ioredis client for the test to look at or change what the gateways share. */
    client() {
      const c = new Redis({ host: '127.0.0.1', port, lazyConnect: false, maxRetriesPerRequest: 1 });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    stop,
    restart: launch,
    async close() {
      for (const c of clients) c.disconnect();
      await stop();
    },
  };
}

/**
 * Call inside a describe(): outages and rejected messages are logged on purpose by in-process
 * tests, so the gateway logger is silenced for that suite only (ISOGATE_LOG_LEVEL overrides).
 */
function quietLogs() {
  const { logger } = require('../../dist/src/log/logger');
  let saved;
  before(() => {
    saved = logger.level;
    logger.level = process.env.ISOGATE_LOG_LEVEL || 'silent';
  });
  after(() => {
    logger.level = saved;
  });
}

module.exports = { startRedis, requireRedisServer, locateRedisServer, quietLogs };
