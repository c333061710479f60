import { coprocess } from '../../codec';
import type { CoprocessObject } from '../../dispatcher';
import type { Call } from './call-queue';
import { BATCH_COUNT_BYTES, BATCH_ITEM_HEADER_BYTES } from './protocol';

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
