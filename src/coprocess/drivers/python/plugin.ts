import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiSpec } from '../../../config/api-spec';
import { logger } from '../../../log/logger';
import { type PluginDataStore, pluginDataStore } from '../../../storage/plugin-data-store';
import type { DriverPlugin } from '../plugin';
import { GatewayCalls } from './gateway-calls';
import type { HostInit } from './host-process';
import { InterpreterCache } from './interpreter';
import { PythonDispatcher } from './python-dispatcher';

/** Budgets of what one API's plugin sends to the gateway (the same numbers as for isolates' output). */
const LOG_LINES_PER_S = 1000;
const EVENTS_PER_S = 10_000;
const STORE_CALLS_PER_S = 2000;
/** Loading = starting Python and gRPC (~0.4 s) plus the plugin's top-level code. */
const MIN_STARTUP_TIMEOUT_MS = 10_000;
const MiB = 1024 * 1024;

/**
 * gRPC message size for an API: a request hook's Object carries the body twice (raw_body and
 * body), a response hook's the request and the upstream answer, each up to max_body_bytes.
 */
function maxMessageBytes(maxBodyBytes: number): number {
  return Math.max(4 * MiB, 4 * maxBodyBytes + MiB);
}

/** Every hook the definition declares, for the host to check before it says ready. */
function declaredHooks(spec: ApiSpec): HostInit['hooks'] {
  const hooks: HostInit['hooks'] = [];
  for (const list of Object.values(spec.hooks)) for (const h of list) hooks.push({ name: h.name, kind: h.kind });
  if (spec.authCheck) hooks.push({ name: spec.authCheck.name, kind: 'auth_check' });
  return hooks;
}

/**
 * `python`: Tyk Python plugins (`from tyk.decorators import *`, `from gateway import TykGateway`),
 * each API version in its own supervised Python process (python-dispatcher.ts) that the grpc
 * driver's code calls over a Unix socket. The plugin is the API's `.py` middleware: the files in
 * `middleware_path/{api_id}/` and the entries' `path`s (src/config/middleware-sources.ts).
 */
export const pythonDriver: DriverPlugin = {
  names: ['python'],
  needsSources: true,
  sourceFiles: /\.py$/,
  open(host) {
    const interpreters = new InterpreterCache();
    const live = new Set<PythonDispatcher>();
    let socketDir: string | undefined;
    let data: PluginDataStore | undefined;
    let sockets = 0;
    return {
      validate() {
        if (!host.config.coprocess_options.enable_coprocess) {
          throw new Error(`custom_middleware.driver: "python" hooks are configured but coprocess_options.enable_coprocess is false in ${host.config.source}; the API is not served without its hooks`);
        }
      },
      async create(spec, generation) {
        const interpreter = await interpreters.get();
        // mkdtemp makes it 0700: no other user can reach the plugin sockets.
        socketDir ??= mkdtempSync(join(tmpdir(), 'isogate-py-'));
        data ??= pluginDataStore(host.kv);
        const dir = socketDir;
        const log = logger.child({ api_id: spec.apiId, component: 'python' });
        const calls = new GatewayCalls({
          apiId: spec.apiId,
          orgId: spec.orgId,
          logger: log,
          events: host.events,
          data,
          logLinesPerS: LOG_LINES_PER_S,
          eventsPerS: EVENTS_PER_S,
          storeCallsPerS: STORE_CALLS_PER_S,
        });
        const dispatcher = await PythonDispatcher.create({
          apiId: spec.apiId,
          generation,
          interpreter,
          init: {
            api_id: spec.apiId,
            org_id: spec.orgId,
            sources: spec.sources.map((s) => ({ filename: s.filename, code: s.code })),
            hooks: declaredHooks(spec),
            memory_limit_mb: spec.memoryLimitMb,
            max_message_bytes: maxMessageBytes(host.config.isolate_options.max_body_bytes),
            log_lines_per_s: LOG_LINES_PER_S,
            events_per_s: EVENTS_PER_S,
          },
          // Short names: a Unix socket path must fit in 108 bytes.
          socketPath: () => join(dir, `${++sockets}.sock`),
          hookTimeoutMs: spec.hookTimeoutMs,
          startupTimeoutMs: Math.max(MIN_STARTUP_TIMEOUT_MS, spec.hookTimeoutMs),
          calls,
          logger: log,
          onDisposed: (d) => live.delete(d),
        });
        live.add(dispatcher);
        return dispatcher;
      },
      async close() {
        await Promise.all([...live].map((d) => d.dispose()));
        if (socketDir) rmSync(socketDir, { recursive: true, force: true });
        socketDir = undefined;
      },
    };
  },
};
