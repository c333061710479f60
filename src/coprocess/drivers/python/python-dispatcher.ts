import type { Logger } from '../../../log/logger';
import { encodeEvent } from '../../codec';
import { type CoprocessObject, DispatchError, type DispatchFailure, type Dispatcher, type DispatchOptions } from '../../dispatcher';
import { QueueRejection, SerialQueue } from '../../../util/serial-queue';
import type { GatewayCalls } from './gateway-calls';
import { type ExitInfo, type HostInit, HostProcess, type ReadyInfo } from './host-process';
import type { PythonInterpreter } from './interpreter';

export interface PythonDispatcherOptions {
  apiId: string;
  generation: number;
  interpreter: PythonInterpreter;
  init: HostInit;
  /** A fresh socket path for each process this dispatcher starts. */
  socketPath(): string;
  hookTimeoutMs: number;
  startupTimeoutMs: number;
  calls: GatewayCalls;
  logger: Logger;
  /** Told once the dispatcher is disposed (the driver keeps the live ones to stop at shutdown). */
  onDisposed?(dispatcher: PythonDispatcher): void;
}

/** Restart back-off after an unplanned exit: 100 ms, doubling, at most 5 s. */
const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 5_000;
/** A process that ran this long before it died starts the back-off from the beginning again. */
const STABLE_MS = 10_000;
/** Calls waiting for the API's process beyond this many are refused (`unavailable`). */
const MAX_QUEUE = 10_000;

export type PythonStats = {
  apiId: string;
  driver: 'python';
  apiGeneration: number;
  state: 'ready' | 'restarting' | 'stopped';
  pid?: number;
  rssBytes?: number;
  /** RLIMIT_AS of the live process: what Python + gRPC took at start plus limits.memory_limit_mb. */
  addressSpaceLimitBytes?: number | null;
  memoryLimitMb: number;
  hookTimeoutMs: number;
  interpreter: string;
  python?: string;
  grpc?: string;
  protobuf?: string;
  processesStarted: number;
  restarts: number;
  calls: number;
  events: number;
  queued: number;
  failures: Record<DispatchFailure, number>;
  lastFailure?: { reason: DispatchFailure; message: string; at: string };
  lastExit?: { code: number | null; signal: string | null; killedFor?: string; output?: string; at: string };
  /** A restart that failed to load (e.g. the process crashed during start-up). */
  lastStartError?: string;
  output: Record<string, number>;
};

/**
 * The `python` driver for one API version: a supervised plugin host process (host-process.ts)
 * and, for each hook, one call through the grpc driver's GrpcDispatcher on that process's Unix
 * socket, so deadlines, error mapping and reply checks are the grpc driver's.
 *
 * A call past `hook_timeout_ms`, or one that ran out of memory, kills the process; a process
 * that dies for any reason is restarted with back-off. Calls while no process is ready fail at
 * once (500, or 403 for auth_check). Other APIs have their own processes and never notice.
 */
export class PythonDispatcher implements Dispatcher {
  readonly driver = 'python';
  private current?: HostProcess;
  private disposed = false;
  private restartTimer?: NodeJS.Timeout;
  private consecutiveFailures = 0;
  private processesStarted = 0;
  private restarts = 0;
  private calls = 0;
  private events = 0;
  private lastReady?: ReadyInfo;
  private lastFailure: PythonStats['lastFailure'];
  private lastExit: PythonStats['lastExit'];
  private lastStartError?: string;
  private readonly failures: Record<DispatchFailure, number> = { exception: 0, timeout: 0, memory: 0, bad_result: 0, unavailable: 0, too_large: 0 };
  /**
   * One call in flight per API, as the host runs one hook at a time: a call's deadline then
   * starts when the hook does, so `hook_timeout_ms` measures the hook and not the wait behind
   * others, and a timeout means the process itself is stuck.
   */
  private readonly queue = new SerialQueue(MAX_QUEUE);

  private constructor(private readonly options: PythonDispatcherOptions) {}

  /** Start the API's process and load its plugin; rejects (MiddlewareSourceError) if it does not load. */
  static async create(options: PythonDispatcherOptions): Promise<PythonDispatcher> {
    const dispatcher = new PythonDispatcher(options);
    dispatcher.adopt(await dispatcher.startProcess());
    return dispatcher;
  }

  private async startProcess(): Promise<HostProcess> {
    const { options } = this;
    this.processesStarted++;
    const host = await HostProcess.start({
      interpreter: options.interpreter,
      socketPath: options.socketPath(),
      init: options.init,
      startupTimeoutMs: options.startupTimeoutMs,
      hookTimeoutMs: options.hookTimeoutMs,
      calls: options.calls,
      logger: options.logger,
      onExit: (proc, info) => this.onExit(proc, info),
    });
    this.lastReady = host.ready;
    if (this.disposed) {
      await host.stop();
      throw new DispatchError(`api ${options.apiId}: dispatcher is disposed`, 'unavailable');
    }
    return host;
  }

  dispatch(object: CoprocessObject, options: DispatchOptions = {}): Promise<CoprocessObject> {
    this.calls++;
    return this.enqueue(() => this.callHook(object, options), options.signal);
  }

  private enqueue<T>(run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.queue.push(run, signal).catch((err: unknown) => {
      if (err instanceof QueueRejection) throw this.record(new DispatchError(`api ${this.options.apiId}: ${err.message}`, 'unavailable', { cause: err }));
      throw err;
    });
  }

