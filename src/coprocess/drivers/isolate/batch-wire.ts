import { coprocess } from '../../codec';
import type { CoprocessObject } from '../../dispatcher';
import type { Call } from './call-queue';
import {
  BATCH_COUNT_BYTES,
  BATCH_ITEM_HEADER_BYTES,
  type BatchReport,
  type GuestFailure,
  type GuestFailureReason,
  REPORT_PAIRS,
  REPORT_STARTED,
  RESULT_FAILED,
} from './protocol';

/**
 * The Object's protobuf bytes, possibly a slice of protobufjs's shared pool (ISOLATED-VM-NOTES
 * §B1). That is safe here: the slice is only read, when `packBatch` copies it into the batch
 * buffer, which is the one buffer ever transferred.
 */
export function encodeCall(object: CoprocessObject): Uint8Array {
  return coprocess.Object.encode(object).finish();
}

/**
 * One fresh ArrayBuffer holding every call of a batch (protocol.ts BATCH_COUNT_BYTES): it is
 * transferred into the isolate, so nothing else may own it.
 */
export function packBatch(calls: readonly Call[]): ArrayBuffer {
  const n = calls.length;
  let offset = BATCH_COUNT_BYTES + n * BATCH_ITEM_HEADER_BYTES;
  let total = offset;
  for (let i = 0; i < n; i++) total += calls[i].payload.length;
  const buffer = new ArrayBuffer(total);
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  view.setUint32(0, n, true);
  for (let i = 0; i < n; i++) {
    const { kind, payload } = calls[i];
    const header = BATCH_COUNT_BYTES + i * BATCH_ITEM_HEADER_BYTES;
    view.setUint8(header, kind);
    view.setUint32(header + 1, payload.length, true);
    bytes.set(payload, offset);
    offset += payload.length;
  }
  return buffer;
}

const GUEST_REASONS: ReadonlySet<string> = new Set<GuestFailureReason>(['exception', 'bad_result', 'memory']);

function isGuestFailure(value: unknown): value is GuestFailure {
  const v = value as GuestFailure;
  return typeof v === 'object' && v !== null && GUEST_REASONS.has(v.failure) && typeof v.message === 'string' && (v.stack === undefined || typeof v.stack === 'string');
}

/**
 * Why a report cannot be applied, or '' if it can. The runtime writes reports, but middleware
 * shares its realm and can replace the intrinsics it uses: whatever arrives is checked before any
 * of it is believed, so a plugin can at worst fail its own API's calls.
 */
export function reportProblem(report: unknown, batchSize: number): string {
  const r = report as BatchReport;
  if (typeof r !== 'object' || r === null) return 'no report';
  const { meta, bytes, failures } = r;
  if (!(meta instanceof Float64Array) || meta.length < REPORT_PAIRS || (meta.length - REPORT_PAIRS) % 2 !== 0) return 'malformed report header';
  if (!(bytes instanceof Uint8Array) || !Array.isArray(failures)) return 'malformed report body';
  const started = meta[REPORT_STARTED];
  if (!Number.isInteger(started) || started < 0 || started > batchSize) return `report says ${started} of ${batchSize} calls started`;
  let total = 0;
  let failed = 0;
  for (let i = REPORT_PAIRS; i < meta.length; i += 2) {
    const id = meta[i];
    const length = meta[i + 1];
    if (!Number.isSafeInteger(id) || id < 0) return `report names call ${id}`;
    if (length === RESULT_FAILED) {
      if (!isGuestFailure(failures[failed++])) return 'malformed failure in report';
    } else if (!Number.isInteger(length) || length < 0) {
      return `report gives call ${id} length ${length}`;
    } else {
      total += length;
    }
  }
  if (failed !== failures.length) return 'report failures do not match its entries';
  if (total !== bytes.length) return `report results take ${total} bytes of ${bytes.length}`;
  return '';
}
