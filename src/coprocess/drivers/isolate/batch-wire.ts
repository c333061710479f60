import { coprocess } from '../../codec';
import type { CoprocessObject } from '../../dispatcher';
import type { Call } from './call-queue';
import {
  BATCH_COUNT_BYTES,
  BATCH_ITEM_HEADER_BYTES,
  type BatchReport,
  type GuestFailure,
  type GuestFailureReason,
  REPORT_COUNT,
  REPORT_CURRENT,
  REPORT_PAIR_BYTES,
  REPORT_PAIRS,
  REPORT_STARTED,
} from '../../../protocol/isolate';

/**
 * The Object's protobuf bytes, possibly a slice of protobufjs's shared pool (so
 * never transferred itself). That is safe here: the slice is only read, when `packBatch` copies it into the batch
 * buffer, which is the one buffer ever transferred.
 */
export function encodeCall(object: CoprocessObject): Uint8Array {
  return coprocess.Object.encode(object).finish();
}

/**
 * One fresh ArrayBuffer holding every call of a batch (src/protocol/isolate.ts BATCH_COUNT_BYTES): it is
 * transferred into the isolate, so nothing else may own it.
 */
export function packBatch(calls: readonly Call[]): ArrayBuffer {
  const n = calls.length;
  let offset = BATCH_COUNT_BYTES + n * BATCH_ITEM_HEADER_BYTES;
  let total = offset;
  for (let i = 0; i < n; i++) total += calls[i].payload.length;
  // Byte writes, not a DataView: this runs for every entry, and a view is one more allocation.
  const bytes = new Uint8Array(total);
  writeU32(bytes, 0, n);
  for (let i = 0; i < n; i++) {
    const { kind, payload } = calls[i];
    const header = BATCH_COUNT_BYTES + i * BATCH_ITEM_HEADER_BYTES;
    bytes[header] = kind;
    writeU32(bytes, header + 1, payload.length);
    bytes.set(payload, offset);
    offset += payload.length;
  }
  return bytes.buffer;
}

function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = value >>> 24;
}

const GUEST_REASONS: ReadonlySet<string> = new Set<GuestFailureReason>(['exception', 'bad_result', 'memory']);

function isGuestFailure(value: unknown): value is GuestFailure {
  const v = value as GuestFailure;
  return typeof v === 'object' && v !== null && GUEST_REASONS.has(v.failure) && typeof v.message === 'string' && (v.stack === undefined || typeof v.stack === 'string');
}

/**
 * A report (src/protocol/isolate.ts BatchReport), read and checked in full before any of it is believed:
 * the runtime writes reports, but middleware shares its realm and can replace the intrinsics it
 * uses, so a plugin can at worst fail its own API's calls. Throws an Error saying what is wrong.
 * Finished call i has id `ids[i]` and either result bytes `report[starts[i], ends[i])` or, if
 * `failures[i]` is set, that failure.
 */
export class ReportReader {
  readonly started: number;
  readonly current: number;
  readonly ids: number[] = [];
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly failures: (GuestFailure | undefined)[] = [];

  constructor(
    readonly report: unknown,
    batchSize: number,
  ) {
    if (!(report instanceof Uint8Array) || report.length < REPORT_PAIRS) throw new Error('no report');
    const view = new DataView(report.buffer, report.byteOffset, report.byteLength);
    this.started = view.getFloat64(REPORT_STARTED, true);
    this.current = view.getFloat64(REPORT_CURRENT, true);
    const n = view.getFloat64(REPORT_COUNT, true);
    if (!Number.isInteger(this.started) || this.started < 0 || this.started > batchSize) throw new Error(`it says ${this.started} of ${batchSize} calls started`);
    if (!Number.isInteger(n) || n < 0 || REPORT_PAIRS + n * REPORT_PAIR_BYTES > report.length) throw new Error(`it lists ${n} results in ${report.length} bytes`);
    let at = REPORT_PAIRS + n * REPORT_PAIR_BYTES;
    for (let i = 0; i < n; i++) {
      const pair = REPORT_PAIRS + i * REPORT_PAIR_BYTES;
      const id = view.getFloat64(pair, true);
      const code = view.getFloat64(pair + 8, true);
      const end = at + Math.abs(code);
      if (!Number.isSafeInteger(id) || id < 0) throw new Error(`it names call ${id}`);
      if (!Number.isInteger(code) || end > report.length) throw new Error(`it gives call ${id} ${code} bytes`);
      this.ids.push(id);
      this.starts.push(at);
      this.ends.push(end);
      this.failures.push(code < 0 ? failureAt(report, at, end, id) : undefined);
      at = end;
    }
    if (at !== report.length) throw new Error(`${report.length - at} bytes follow its results`);
  }
}

function failureAt(report: Uint8Array, start: number, end: number, id: number): GuestFailure {
  let failure: unknown;
  try {
    failure = JSON.parse(Buffer.from(report.buffer, report.byteOffset + start, end - start).toString('utf8'));
  } catch {
    failure = undefined;
  }
  if (!isGuestFailure(failure)) throw new Error(`call ${id} failed without saying why`);
  return failure;
}