  private async callHook(object: CoprocessObject, options: DispatchOptions): Promise<CoprocessObject> {
    const host = this.current;
    if (this.disposed || !host?.dispatcher || host.exited) {
      throw this.record(new DispatchError(`api ${this.options.apiId}: the Python plugin process is ${this.disposed ? 'stopped' : 'restarting'}`, 'unavailable'));
    }
    try {
      return await host.dispatcher.dispatch(object, options);
    } catch (err) {
      throw this.record(this.classify(err, host));
    }
  }

  /** A gRPC failure as the driver-independent reason; a stuck or exhausted process is killed. */
  private classify(err: unknown, host: HostProcess): DispatchError {
    let error = err instanceof DispatchError ? err : new DispatchError(String(err), 'exception', { cause: err });
    // The host answers a MemoryError with RESOURCE_EXHAUSTED (host/_isogate_host/server.py).
    if (error.reason === 'too_large' && /MemoryError/.test(error.message)) {
      error = new DispatchError(`api ${this.options.apiId}: the hook ran out of memory (limits.memory_limit_mb ${this.options.init.memory_limit_mb} MiB): ${error.message}`, 'memory', { cause: err });
    }
    if (error.reason === 'timeout') host.kill(`a hook ran past hook_timeout_ms (${this.options.hookTimeoutMs} ms)`);
    if (error.reason === 'memory') host.kill('a hook ran out of memory (limits.memory_limit_mb)');
    return error;
  }

  private record(error: DispatchError): DispatchError {
    this.failures[error.reason]++;
    this.lastFailure = { reason: error.reason, message: error.message, at: new Date().toISOString() };
    return error;
  }

  /**
   * An event for an @Event handler (cp_dynamic_handler), in line with the hooks and under the same
   * deadline; failures are only logged, as Tyk does for DispatchEvent.
   */
  async dispatchEvent(payload: string): Promise<void> {
    this.events++;
    try {
      await this.enqueue(async () => {
        const host = this.current;
        if (this.disposed || !host?.connection || host.exited) throw new DispatchError('the Python plugin process is restarting', 'unavailable');
        try {
          await host.connection.call('DispatchEvent', encodeEvent(payload), { timeoutMs: this.options.hookTimeoutMs });
        } catch (err) {
          throw this.record(this.classify(err, host));
        }
      });
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'event not delivered to the Python plugin');
    }
  }

  /** As Tyk's Python dispatcher: nothing to do; a changed plugin is a new API version (a new process). */
  async reload(): Promise<void> {}

  /** Stop the process (the gateway calls this once the version's in-flight requests are done). */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.options.onDisposed?.(this);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    // The gateway retires a version once its requests are done; anything still queued is abandoned.
    this.queue.rejectWaiting(new QueueRejection('dispatcher disposed before the call could run'));
    const host = this.current;
    this.current = undefined;
    await host?.stop();
  }

  /** Make `host` the serving process; one that already died in between is restarted like any other. */
  private adopt(host: HostProcess): void {
    this.current = host;
    if (host.exited && !this.disposed) {
      this.current = undefined;
      this.consecutiveFailures++;
      this.scheduleRestart();
    }
  }

  private onExit(host: HostProcess, info: ExitInfo): void {
    if (this.current !== host) return; // a process that never became current (failed start) or a replaced one
    this.current = undefined;
    const output = info.tail ? info.tail.slice(-1024) : undefined;
    this.lastExit = { code: info.code, signal: info.signal, killedFor: info.killedFor, output, at: new Date().toISOString() };
    if (this.disposed) return;
    const why = info.killedFor ? `killed: ${info.killedFor}` : info.signal ? `killed by ${info.signal}` : `exited with status ${info.code}`;
    this.options.logger.error({ pid: host.pid, code: info.code, signal: info.signal, output }, `the Python plugin process ${why}; restarting it`);
    this.consecutiveFailures = info.livedMs >= STABLE_MS ? 1 : this.consecutiveFailures + 1;
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, this.consecutiveFailures - 1));
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.disposed) return;
      this.restarts++;
      this.startProcess().then(
        (host) => {
          if (this.disposed) return void host.stop();
          this.lastStartError = undefined;
          this.adopt(host);
          this.options.logger.info({ pid: host.pid, restarts: this.restarts }, 'the Python plugin process is back');
        },
        (err: Error) => {
          if (this.disposed) return;
          this.lastStartError = err.message;
          this.options.logger.error({ err: err.message }, 'restarting the Python plugin process failed; trying again');
          this.consecutiveFailures++;
          this.scheduleRestart();
        },
      );
    }, delay);
    this.restartTimer.unref();
  }

  stats(): PythonStats {
    const host = this.current;
    const ready = host?.ready ?? this.lastReady;
    return {
      apiId: this.options.apiId,
      driver: 'python',
      apiGeneration: this.options.generation,
      state: this.disposed ? 'stopped' : host && !host.exited ? 'ready' : 'restarting',
      pid: host?.pid,
      rssBytes: host?.rssBytes(),
      addressSpaceLimitBytes: host?.ready?.limit_bytes,
      memoryLimitMb: this.options.init.memory_limit_mb,
      hookTimeoutMs: this.options.hookTimeoutMs,
      interpreter: this.options.interpreter.command,
      python: ready?.python,
      grpc: ready?.grpc,
      protobuf: ready?.protobuf,
      processesStarted: this.processesStarted,
      restarts: this.restarts,
      calls: this.calls,
      events: this.events,
      queued: this.queue.length,
      failures: { ...this.failures },
      lastFailure: this.lastFailure,
      lastExit: this.lastExit,
      lastStartError: this.lastStartError,
      output: this.options.calls.stats(),
    };
  }
}
