import { DispatchError, type DispatchFailure } from '../../dispatcher';
import { QueueRejection } from './call-queue';
import { DeadlineExceeded } from './deadline';
import type { GuestFailure } from '../../../protocol/isolate';

/** A DispatchError, plus whether the isolate that produced it must be replaced. */
export interface Classified {
  error: DispatchError;
  /** The isolate is gone or untrustworthy (interrupted mid-hook, out of memory): build a new one. */
  replaceIsolate: boolean;
}

function guestCause(failure: GuestFailure): Error {
  const cause = new Error(failure.message);
  if (failure.stack) cause.stack = failure.stack;
  return cause;
}

/** A failure the guest reported as data: the user's exception, a bad result, or exhaustion. */
export function fromGuest(apiId: string, failure: GuestFailure): Classified {
  return {
    error: new DispatchError(`api ${apiId}: ${failure.message}`, failure.failure, { cause: guestCause(failure) }),
    replaceIsolate: failure.failure === 'memory',
  };
}

function is(message: string, pattern: RegExp): boolean {
  return pattern.test(message);
}

/**
 * Something thrown by an ivm call. User errors never arrive here (the runtime returns them as
 * GuestFailure), so this is the engine speaking: time limits, disposal, memory, transfer.
 */
export function fromEngine(apiId: string, err: unknown, isolateGone: boolean): Classified {
  if (err instanceof DispatchError) return { error: err, replaceIsolate: isolateGone };
  if (err instanceof QueueRejection) return { error: new DispatchError(`api ${apiId}: ${err.message}`, 'unavailable', { cause: err }), replaceIsolate: false };
  const message = err instanceof Error ? err.message : String(err);
  let reason: DispatchFailure;
  let replaceIsolate = true;
  if (err instanceof DeadlineExceeded || is(message, /execution timed out/i)) {
    // Also rebuilt after an ivm interrupt: the hook stopped halfway, its globals may be inconsistent.
    reason = 'timeout';
  } else if (is(message, /memory limit|allocation failed|out of memory/i)) {
    reason = 'memory';
  } else if (isolateGone || is(message, /disposed|abandoned/i)) {
    reason = 'unavailable';
  } else {
    reason = 'exception';
    replaceIsolate = false;
  }
  return { error: new DispatchError(`api ${apiId}: ${message}`, reason, { cause: err }), replaceIsolate };
}

/** Failed calls by reason, and the last one: what stats() reports. Every failed call counts once. */
export class FailureCounts {
  readonly byReason: Record<DispatchFailure, number> = { exception: 0, timeout: 0, memory: 0, bad_result: 0, unavailable: 0, too_large: 0 };
  last: { reason: DispatchFailure; message: string; at: string } | undefined;

  /** Count `error` and hand it back, to reject a call with. */
  note(error: DispatchError): DispatchError {
    this.byReason[error.reason]++;
    this.last = { reason: error.reason, message: error.message, at: new Date().toISOString() };
    return error;
  }
}
