import type { GuestSourceFailure } from '../../../protocol/isolate';
import { originalPosition } from '../../source-maps';

/**
 * A middleware file that does not compile, fails while running its top-level code, or lacks a
 * hook function. Carries the position so the management API can answer "line 3, column 10".
 */
export class MiddlewareSourceError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
    readonly column?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MiddlewareSourceError';
  }
}

const COMPILE_POSITION = /\[([^\]]*):(\d+):(\d+)\]\s*$/;

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Turn an ivm error from compiling or running `file` into a MiddlewareSourceError. V8 reports
 * compile errors as "message [file:line:col]" and runtime errors through stack frames
 * "at … file:line:col"; the first frame in the file is the position reported.
 */
export function sourceErrorFrom(err: unknown, file: string, phase: 'compile' | 'run'): MiddlewareSourceError {
  const error = err instanceof Error ? err : new Error(String(err));
  const name = error.name || 'Error';
  let message = error.message;
  let line: number | undefined;
  let column: number | undefined;
  const compiled = COMPILE_POSITION.exec(message);
  if (compiled) {
    message = message.slice(0, compiled.index).trimEnd();
    line = Number(compiled[2]);
    column = Number(compiled[3]);
  } else {
    const frame = new RegExp(`${escape(file)}:(\\d+):(\\d+)`).exec(error.stack ?? '');
    if (frame) {
      line = Number(frame[1]);
      column = Number(frame[2]);
    }
  }
  // Compiled middleware (TypeScript): the position in the file as written.
  const original = line !== undefined && column !== undefined ? originalPosition(file, line, column) : undefined;
  if (original) ({ line, column } = original);
  const where = line !== undefined ? `${file}:${line}:${column}` : file;
  const verb = phase === 'compile' ? 'does not compile' : 'failed while loading';
  return new MiddlewareSourceError(`${where}: ${verb}: ${name}: ${message}`, file, line, column, { cause: error });
}

/** A problem a runtime reported while compiling or running middleware it loads itself (Lua). */
export function guestSourceError(failure: GuestSourceFailure): MiddlewareSourceError {
  const file = failure.filename || undefined;
  const where = file ? (failure.line !== undefined ? `${file}:${failure.line}` : file) : 'middleware';
  const verb = failure.phase === 'compile' ? 'does not compile' : 'failed while loading';
  const traceback = failure.traceback ? `\n${failure.traceback}` : '';
  return new MiddlewareSourceError(`${where}: ${verb}: ${failure.message}${traceback}`, file, failure.line);
}

/** Anything that stopped an isolate from starting with the API's sources, as a MiddlewareSourceError. */
export function asSourceError(err: unknown): MiddlewareSourceError {
  if (err instanceof MiddlewareSourceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new MiddlewareSourceError(`the isolate failed to start: ${message}`, undefined, undefined, undefined, { cause: err });
}
