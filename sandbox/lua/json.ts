// JSON <-> Lua values with lua-cjson's rules, for the `cjson` module (cjson.ts), TykTriggerEvent
// payloads and event handlers. Encoding works on bytes: a Lua string goes out byte for byte
// (only quotes, backslashes, `/` and control bytes are escaped, as lua-cjson does), so binary
// data survives. Decoding parses the text with V8's JSON.parse and builds the tables.
import type { lua_State } from './fengari';
import { decodeUtf8 } from '../text/utf8';
import {
  booleanValue,
  bytesOf,
  describe,
  firstEntry,
  getIndex,
  isInteger,
  lightValue,
  name,
  newTable,
  numberOf,
  numberValue,
  setField,
  type Table,
  tableOf,
  tableValue,
  textValue,
  type TValue,
  Type,
  typeOf,
} from './tables';

/** `cjson.null`: a light userdata that encodes as JSON null and is what null decodes to. */
const JSON_NULL: object = Object.freeze({ name: 'cjson.null' });

export function jsonNullValue(): TValue {
  return lightValue(JSON_NULL);
}

/** lua-cjson's settings; each `cjson.new()` module has its own. */
export interface JsonSettings {
  /** Sparse arrays: convert them to objects, or refuse those past `ratio` and `safe`. */
  sparseConvert: boolean;
  sparseRatio: number;
  sparseSafe: number;
  emptyTableAsObject: boolean;
  escapeForwardSlash: boolean;
  /** Significant digits of non-integral numbers (lua-cjson's `%.14g`). */
  precision: number;
  encodeMaxDepth: number;
  decodeMaxDepth: number;
}

export function defaultJsonSettings(): JsonSettings {
  return { sparseConvert: false, sparseRatio: 2, sparseSafe: 10, emptyTableAsObject: true, escapeForwardSlash: true, precision: 14, encodeMaxDepth: 1000, decodeMaxDepth: 1000 };
}

/** What cjson raises: the message lua-cjson would give. */
export class JsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonError';
  }
}

class ByteWriter {
  private buf = new Uint8Array(256);
  private n = 0;

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.n++] = b;
  }

  ascii(text: string): void {
    this.room(text.length);
    for (let i = 0; i < text.length; i++) this.buf[this.n++] = text.charCodeAt(i);
  }

  bytes(data: Uint8Array): void {
    this.room(data.length);
    this.buf.set(data, this.n);
    this.n += data.length;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

const HEX = '0123456789abcdef';

function writeString(out: ByteWriter, s: Uint8Array, settings: JsonSettings): void {
  out.byte(0x22);
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const b = s[i];
    let escape: string | undefined;
    if (b < 0x20 || b === 0x7f) {
      escape = b === 0x08 ? '\\b' : b === 0x09 ? '\\t' : b === 0x0a ? '\\n' : b === 0x0c ? '\\f' : b === 0x0d ? '\\r' : `\\u00${HEX[b >> 4]}${HEX[b & 15]}`;
    } else if (b === 0x22) escape = '\\"';
    else if (b === 0x5c) escape = '\\\\';
    else if (b === 0x2f && settings.escapeForwardSlash) escape = '\\/';
    if (escape === undefined) continue;
    out.bytes(s.subarray(start, i));
    out.ascii(escape);
    start = i + 1;
  }
  out.bytes(s.subarray(start));
  out.byte(0x22);
}

