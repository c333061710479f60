// Real redis-server processes for the Redis-mode tests: each on a free loopback port, no
// persistence, stopped after the test (processes.ts stops whatever a test leaves running). The
// binary comes from scripts/ensure-redis-server.sh (installed with apt-get on a Debian machine
// running as root).
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import Redis from 'ioredis';
import { fromRoot } from './paths';
import { sleep } from './poll';
import { freePort } from './ports';
import { spawnTracked, type Tracked } from './processes';

let located: { bin: string } | { skip: string } | undefined;

/** { bin } when a redis-server is available (installing it if we may), else { skip: reason }. */
export function locateRedisServer(): { bin: string } | { skip: string } {
  if (located) return located;
  const run = spawnSync('sh', [fromRoot('scripts', 'ensure-redis-server.sh')], { encoding: 'utf8', timeout: 600_000 });
  const bin = (run.stdout || '').trim().split('\n').pop();
  if (run.status === 0 && bin) located = { bin };
  else if (run.status === 2) located = { skip: `redis-server is not installed and cannot be installed here: ${(run.stderr || '').trim()}` };
  else throw new Error(`scripts/ensure-redis-server.sh failed (exit ${run.status}):\n${run.stderr}`);
  return located;
}

/** Skip the calling suite (mocha `this` of a before hook) with a clear reason when Redis cannot be had. */
export function requireRedisServer(context: Mocha.Context): string {
  const found = locateRedisServer();
  if ('skip' in found) {
    console.warn(`    skipping Redis tests: ${found.skip}`);
    context.skip();
  }
  return found.bin;
}

function ping(port: number): Promise<boolean> {
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

export interface RedisOptions {
  bin?: string;
  port?: number;
  args?: string[];
}

export interface RunningRedis {
  host: string;
  port: number;
  /** A plain ioredis client for the test to look at or change what the gateways share. */
  client(): Redis;
  /** Kill the server at once (an outage, not a shutdown). */
  stop(): Promise<void>;
  /** Bring a stopped server back on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Start redis-server on a free port (or `options.port`). */
export async function startRedis(options: RedisOptions = {}): Promise<RunningRedis> {
  const found = options.bin ? { bin: options.bin } : locateRedisServer();
  if ('skip' in found) throw new Error(found.skip);
  const { bin } = found;
  const port = options.port ?? (await freePort());
  let server: Tracked | undefined;
  const clients: Redis[] = [];

  const stop = async () => {
    await server?.stop(0);
  };

  async function launch() {
    const proc = spawnTracked(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(options.args ?? [])]);
    server = proc;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.child.exitCode !== null) throw new Error(`redis-server exited with ${proc.child.exitCode}:\n${proc.output.join('')}`);
      if (await ping(port)) return;
      await sleep(25);
    }
    await stop();
    throw new Error(`redis-server not answering on ${port}:\n${proc.output.join('')}`);
  }

  await launch();
  return {
    host: '127.0.0.1',
    port,
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
