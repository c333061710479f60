import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../../log/logger';
import { GrpcConnection } from '../grpc/connection';
import { GrpcDispatcher } from '../grpc/grpc-dispatcher';
import { MiddlewareSourceError } from '../isolate/source-error';
import type { GatewayCalls } from './gateway-calls';
import { HostChannel } from './host-channel';
import { HostStdio } from './host-stdio';
import type { PythonInterpreter } from './interpreter';
import { killGroup, trackProcess, untrackProcess } from './live-processes';

/** The host's entry script, copied beside this file by scripts/build.mjs. */
export const HOST_SCRIPT = join(__dirname, 'host', 'isogate_host.py');

/** A line from the host is a log line, an event or a store call: none needs more. */
const MAX_LINE_BYTES = 1024 * 1024;
/** Channel bytes per second read from one host before reading pauses (backpressure, not loss). */
const CHANNEL_BYTES_PER_S = 16 * 1024 * 1024;
/** fd 1/2 bytes per second: only output that bypasses sys.stdout arrives there. */
const STDIO_BYTES_PER_S = 64 * 1024;
/** A stopped host gets this long after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 1000;

/**
 * Environment passed to the host: what Python and a plugin need to run, not the gateway's
 * secrets. PYTHONPATH / PYTHONHOME / VIRTUAL_ENV let an operator point at their own packages.
 */
const PASSED_ENV = /^(PATH|HOME|USER|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|PYTHONPATH|PYTHONHOME|VIRTUAL_ENV|SSL_CERT_FILE|SSL_CERT_DIR)$/;

export interface HostSource {
  filename: string;
  code: string;
}

export interface HostInit {
  api_id: string;
  org_id: string;
  sources: HostSource[];
  /** Every hook the API definition declares, checked by the host before it says ready. */
  hooks: { name: string; kind: string }[];
  memory_limit_mb: number;
  max_message_bytes: number;
  log_lines_per_s: number;
  events_per_s: number;
}

/** What the host reports once its plugin is loaded (host/_isogate_host/main.py). */
export interface ReadyInfo {
  pid: number;
  hooks: string[];
  events: string[];
  python: string;
  grpc: string;
  protobuf: string;
  baseline_bytes: number | null;
  limit_bytes: number | null;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the gateway killed it, if it did. */
  killedFor?: string;
  /** The last output on fd 1/2. */
  tail: string;
  /** How long it had been running, ms. */
  livedMs: number;
}

export interface HostProcessOptions {
  interpreter: PythonInterpreter;
  socketPath: string;
  init: HostInit;
  startupTimeoutMs: number;
  hookTimeoutMs: number;
  calls: GatewayCalls;
  logger: Logger;
  /** Called once when the process is gone (after `start` resolved or not). */
  onExit(process: HostProcess, info: ExitInfo): void;
}

function hostEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (PASSED_ENV.test(name)) env[name] = value;
  return {
    ...env,
    // One malloc arena: each thread's default 64 MiB arena reservation would count against RLIMIT_AS.
    MALLOC_ARENA_MAX: '1',
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    ISOGATE_PARENT_PID: String(process.pid),
  };
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with status ${code}`;
}

/**
 * One plugin host process: the Python interpreter running host/isogate_host.py for one API
 * version, its channel, and the gRPC connection the grpc driver's dispatcher calls it on.
 * `start` resolves once the plugin is loaded and the connection is up; a load failure rejects
 * with a MiddlewareSourceError naming file and line.
 */
export class HostProcess {
  ready?: ReadyInfo;
  dispatcher?: GrpcDispatcher;
  /** The gRPC connection to this process (hooks go through `dispatcher`, events straight here). */
  connection?: GrpcConnection;
  exited = false;
  private killedFor?: string;
  private readonly startedAt = Date.now();
  private readonly channel: HostChannel;
  private readonly stdio: HostStdio;

  private constructor(
    private readonly child: ChildProcess,
    private readonly options: HostProcessOptions,
  ) {
    this.stdio = new HostStdio([child.stdout, child.stderr], STDIO_BYTES_PER_S, (line) => options.calls.log('warn', line, 'python-stderr'));
    const fd3 = child.stdio[3] as Duplex;
    this.channel = new HostChannel(fd3, fd3, {
      maxLineBytes: MAX_LINE_BYTES,
      bytesPerSecond: CHANNEL_BYTES_PER_S,
      onMessage: (message) => this.onMessage(message),
      onViolation: (problem) => this.kill(`its channel sent ${problem}`),
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  static start(options: HostProcessOptions): Promise<HostProcess> {
    const child = spawn(options.interpreter.command, ['-B', HOST_SCRIPT], {
      env: hostEnv(),
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      // Its own process group: killGroup reaches whatever the plugin starts, and a Ctrl-C at the
      // gateway's terminal is the gateway's to handle.
      detached: true,
    });
    const host = new HostProcess(child, options);
    return host.begin();
  }

  private pendingStart?: { resolve(h: HostProcess): void; reject(e: Error): void; loadError?: MiddlewareSourceError };

  private begin(): Promise<HostProcess> {
    const { child, options } = this;
    return new Promise<HostProcess>((resolve, reject) => {
      const timer = setTimeout(() => this.kill(`it did not finish loading within ${options.startupTimeoutMs} ms (does the plugin's top-level code run forever?)`), options.startupTimeoutMs);
      const settle = (): void => {
        clearTimeout(timer);
        this.pendingStart = undefined;
      };
      this.pendingStart = {
        resolve: (h) => {
          settle();
          resolve(h);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
      };
      child.once('error', (err) => {
        // spawn failed (ENOENT, EACCES): there is no process to wait for.
        this.finish(null, null, `cannot start ${options.interpreter.command}: ${err.message}`);
      });
      child.once('exit', (code, signal) => {
        // 'close' comes once fd 1/2 are drained (the last traceback is in the tail); a
        // grandchild holding them open must not delay noticing the exit for long.
        const done = (): void => this.finish(code, signal);
        const drained = setTimeout(done, 200);
        child.once('close', () => {
          clearTimeout(drained);
          done();
        });
      });
      if (child.pid === undefined) return;
      trackProcess(child.pid);
      this.channel.send({ t: 'init', socket: options.socketPath, ...options.init });
    });
  }

  private onMessage(message: Record<string, unknown>): void {
    if (this.ready || !this.pendingStart) {
      this.options.calls.handle(message, (reply) => this.channel.send(reply));
      return;
    }
    if (message.t === 'load_error') {
      const file = typeof message.file === 'string' ? message.file : undefined;
      const line = typeof message.line === 'number' ? message.line : undefined;
      this.pendingStart.loadError = new MiddlewareSourceError(`Python middleware: ${String(message.message)}`, file, line);
      return;
    }
    if (message.t === 'ready') {
      void this.connect(message as unknown as ReadyInfo);
      return;
    }
    // Top-level plugin code may already log or use the store while loading.
    this.options.calls.handle(message, (reply) => this.channel.send(reply));
  }

  private async connect(info: ReadyInfo): Promise<void> {
    const { options } = this;
    const max = options.init.max_message_bytes;
    const connection = new GrpcConnection(`unix:${options.socketPath}`, {
      'grpc.max_receive_message_length': max,
      'grpc.max_send_message_length': max,
    });
    this.connection = connection;
    if (!(await connection.waitForReady(options.startupTimeoutMs)) || this.exited) {
      this.kill('its gRPC socket did not accept a connection');
      return;
    }
    this.ready = info;
    this.dispatcher = new GrpcDispatcher(connection, { apiId: options.init.api_id, timeoutMs: options.hookTimeoutMs, logger: options.logger });
    this.pendingStart?.resolve(this);
  }

  private finish(code: number | null, signal: NodeJS.Signals | null, spawnError?: string): void {
    if (this.exited) return;
    this.exited = true;
    if (this.child.pid !== undefined) untrackProcess(this.child.pid);
    this.channel.close();
    this.connection?.close();
    rmSync(this.options.socketPath, { force: true });
    const tail = this.stdio.tail();
    const info: ExitInfo = { code, signal, killedFor: this.killedFor, tail, livedMs: Date.now() - this.startedAt };
    const pending = this.pendingStart;
    if (pending) {
      const why = spawnError ?? (this.killedFor ? `the plugin process was stopped: ${this.killedFor}` : `the plugin process ${describeExit(code, signal)} while loading${tail ? `: ${tail}` : ''}`);
      pending.reject(pending.loadError ?? new MiddlewareSourceError(`Python middleware: ${why}`));
    }
    this.options.onExit(this, info);
  }

  /** End it now (SIGKILL to its group); `reason` is logged and shown in the API's runtime stats. */
  kill(reason: string): void {
    if (this.exited) return;
    this.killedFor ??= reason;
    if (this.child.pid !== undefined) killGroup(this.child.pid);
  }

  /** A planned stop: SIGTERM, then SIGKILL if it is still there after a second. */
  stop(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return Promise.resolve();
    this.killedFor ??= 'stopped by the gateway';
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    killGroup(this.child.pid, 'SIGTERM');
    const timer = setTimeout(() => this.kill('it did not stop on SIGTERM'), STOP_GRACE_MS);
    return exited.finally(() => clearTimeout(timer));
  }

  /** Resident memory of the process (Linux /proc), for the API's runtime stats. */
  rssBytes(): number | undefined {
    if (this.exited || this.child.pid === undefined) return undefined;
    try {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
      return match ? Number(match[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }
}
