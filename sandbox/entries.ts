// The functions the host calls. They never throw for anything user code does: failures come
// back as GuestFailure records, so whatever the host sees thrown is an engine condition.
import { CALL_KIND, type GuestEntries, type GuestFailure, type GuestFailureReason } from '../src/protocol/isolate';
import type { EventPayload, HookAdapter, HookAdapterContext, ObjectLike } from './adapters/types';
import { createBatchRunner, type CallResult } from './batch';
import { BadResultError } from './errors';
import { isThenable } from './promise';
import { decodeUtf8 } from './text/utf8';
import { decodeObject, encodeObject, type DecodedObject } from './wire/codec';

function reasonOf(error: unknown, fallback: GuestFailureReason): GuestFailureReason {
  if (error instanceof BadResultError) return 'bad_result';
  // Typed-array allocations over the isolate's limit fail catchably; treat like exhaustion so the
  // host replaces the isolate.
  if (error instanceof RangeError && /allocation failed/i.test(error.message)) return 'memory';
  return fallback;
}

function failure(error: unknown, fallback: GuestFailureReason, context: string): GuestFailure {
  if (error instanceof Error) {
    return { failure: reasonOf(error, fallback), message: `${context}: ${error.name}: ${error.message}`, stack: String(error.stack ?? '') };
  }
  let text: string;
  try {
    // `throw { message: '…' }` and friends: say what they meant rather than "[object Object]".
    const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
    text = typeof message === 'string' ? message : String(error);
  } catch {
    text = Object.prototype.toString.call(error);
  }
  return { failure: fallback, message: `${context}: ${text}` };
}

function isEventPayload(value: unknown): value is EventPayload {
  const v = value as EventPayload;
  return typeof v === 'object' && v !== null && typeof v.handler_name === 'string' && typeof v.message === 'object' && v.message !== null;
}

export function createEntries(
  adapter: HookAdapter,
  context: HookAdapterContext,
  registerModule: (ns: object) => void,
  startWindowMs: number,
): GuestEntries {
  function encodeResult(object: DecodedObject, result: ObjectLike): Uint8Array | GuestFailure {
    try {
      return encodeObject(result);
    } catch (error) {
      return failure(error, 'bad_result', `hook "${object.hook_name}" returned an object that cannot be encoded`);
    }
  }

  function dispatch(input: Uint8Array): Uint8Array | GuestFailure | Promise<Uint8Array | GuestFailure> {
    let object: DecodedObject;
    try {
      object = decodeObject(input);
    } catch (error) {
      return failure(error, 'exception', 'cannot decode the coprocess Object');
    }
    const where = `hook "${object.hook_name}"`;
    let result: ObjectLike | Promise<ObjectLike>;
    try {
      result = adapter.dispatch(object, context);
    } catch (error) {
      return failure(error, 'exception', where);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => encodeResult(object, value),
        (error: unknown) => failure(error, 'exception', where),
      );
    }
    return encodeResult(object, result);
  }

  function event(payload: string): undefined | GuestFailure | Promise<undefined | GuestFailure> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch (error) {
      return failure(error, 'exception', 'event payload is not JSON');
    }
    if (!isEventPayload(parsed)) return { failure: 'exception', message: 'event payload lacks "handler_name" or "message"' };
    const where = `event handler "${parsed.handler_name}"`;
    let result: void | Promise<void>;
    try {
      result = adapter.event(parsed, context);
    } catch (error) {
      return failure(error, 'exception', where);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        () => undefined,
        (error: unknown) => failure(error, 'exception', where),
      );
    }
    return undefined;
  }

  function checkHooks(names: string[]): string[] {
    return names.map((name) => {
      try {
        return adapter.checkHook(String(name), context);
      } catch (error) {
        return failure(error, 'exception', `hook "${name}"`).message;
      }
    });
  }

  function runCall(kind: number, payload: Uint8Array): CallResult | Promise<CallResult> {
    if (kind === CALL_KIND.dispatch) return dispatch(payload);
    if (kind === CALL_KIND.event) return event(decodeUtf8(payload));
    return { failure: 'exception', message: `unknown call kind ${kind}` };
  }

  const batches = createBatchRunner(runCall, startWindowMs);
  const entries: GuestEntries = { run: batches.run, collect: batches.collect, registerModule, checkHooks };
  const { loadSources, warmUp } = adapter;
  if (loadSources) {
    entries.loadSources = (sources) => {
      try {
        return loadSources(Array.isArray(sources) ? sources : []);
      } catch (error) {
        // The adapter reports the user's problems as data; a throw here is the runtime's own.
        const message = failure(error, 'exception', 'cannot load the middleware').message;
        return { filename: '', phase: 'compile', message };
      }
    };
  }
  if (warmUp) entries.warmUp = () => warmUp();
  return entries;
}
