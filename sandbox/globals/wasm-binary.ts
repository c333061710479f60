// Caps the memories a WebAssembly module defines for itself. V8 allocates Wasm memory outside
// the heap and outside isolated-vm's limiting ArrayBuffer allocator, so `memory_limit_mb` never
// sees it (issue 13: 30 × 64 MiB = 1.9 GB RSS with a 32 MB limit, 0 bytes "external"). And
// `memory.grow` inside Wasm code never calls back into JavaScript. The one place a limit can be
// put is the memory's declared maximum: V8 refuses to grow past it (memory.grow returns -1). So
// the module's bytes are rewritten before V8 compiles them: every defined memory gets a maximum
// no larger than the API's budget.
//
// The parser is strict: what it cannot read is refused, never handed to V8 unchanged, so no
// module gets an uncapped memory through a parser disagreement. It runs after user code may have
// changed built-ins, so it touches only typed-array elements, numbers and intrinsics.ts.
import { intrinsics } from './intrinsics';

export const WASM_PAGE = 65536;
const MEMORY_SECTION = 5;
const HAS_MAX = 0x01;
const SHARED = 0x02;
const MEMORY64 = 0x04;
/** One memory entry rewritten: flags byte + two LEB128 u32 of at most 5 bytes. */
const MAX_ENTRY_BYTES = 11;

/** Thrown for bytes this parser will not hand to V8 (the caller turns it into a CompileError). */
export class WasmParseError extends intrinsics.Error {}

/** Thrown when a defined memory's initial size alone is over the budget. */
export class WasmBudgetError extends intrinsics.RangeError {}

/** A cursor over a module; `at` moves as numbers are read. */
interface Cursor {
  readonly bytes: Uint8Array;
  at: number;
}

function readU32(c: Cursor, end: number): number {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (c.at >= end) throw new WasmParseError('truncated LEB128 number');
    const byte = c.bytes[c.at++]!;
    if (i === 4 && byte > 0x0f) throw new WasmParseError('LEB128 number out of range');
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return value;
  }
  throw new WasmParseError('LEB128 number too long');
}

/** Write `value` as LEB128 at `out[at]`; returns the next position. */
function writeU32(out: Uint8Array, at: number, value: number): number {
  let v = value;
  let next = at;
  for (;;) {
    const byte = v % 128;
    v = (v - byte) / 128;
    out[next++] = v > 0 ? byte | 0x80 : byte;
    if (v === 0) return next;
  }
}

function sizeU32(value: number): number {
  let n = 1;
  for (let v = value; v >= 128; v = (v - (v % 128)) / 128) n++;
  return n;
}

function copyRange(from: Uint8Array, start: number, end: number, to: Uint8Array, at: number): number {
  let o = at;
  for (let i = start; i < end; i++) to[o++] = from[i]!;
  return o;
}

/** The rewritten module, and the memories it defines: how many, and their maxima (pages) in total. */
export interface CappedModule {
  bytes: Uint8Array;
  memoryPages: number;
  memories: number;
}

/** Rewrite a memory section's content into `out`; returns the content length. */
function capMemorySection(c: Cursor, end: number, capPages: number, out: Uint8Array, result: { pages: number; memories: number }): number {
  let count = readU32(c, end);
  let o = writeU32(out, 0, count);
  while (count-- > 0) {
    if (c.at >= end) throw new WasmParseError('truncated memory section');
    const flags = c.bytes[c.at++]!;
    if (flags & ~(HAS_MAX | SHARED | MEMORY64)) throw new WasmParseError('unknown memory limits flags');
    if (flags & MEMORY64) throw new WasmParseError('64-bit memories are not supported');
    const min = readU32(c, end);
    let max = Infinity;
    if (flags & HAS_MAX) max = readU32(c, end);
    else if (flags & SHARED) throw new WasmParseError('a shared memory needs a maximum');
    if (min > capPages) {
      throw new WasmBudgetError(`the module's memory needs ${min} pages (${min * 64} KiB) at start; this API's Wasm budget is ${capPages} pages (memory_limit_mb)`);
    }
    const capped = max < capPages ? max : capPages;
    out[o++] = flags | HAS_MAX;
    o = writeU32(out, o, min);
    o = writeU32(out, o, capped);
    result.pages += capped;
    result.memories++;
  }
  if (c.at !== end) throw new WasmParseError('memory section has trailing bytes');
  return o;
}

/**
 * Rewrite `bytes` (a private copy, `length` bytes) so that no memory it defines can grow past
 * `capPages`. Only locals, no arrays: an index write to an array can hit a setter user code put
 * on Array.prototype.
 */
export function capModuleMemories(bytes: Uint8Array, length: number, capPages: number): CappedModule {
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00] as const;
  if (length < 8) throw new WasmParseError('not a WebAssembly module (too short)');
  for (let i = 0; i < 8; i++) if (bytes[i] !== magic[i]) throw new WasmParseError('not a WebAssembly module (bad magic number or version)');
  // First pass: find the memory section (V8 allows one) and rewrite it into scratch space.
  const c: Cursor = { bytes, at: 8 };
  const result = { pages: 0, memories: 0 };
  let found = false;
  let sectionStart = 0;
  let sectionEnd = 0;
  let content = bytes;
  let contentLength = 0;
  while (c.at < length) {
    const start = c.at;
    const id = bytes[c.at++]!;
    const size = readU32(c, length);
    const end = c.at + size;
    if (end > length) throw new WasmParseError('a section runs past the end of the module');
    if (id === MEMORY_SECTION) {
      if (found) throw new WasmParseError('more than one memory section');
      found = true;
      sectionStart = start;
      sectionEnd = end;
      content = new intrinsics.Uint8Array(5 + size * MAX_ENTRY_BYTES);
      contentLength = capMemorySection(c, end, capPages, content, result);
    }
    c.at = end;
  }
  if (!found) return { bytes, memoryPages: 0, memories: 0 };
  // Second pass: copy the module with the rewritten section spliced in.
  const out = new intrinsics.Uint8Array(length - (sectionEnd - sectionStart) + 1 + sizeU32(contentLength) + contentLength);
  let o = copyRange(bytes, 0, sectionStart, out, 0);
  out[o++] = MEMORY_SECTION;
  o = writeU32(out, o, contentLength);
  o = copyRange(content, 0, contentLength, out, o);
  copyRange(bytes, sectionEnd, length, out, o);
  return { bytes: out, memoryPages: result.pages, memories: result.memories };
}
