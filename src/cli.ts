#!/usr/bin/env node
import { spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from './config/config-error';
import { loadGatewayConfig } from './config/gateway-config';
import { logger } from './log/logger';
import { startEchoUpstream } from './cli/echo-upstream';
import { superviseWorker } from './cli/supervisor';
import { runGateway, runStandby } from './cli/worker';

const USAGE = `isogate — a Tyk-compatible API gateway with plugins in V8 isolates

Usage:
  isogate [--conf FILE] [--no-supervisor]

  --conf FILE       gateway config (tyk.conf keys); relative paths resolve against its folder.
                    Without it, isogate runs the embedded demo: an echo upstream on
                    127.0.0.1:18081 and the APIs in middleware/default/.
  --no-supervisor   run the gateway in this process (no automatic restart after a crash)
  --help            this text
`;

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

function parseArgs(argv: string[]): { conf?: string; supervise: boolean } {
  let conf: string | undefined;
  let supervise = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (a === '--conf' || a === '-c') conf = argv[++i];
    else if (a.startsWith('--conf=')) conf = a.slice(7);
    else if (a === '--no-supervisor') supervise = false;
    else {
      process.stderr.write(`unknown argument: ${a}\n\n${USAGE}`);
      process.exit(2);
    }
  }
  if (conf !== undefined && !conf) {
    process.stderr.write('--conf needs a file\n');
    process.exit(2);
  }
  return { conf, supervise };
}

async function main(): Promise<void> {
  if (cluster.isWorker) {
    await runStandby(process.env.ISOGATE_CONF!);
    return;
  }
  if (!ensureNodeFlags()) return;
  const args = parseArgs(process.argv.slice(2));
  const confFile = resolve(args.conf ?? DEFAULT_CONFIG);
  if (!existsSync(confFile)) {
    logger.fatal(`${confFile}: config file not found`);
    process.exit(1);
  }
  try {
    loadGatewayConfig(confFile); // fail fast, before any process is forked
  } catch (err) {
    logger.fatal((err as ConfigError).message);
    process.exit(1);
  }
  if (!args.conf) {
    const echo = await startEchoUpstream(DEFAULT_ECHO_PORT);
    logger.info(`demo echo upstream on ${echo.url} (the APIs in ${join('middleware', 'default', 'apps')} proxy to it)`);
  }
  if (!args.supervise) {
    await runGateway(confFile);
    return;
  }
  const code = await superviseWorker({ ISOGATE_CONF: confFile });
  process.exit(code);
}

main().catch((err) => {
  logger.fatal({ err }, (err as Error).message);
  process.exit(1);
});
