// The guest's half of batched dispatch (src/protocol/isolate.ts, BatchReport):
// run the calls of a batch one at a time, in order, and report every result that is ready when
// the entry ends, without letting a call that waits on a promise hold the others back.
//
// Three facts of isolated-vm 5.0.4 shape it:
// - No microtask policy is set, so V8 runs the microtask queue when the host's call returns into
//   ivm, still inside the call's timeout; ivm copies the returned value only after that. The
//   `report` getter of the returned object therefore runs exactly once, after everything this
//   entry could finish has finished: the moment to seal the report.
// - The runtime has no timers or asynchronous I/O (host calls block the guest, sandbox/host.ts).
//   A promise still pending when the entry's microtasks have run out can only be settled by code
//   of a later entry, or by a task V8 posts itself (e.g. WebAssembly compilation).
// - A call interrupted by ivm's timeout unwinds every frame and drops the microtask queue, but
//   the isolate stays usable, so `collect` can still read what the interrupted entry finished.
import {
  BATCH_COUNT_BYTES,
  BATCH_ITEM_HEADER_BYTES,
  REPORT_COUNT,
  REPORT_CURRENT,
  REPORT_PAIR_BYTES,
  REPORT_PAIRS,
  REPORT_STARTED,
  type BatchReport,
  type GuestFailure,
} from '../src/protocol/isolate';
import { beginCall, beginEntry, endCall } from './call-scope';
import { sendWake } from './host';
import { isThenable } from './promise';
import { encodeUtf8 } from './text/utf8';

// Taken before any middleware runs: a plugin that replaces these globals must not change how its
// calls are batched and reported (the host checks every report anyway, batch-wire.ts).
const now = Date.now;
const U8 = Uint8Array;
const View = DataView;
const stringify = JSON.stringify;

/** A call's answer: `Object` bytes, nothing (an event), or a failure. */
export type CallResult = Uint8Array | GuestFailure | undefined;

/** Runs one call; never throws, and a returned promise never rejects (see entries.ts). */
export type CallRunner = (kind: number, payload: Uint8Array) => CallResult | Promise<CallResult>;

interface Entry {
  buffer: ArrayBuffer;
  bytes: Uint8Array;
  firstId: number;
  count: number;
  /** Index of the next call to start. */
  next: number;
  /** Byte offset of that call's payload. */
  offset: number;
  startedAt: number;
  /** No more calls start: the entry was reported, or a call ran out of memory. */
  stopped: boolean;
}

/** Results finished since the last report, in finishing order (failures become FailureText when reported). */
interface Outbox {
  ids: number[];
  results: (CallResult | Uint8Array)[];
}

const isFailure = (result: CallResult | Uint8Array): result is GuestFailure => result !== undefined && !(result instanceof U8);