/** C's `%.<precision>g`, which lua-cjson uses for numbers that are not integers. */
function formatG(n: number, precision: number): string {
  const exponential = n.toExponential(precision - 1);
  const e = exponential.indexOf('e');
  const exp = Number(exponential.slice(e + 1));
  const strip = (digits: string): string => (digits.includes('.') ? digits.replace(/\.?0+$/, '') : digits);
  if (exp < -4 || exp >= precision) {
    const abs = Math.abs(exp);
    return `${strip(exponential.slice(0, e))}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  return strip(n.toFixed(precision - 1 - exp));
}

function writeNumber(out: ByteWriter, v: TValue, settings: JsonSettings): void {
  const n = numberOf(v);
  if (!Number.isFinite(n)) throw new JsonError('Cannot serialise number: must not be NaN or Infinity');
  // fengari's integers are 32-bit, so whole numbers past 2^31 arrive as floats: written as
  // integers all the same, as lua-cjson does for Lua 5.3's 64-bit integers.
  if (isInteger(v) || (Number.isInteger(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER)) out.ascii(String(n));
  else out.ascii(formatG(n, settings.precision));
}

/** The table's length if it is an array for lua-cjson, -1 if it is an object. */
function arrayLength(t: Table, settings: JsonSettings): number {
  let max = 0;
  let count = 0;
  for (let e = firstEntry(t); e; e = e.n) {
    if (typeOf(e.key) !== Type.number) return -1;
    const k = numberOf(e.key);
    if (!Number.isInteger(k) || k < 1) return -1;
    if (k > max) max = k;
    count++;
  }
  if (settings.sparseRatio > 0 && max > count * settings.sparseRatio && max > settings.sparseSafe) {
    if (!settings.sparseConvert) throw new JsonError('Cannot serialise table: excessively sparse array');
    return -1;
  }
  return max;
}

function writeTable(out: ByteWriter, t: Table, depth: number, settings: JsonSettings): void {
  if (depth > settings.encodeMaxDepth) throw new JsonError(`Cannot serialise, excessive nesting (${depth})`);
  const length = arrayLength(t, settings);
  if (length > 0 || (length === 0 && !settings.emptyTableAsObject)) {
    out.byte(0x5b);
    for (let i = 1; i <= length; i++) {
      if (i > 1) out.byte(0x2c);
      writeValue(out, getIndex(t, i), depth, settings);
    }
    out.byte(0x5d);
    return;
  }
  out.byte(0x7b);
  let first = true;
  for (let e = firstEntry(t); e; e = e.n) {
    if (!first) out.byte(0x2c);
    first = false;
    const keyType = typeOf(e.key);
    if (keyType === Type.string) writeString(out, bytesOf(e.key), settings);
    else if (keyType === Type.number) {
      const key = new ByteWriter();
      writeNumber(key, e.key, settings);
      writeString(out, key.result(), settings);
    } else throw new JsonError('Cannot serialise table: table key must be a number or string');
    out.byte(0x3a);
    writeValue(out, e.value, depth, settings);
  }
  out.byte(0x7d);
}

function writeValue(out: ByteWriter, v: TValue, depth: number, settings: JsonSettings): void {
  switch (typeOf(v)) {
    case Type.string:
      writeString(out, bytesOf(v), settings);
      return;
    case Type.number:
      writeNumber(out, v, settings);
      return;
    case Type.boolean:
      out.ascii(v.value ? 'true' : 'false');
      return;
    case Type.nil:
      out.ascii('null');
      return;
    case Type.table:
      writeTable(out, tableOf(v), depth + 1, settings);
      return;
    case Type.lightuserdata:
      if (v.value === JSON_NULL) {
        out.ascii('null');
        return;
      }
  }
  throw new JsonError(`Cannot serialise ${describe(v).replace(/^an? /, '')}: type not supported`);
}

/** The value as JSON bytes; throws JsonError. */
export function encodeJson(v: TValue, settings: JsonSettings): Uint8Array {
  const out = new ByteWriter();
  writeValue(out, v, 0, settings);
  return out.result();
}

/** A JSON-like JS value (JSON.parse output, event payloads) as a Lua value; null as `nullValue`. */
export function jsonValue(L: lua_State, value: unknown, depth: number, settings: JsonSettings, nullValue: TValue): TValue {
  if (value === null || value === undefined) return nullValue;
  switch (typeof value) {
    case 'string':
      return textValue(L, value);
    case 'number':
      return numberValue(value);
    case 'boolean':
      return booleanValue(value);
    case 'object':
      break;
    default:
      return textValue(L, String(value));
  }
  if (depth >= settings.decodeMaxDepth) throw new JsonError(`Found too many nested data structures (${depth + 1})`);
  const t = newTable(L);
  if (Array.isArray(value)) {
    // cjson.null keeps a position in an array; nil (nullValue NIL) leaves a hole.
    for (let i = 0; i < value.length; i++) setField(L, t, numberValue(i + 1), jsonValue(L, value[i], depth + 1, settings, nullValue));
    return tableValue(t);
  }
  for (const key of Object.keys(value as Record<string, unknown>)) {
    setField(L, t, name(L, key).value, jsonValue(L, (value as Record<string, unknown>)[key], depth + 1, settings, nullValue));
  }
  return tableValue(t);
}

/** Parse JSON bytes into a Lua value, null as `cjson.null`; throws JsonError. */
export function decodeJson(L: lua_State, bytes: Uint8Array, settings: JsonSettings): TValue {
  let value: unknown;
  try {
    value = JSON.parse(decodeUtf8(bytes));
  } catch (err) {
    throw new JsonError(`Expected a JSON value: ${(err as Error).message}`);
  }
  return jsonValue(L, value, 0, settings, jsonNullValue());
}
