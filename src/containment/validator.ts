import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MiddlewareSourceError } from '../coprocess/drivers/isolate/source-error';
import { logger } from '../log/logger';
import { abortedExit } from './attribution';
import { REPORT_FD, type ValidationJob, type ValidationOptions, type ValidationReport } from './validation-protocol';

/**
 * Validation of new middleware in a short-lived child process (validation-child.ts), for
 * uploads and reloads: the new code's top-level code runs there first, so a file that aborts
 * the process costs a child, and the upload gets a 400 naming the file. One child serves jobs
 * one at a time and exits after IDLE_MS without work, so a reload of many APIs pays one process
 * start. Startup loads (the first reload) skip this: the quarantine covers them.
 */
const CHILD_SCRIPT = join(__dirname, 'validation-child.js');
const IDLE_MS = 15_000;
/** Beyond the job's own startup and hook-check budgets (isolate bring-up, process start). */
const JOB_MARGIN_MS = 10_000;
/** Environment a worker has that the child must not inherit. */
const PRIVATE_ENV = ['NODE_UNIQUE_ID', 'ISOGATE_CONF'];

interface Pending {
  job: ValidationJob;
  lastFile?: string;
  resolve(): void;
  reject(err: Error): void;
}

class ValidationChild {
  readonly proc: ChildProcess;
  private pending: Pending | undefined;
  private idle: NodeJS.Timeout | undefined;
  exited = false;

  constructor() {
    const env = { ...process.env };
    for (const name of PRIVATE_ENV) delete env[name];
    this.proc = spawn(process.execPath, ['--no-node-snapshot', CHILD_SCRIPT], { env, stdio: ['pipe', 'inherit', 'inherit', 'pipe'] });
    this.proc.stdin!.on('error', () => undefined); // a dead child's stdin: the exit handler reports
    const reports = createInterface({ input: this.proc.stdio[REPORT_FD] as NodeJS.ReadableStream });
    reports.on('line', (line) => this.onReport(line));
    this.proc.on('exit', (code, signal) => this.onExit(code, signal));
    this.proc.on('error', (err) => this.onExit(null, null, err));
  }

  run(job: ValidationJob, deadlineMs: number): Promise<void> {
    clearTimeout(this.idle);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.proc.kill('SIGKILL');
        this.fail(new MiddlewareSourceError(`${this.where()}: validation did not finish within ${deadlineMs} ms`, this.pending?.lastFile));
      }, deadlineMs);
      const done = (): void => {
        clearTimeout(timer);
        this.pending = undefined;
        if (!this.exited) {
          this.idle = setTimeout(() => this.proc.stdin!.end(), IDLE_MS);
          this.idle.unref();
        }
      };
      this.pending = {
        job,
        resolve: () => {
          done();
          resolve();
        },
        reject: (err) => {
          done();
          reject(err);
        },
      };
      this.proc.stdin!.write(`${JSON.stringify(job)}\n`);
    });
  }

  private where(): string {
    const p = this.pending;
    if (!p) return 'middleware';
    return p.lastFile ?? (p.job.options.sources.map((s) => s.filename).join(', ') || 'middleware');
  }

  private onReport(line: string): void {
    let report: ValidationReport;
    try {
      report = JSON.parse(line) as ValidationReport;
    } catch {
      return;
    }
    const p = this.pending;
    if (!p || report.id !== p.job.id) return;
    if ('file' in report) p.lastFile = report.file;
    else if ('ok' in report) p.resolve();
    else {
      p.reject(new MiddlewareSourceError(report.error.message, report.error.file, report.error.line, report.error.column));
      // Code that outlived its budget may still be running (a huge allocation ignores ivm's
      // timeout): do not keep it; the next job gets a fresh child.
      if (/did not finish within/.test(report.error.message)) this.proc.kill('SIGKILL');
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, err?: Error): void {
    if (this.exited) return;
    this.exited = true;
    clearTimeout(this.idle);
    if (current === this) current = undefined;
    if (!this.pending) return;
    const where = this.where();
    if (err) return this.fail(new MiddlewareSourceError(`${where}: the validation process could not run: ${err.message}`, this.pending.lastFile));
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const what = abortedExit(code, signal)
      ? `its top-level code aborted the validation process (${how}), as a single huge allocation such as Array(1e9).fill(0) does; it would take the gateway down`
      : `the validation process ended unexpectedly (${how})`;
    this.fail(new MiddlewareSourceError(`${where}: ${what}`, this.pending.lastFile));
  }

  private fail(err: Error): void {
    this.pending?.reject(err);
  }
}

let current: ValidationChild | undefined;
let chain: Promise<unknown> = Promise.resolve();
let nextId = 0;
let enabled = false;

/** From now on isolate builds validate in a child first (the worker turns it on once it serves). */
export function enableChildValidation(): void {
  enabled = true;
}

export function childValidationEnabled(): boolean {
  return enabled;
}

/**
 * Validate `options` in the child: resolves when the sources load and every hook name resolves,
 * rejects with a MiddlewareSourceError naming the file otherwise (also when the code aborts or
 * hangs the child). Jobs run one at a time.
 */
export function validateInChild(options: ValidationOptions): Promise<void> {
  const job: ValidationJob = { id: ++nextId, options };
  const hook = options.hookTimeoutMs ?? 1000;
  const deadline = (options.startupTimeoutMs ?? Math.max(2000, hook)) + hook + JOB_MARGIN_MS;
  const run = chain.then(async () => {
    const started = Date.now();
    current ??= new ValidationChild();
    try {
      await current.run(job, deadline);
    } finally {
      logger.debug({ api_id: options.apiId, ms: Date.now() - started }, 'middleware validated in the validation child');
    }
  });
  chain = run.catch(() => undefined);
  return run;
}

/** Stop the child now (gateway shutdown). */
export function stopValidationChild(): void {
  current?.proc.kill('SIGTERM');
  current = undefined;
}
