#!/usr/bin/env node
import { spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from './config/config-error';
import { loadGatewayConfig, resolveWorkerCount } from './config/gateway-config';
import { availableParallelism } from 'node:os';
import { logger } from './log/logger';
import { startEchoUpstream } from './cli/echo-upstream';
import { BUNDLE_USAGE } from './cli/bundle-usage';
import { checkBundleSettings } from './bundles/settings';
import { describeOptions, type OptionTable, parseOptions, UsageError } from './cli/args';
import { HOOK_CHOICES, type TestHookArgs } from './cli/test-hook-choices';

/** The gateway command's options: adding one is one entry here (src/cli/args.ts). */
const GATEWAY_OPTIONS: OptionTable = {
  conf: { type: 'string', short: 'c', value: 'FILE', help: 'gateway config (tyk.conf keys); relative paths resolve against its folder. Without it, isogate runs the embedded demo: an echo upstream on 127.0.0.1:18081 and the APIs in middleware/default/.' },
  'no-supervisor': { type: 'boolean', help: 'run the gateway in this process (no automatic restart after a crash)' },
  workers: { type: 'string', value: 'N|auto', help: 'gateway worker processes sharing the port (default: worker_count, 1); auto = one per core. Needs storage "embedded" (the default) or "redis".' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
  version: { type: 'boolean', short: 'V', help: 'the isogate version' },
};

const CHECK_OPTIONS: OptionTable = {
  conf: { type: 'string', short: 'c', value: 'FILE', help: 'the gateway config to check (required)' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
};

const TEST_HOOK_OPTIONS: OptionTable = {
  api: { type: 'string', value: 'FILE', help: 'the API definition (its middleware paths resolve as the gateway resolves them)' },
  hook: { type: 'string', value: 'KIND', help: `the hooks to run: ${HOOK_CHOICES.join(', ')} (default all); without auth_check the API runs keyless, or with --session's key` },
  request: { type: 'string', value: 'FILE', help: 'JSON {method, path, headers, body}; path includes the listen path' },
  session: { type: 'string', value: 'FILE', help: 'a Tyk session JSON: stored as a key and sent as the API\'s auth header; its changes are shown' },
  conf: { type: 'string', short: 'c', value: 'FILE', help: 'gateway config for middleware_path and limits (default: the demo config)' },
  json: { type: 'boolean', help: 'print the result as JSON' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
};

const USAGE = `isogate — a Tyk-compatible API gateway with plugins in V8 isolates

Usage:
  isogate [--conf FILE] [--no-supervisor]
${describeOptions(GATEWAY_OPTIONS)}

  isogate check --conf FILE
                    validate the config, every API definition and its middleware (compiled and
                    run in an isolate with the API's limits) without serving; startup's messages.
                    Exit code 0 when everything would load, 1 when not, 2 for bad usage.
${describeOptions(CHECK_OPTIONS)}

  isogate test-hook --api FILE --request FILE [--hook KIND] [--session FILE] [--conf FILE] [--json]
                    run one request through the API's real chain (a real isolate with the API's
                    limits, a loopback upstream that records): prints the upstream request or the
                    short-circuit answer, session changes, events fired and the API's logs.
                    Exit code 0, 1 when a hook failed, 2 for bad usage.
${describeOptions(TEST_HOOK_OPTIONS)}

Plugin bundles:
${BUNDLE_USAGE}`;

function version(): string {
  const pkg = JSON.parse(readFileSync(resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return `isogate ${pkg.version}\n`;
}

/** Print the message and the help and exit 2 (bad usage). */
function usageFailure(err: unknown): never {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`${err.message}\n\n${USAGE}`);
  process.exit(2);
}

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

function gatewayArgs(argv: string[]): { conf?: string; supervise: boolean; workers?: number | 'auto' } {
  let values;
  try {
    ({ values } = parseOptions(argv, GATEWAY_OPTIONS));
  } catch (err) {
    usageFailure(err);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (values.version) {
    process.stdout.write(version());
    process.exit(0);
  }
  const w = values.workers as string | undefined;
  const workers = w === undefined ? undefined : w === 'auto' ? 'auto' : /^[1-9]\d{0,2}$/.test(w) ? Number(w) : usageFailure(new UsageError(`--workers needs a number from 1 or "auto", got ${JSON.stringify(w)}`));
  return { conf: values.conf as string | undefined, supervise: !values['no-supervisor'], workers };
}

function checkArgs(argv: string[]): string {
  let values;
  try {
    ({ values } = parseOptions(argv, CHECK_OPTIONS));
    if (values.help) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    if (!values.conf) throw new UsageError('check: --conf FILE is required');
  } catch (err) {
    usageFailure(err);
  }
  return values.conf as string;
}

function testHookArgs(argv: string[]): TestHookArgs {
  try {
    const { values } = parseOptions(argv, TEST_HOOK_OPTIONS);
    if (values.help) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    for (const required of ['api', 'request'] as const) if (!values[required]) throw new UsageError(`test-hook: --${required} FILE is required`);
    return { api: values.api as string, request: values.request as string, hook: (values.hook as string | undefined) ?? 'all', session: values.session as string | undefined, conf: (values.conf as string | undefined) ?? DEFAULT_CONFIG, json: values.json === true };
  } catch (err) {
    usageFailure(err);
  }
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
  // Help, version and usage errors need no isolates: answered before any re-exec.
  const argv = process.argv.slice(2);
  const command = argv[0] === 'check' || argv[0] === 'test-hook' ? argv[0] : 'gateway';
  const confArg = command === 'check' ? checkArgs(argv.slice(1)) : undefined;
  const hookArgs = command === 'test-hook' ? testHookArgs(argv.slice(1)) : undefined;
  const args = command === 'gateway' ? gatewayArgs(argv) : undefined;
  if (!ensureNodeFlags()) return;
  if (hookArgs) {
    const { runTestHook } = await import('./cli/test-hook-command');
    try {
      process.exitCode = await runTestHook(hookArgs);
    } catch (err) {
      usageFailure(err);
    }
    return;
  }
  if (confArg !== undefined) {
    const { runCheck } = await import('./cli/check-command');
    process.exitCode = await runCheck(confArg);
    return;
  }
  if (!args) return;
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