const readU32 = (bytes: Uint8Array, at: number): number => (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000;

/** The report of everything in `box` (emptied), as one buffer (protocol: BatchReport). */
function encodeReport(box: Outbox, started: number, current: number): BatchReport {
  const n = box.ids.length;
  let total = REPORT_PAIRS + n * REPORT_PAIR_BYTES;
  for (let i = 0; i < n; i++) {
    const result = box.results[i];
    // A failure travels as its JSON text (rare: converted in place, once).
    if (isFailure(result)) box.results[i] = encodeFailure(result);
    const bytes = box.results[i];
    if (bytes instanceof U8) total += bytes.length;
  }
  const report = new U8(total);
  const view = new View(report.buffer);
  view.setFloat64(REPORT_STARTED, started, true);
  view.setFloat64(REPORT_CURRENT, current, true);
  view.setFloat64(REPORT_COUNT, n, true);
  let at = REPORT_PAIRS + n * REPORT_PAIR_BYTES;
  for (let i = 0; i < n; i++) {
    const result = box.results[i];
    const pair = REPORT_PAIRS + i * REPORT_PAIR_BYTES;
    view.setFloat64(pair, box.ids[i], true);
    if (result instanceof U8) {
      view.setFloat64(pair + 8, result instanceof FailureText ? -result.length : result.length, true);
      report.set(result, at);
      at += result.length;
    } else {
      view.setFloat64(pair + 8, 0, true); // an event's empty answer
    }
  }
  box.ids.length = 0;
  box.results.length = 0;
  return report;
}

/** A failure's JSON text, told apart from an `Object`'s bytes by its class. */
class FailureText extends U8 {}

function encodeFailure(failure: GuestFailure): FailureText {
  const utf8 = encodeUtf8(stringify(failure));
  const text = new FailureText(utf8.length);
  text.set(utf8);
  return text;
}

export interface BatchRunner {
  run(batch: ArrayBuffer, firstId: number): BatchReport | { readonly report: BatchReport };
  collect(): BatchReport;
}

/** `windowMs`: calls start only this long after their entry began (BootConfig.startWindowMs). */
export function createBatchRunner(runCall: CallRunner, windowMs: number): BatchRunner {
  let outbox: Outbox = { ids: [], results: [] };
  let entry: Entry | null = null;
  /** An entry is running: results go into its report. Otherwise the host must be woken. */
  let entryActive = false;
  let wakeSent = false;
  /** The call running or awaited by the current entry, -1 for none. */
  let current = -1;
  /** Calls whose hook returned a promise that has not settled yet. */
  let unsettled = 0;

  function record(id: number, result: CallResult): void {
    outbox.ids[outbox.ids.length] = id;
    outbox.results[outbox.results.length] = result;
    if (!entryActive && !wakeSent) {
      // A parked call settled in a task of V8's own, not in an entry: nobody will ask.
      wakeSent = true;
      sendWake();
    }
  }

  function finish(e: Entry, id: number, result: CallResult): void {
    if (current === id) current = -1;
    endCall(id);
    record(id, result);
    // The host replaces an isolate that ran out of memory; the calls after this one must run there.
    if (isFailure(result) && result.failure === 'memory') e.stopped = true;
  }

  function pump(e: Entry): void {
    while (!e.stopped && e.next < e.count) {
      // The first call always starts; later ones only within the window, so that each has its own
      // hook_timeout_ms before the entry's ivm timeout (src/protocol/isolate.ts BootConfig.startWindowMs).
      if (e.next > 0 && now() - e.startedAt >= windowMs) return;
      const index = e.next++;
      const header = BATCH_COUNT_BYTES + index * BATCH_ITEM_HEADER_BYTES;
      const kind = e.bytes[header];
      const length = readU32(e.bytes, header + 1);
      const payload = new U8(e.buffer, e.offset, length);
      e.offset += length;
      const id = e.firstId + index;
      current = id;
      beginCall(id);
      const result = runCall(kind, payload);
      if (isThenable(result)) {
        // Wait for it before the next call starts (hooks keep their one-at-a-time semantics);
        // if it is still pending when the entry is reported, it is parked and the host sends
        // the calls after it again.
        unsettled++;
        result.then(
          (value) => {
            unsettled--;
            finish(e, id, value);
            pump(e);
          },
          (error: unknown) => {
            unsettled--;
            finish(e, id, { failure: 'exception', message: `call ${id}: ${String(error)}` });
            pump(e);
          },
        );
        return;
      }
      finish(e, id, result);
    }
  }

  function seal(e: Entry | null): BatchReport {
    // The outbox is emptied and reused: results recorded from here on belong to the next report.
    const box = outbox;
    entryActive = false;
    let started = 0;
    if (e) {
      e.stopped = true;
      started = e.next;
    }
    return encodeReport(box, started, current);
  }

  function run(batch: ArrayBuffer, firstId: number): BatchReport | { readonly report: BatchReport } {
    const bytes = new U8(batch);
    const count = bytes.length >= BATCH_COUNT_BYTES ? readU32(bytes, 0) : 0;
    const e: Entry = {
      buffer: batch,
      bytes,
      firstId,
      count,
      next: 0,
      offset: BATCH_COUNT_BYTES + count * BATCH_ITEM_HEADER_BYTES,
      startedAt: now(),
      stopped: false,
    };
    // Whatever an earlier entry left pending is parked now: that entry's microtasks have run.
    if (entry) entry.stopped = true;
    entry = e;
    entryActive = true;
    wakeSent = false;
    current = -1;
    beginEntry();
    pump(e);
    // Nothing can finish after this return: answer now, without the getter (cheaper to copy).
    if (unsettled === 0) return seal(e);
    let report: BatchReport | undefined;
    return {
      get report() {
        report ??= seal(e);
        return report;
      },
    };
  }

  return { run, collect: () => seal(entry) };
}
