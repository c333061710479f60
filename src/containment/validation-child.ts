// The validation child: runs new middleware's top-level code and hook check in a scratch
// isolate, in a process of its own, so that code which aborts the process (one huge
// allocation is a fatal V8 OOM that isolated-vm cannot catch) takes down this child and not the gateway worker.
// Started by validator.ts with --no-node-snapshot; jobs arrive one JSON line at a time on stdin.
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { IsolateDispatcher, MiddlewareSourceError } from '../coprocess/drivers/isolate';
import { REPORT_FD, type ValidationJob, type ValidationReport } from './validation-protocol';

function report(message: ValidationReport): void {
  // Synchronous: a progress line must be in the pipe before the code that may abort runs.
  writeSync(REPORT_FD, `${JSON.stringify(message)}\n`);
}

async function run(job: ValidationJob): Promise<void> {
  try {
    await IsolateDispatcher.validate({ ...job.options, onTopLevel: (file) => report({ id: job.id, file }) });
    report({ id: job.id, ok: true });
  } catch (err) {
    const e = err as MiddlewareSourceError;
    const error = err instanceof MiddlewareSourceError ? { message: e.message, file: e.file, line: e.line, column: e.column } : { message: (err as Error).message ?? String(err) };
    report({ id: job.id, error });
  }
}

let chain = Promise.resolve();
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let job: ValidationJob;
  try {
    job = JSON.parse(line) as ValidationJob;
  } catch {
    return;
  }
  chain = chain.then(() => run(job));
});
// The worker closed our stdin (idle, or it died): finish what is queued and leave.
lines.on('close', () => {
  void chain.then(() => process.exit(0));
});
