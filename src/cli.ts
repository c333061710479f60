#!/usr/bin/env node
import { spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from './config/config-error';
import { loadGatewayConfig, resolveWorkerCount } from './config/gateway-config';
import { availableParallelism } from 'node:os';
import { logger } from './log/logger';
import { startEchoUpstream } from './cli/echo-upstream';
import { BUNDLE_USAGE } from './cli/bundle-usage';
import { checkBundleSettings } from './bundles/settings';

const USAGE = `isogate — a Tyk-compatible API gateway with plugins in V8 isolates

Usage:
  isogate [--conf FILE] [--workers N|auto] [--no-supervisor]

  --conf FILE       gateway config (tyk.conf keys); relative paths resolve against its folder.
                    Without it, isogate runs the embedded demo: an echo upstream on
                    127.0.0.1:18081 and the APIs in middleware/default/.
  --workers N|auto  gateway worker processes sharing the port (default: worker_count, 1);
                    auto = one per core. Needs storage "embedded" (the default) or "redis".
  --no-supervisor   run the gateway in this process (no automatic restart after a crash)
  --help            this text

Plugin bundles:
${BUNDLE_USAGE}`;

/** The demo config shipped with the package (`npm start`). */
const DEFAULT_CONFIG = resolve(__dirname, '..', '..', 'middleware', 'default', 'isogate.conf.json');
const DEFAULT_ECHO_PORT = 18081;

/** isolated-vm on Node 20 needs --no-node-snapshot; it cannot be set from code, so re-exec. */
function ensureNodeFlags(): boolean {
  const has = process.execArgv.includes('--no-node-snapshot') || (process.env.NODE_OPTIONS ?? '').includes('--no-node-snapshot');
  if (has) return true;
  const child = spawn(process.execPath, ['--no-node-snapshot', ...process.execArgv, __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return false;
}

function parseArgs(argv: string[]): { conf?: string; supervise: boolean; workers?: number | 'auto' } {
  let conf: string | undefined;
  let supervise = true;
  let workers: number | 'auto' | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (a === '--conf' || a === '-c') conf = argv[++i];
    else if (a.startsWith('--conf=')) conf = a.slice(7);
    else if (a === '--no-supervisor') supervise = false;
    else if (a === '--workers' || a.startsWith('--workers=')) {
      const value = a === '--workers' ? argv[++i] : a.slice(10);
      workers = value === 'auto' ? 'auto' : /^[1-9]\d{0,2}$/.test(value ?? '') ? Number(value) : undefined;
      if (workers === undefined) {
        process.stderr.write(`--workers needs a number from 1 or "auto", got ${JSON.stringify(value ?? '')}\n`);
        process.exit(2);
      }
    }
    else {
      process.stderr.write(`unknown argument: ${a}\n\n${USAGE}`);
      process.exit(2);
    }
  }
  if (conf !== undefined && !conf) {
    process.stderr.write('--conf needs a file\n');
    process.exit(2);
  }
  return { conf, supervise, workers };
}

async function main(): Promise<void> {
  // The gateway's modules (isolated-vm, every driver) load only when a gateway runs: `--help`
  // and the bundle commands start quickly.
  if (cluster.isWorker) {
    const { runStandby } = await import('./cli/worker');
    await runStandby(process.env.ISOGATE_CONF!);
    return;
  }
  // Bundle commands run no isolates: no re-exec, no supervisor.
  if (process.argv[2] === 'bundle') {
    const { runBundleCommand } = await import('./cli/bundle-command');
    process.exitCode = await runBundleCommand(process.argv.slice(3));
    return;
  }
  if (!ensureNodeFlags()) return;
  const args = parseArgs(process.argv.slice(2));
  const confFile = resolve(args.conf ?? DEFAULT_CONFIG);
  if (!existsSync(confFile)) {
    logger.fatal(`${confFile}: config file not found`);
    process.exit(1);
  }
  let workers = 1;
  try {
    const config = loadGatewayConfig(confFile);
    checkBundleSettings(config); // fail fast, before any process is forked
    workers = resolveWorkerCount(args.workers ?? config.worker_count, availableParallelism());
    if (workers > 1 && config.storage.type === 'memory') {
      throw new ConfigError(`${confFile}: --workers ${workers}: workers cannot share storage.type "memory": use "embedded" or "redis"`);
    }
    if (workers > 1 && !args.supervise) throw new ConfigError(`--workers ${workers} needs the supervisor (drop --no-supervisor)`);
  } catch (err) {
    logger.fatal((err as ConfigError).message);
    process.exit(1);
  }
  if (!args.conf) {
    const echo = await startEchoUpstream(DEFAULT_ECHO_PORT);
    logger.info(`demo echo upstream on ${echo.url} (the APIs in ${join('middleware', 'default', 'apps')} proxy to it)`);
  }
  if (!args.supervise) {
    const { runGateway } = await import('./cli/worker');
    await runGateway(confFile);
    return;
  }
  const { superviseWorker } = await import('./cli/supervisor');
  const code = await superviseWorker({ ISOGATE_CONF: confFile, ISOGATE_WORKERS: String(workers) }, workers);
  process.exit(code);
}

main().catch((err) => {
  logger.fatal({ err }, (err as Error).message);
  process.exit(1);
});
