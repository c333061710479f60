// Coerces whatever a hook left in its objects into values the protobuf encoder writes
// correctly. protobufjs trusts its input: a number in a string map encodes as an empty string,
// a string in a bytes field is taken for base64, a lone surrogate becomes invalid UTF-8. Here
// such mistakes are either repaired the way a JS author would expect, or rejected with a
// BadResultError naming the field, so the wire never carries garbage.
import { BadResultError } from '../errors';
import { stringifyOrString } from '../globals/format';
import { encodeUtf8 } from '../text/utf8';
import type { FieldSchema, MessageSchema, ScalarKind } from './schema';

type Plain = Record<string, unknown>;

interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

function wellFormed(text: string): string {
  const s = text as unknown as WellFormedString;
  return s.isWellFormed() ? text : s.toWellFormed();
}

function fail(path: string, expected: string, value: unknown): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  throw new BadResultError(`${path}: expected ${expected}, got ${got}`);
}

interface LongLike {
  toNumber(): number;
}

function toNumber(value: unknown, path: string, expected: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  // long.js values, e.g. from code that still uses protobufjs with Long enabled.
  if (typeof value === 'object' && value !== null && typeof (value as LongLike).toNumber === 'function') return (value as LongLike).toNumber();
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    if (!Number.isNaN(n)) return n;
  }
  return fail(path, expected, value);
}

function scalar(kind: ScalarKind, value: unknown, path: string): unknown {
  switch (kind) {
    case 'string':
      if (typeof value === 'string') return wellFormed(value);
      if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
      if (typeof value === 'object') return wellFormed(stringifyOrString(value));
      return fail(path, 'a string', value);
    case 'bytes':
      if (value instanceof Uint8Array) return value;
      if (typeof value === 'string') return encodeUtf8(value);
      if (value instanceof ArrayBuffer) return new Uint8Array(value);
      if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      if (Array.isArray(value)) return Uint8Array.from(value as number[]);
      return fail(path, 'a Uint8Array or string', value);
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value !== 0;
      if (value === 'true' || value === 'false') return value === 'true';
      return fail(path, 'a boolean', value);
    case 'int32':
    case 'enum': {
      const n = Math.trunc(toNumber(value, path, 'an integer'));
      if (!(n >= -0x80000000 && n <= 0x7fffffff)) fail(path, 'a 32-bit integer', value);
      return n;
    }
    case 'int64': {
      const n = Math.trunc(toNumber(value, path, 'an integer'));
      if (!Number.isFinite(n)) fail(path, 'a finite integer', value);
      return n;
    }
    case 'double':
      return toNumber(value, path, 'a number');
  }
}

function element(kind: ScalarKind | MessageSchema, value: unknown, path: string): unknown {
  return typeof kind === 'object' ? normaliseMessage(kind, value, path) : scalar(kind, value, path);
}

function mapField(field: FieldSchema, value: unknown, path: string): Plain {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
  // A null prototype keeps a `__proto__` key an ordinary key.
  const out: Plain = Object.create(null);
  const entries: [string, unknown][] =
    value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v]) : Object.entries(value);
  for (const [key, item] of entries) {
    if (item === undefined || item === null) continue;
    out[wellFormed(key)] = element(field.kind, item, `${path}.${key}`);
  }
  return out;
}

function repeatedField(field: FieldSchema, value: unknown, path: string): unknown[] {
  let items: ArrayLike<unknown>;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) items = value as ArrayLike<unknown>;
  else if (typeof field.kind !== 'object' && typeof value !== 'object') items = [value]; // 'X-Foo' for ['X-Foo']
  else return fail(path, 'an array', value);
  const out: unknown[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === undefined || item === null) continue;
    out.push(element(field.kind, item, `${path}[${i}]`));
  }
  return out;
}

/** proto3 writes nothing for these, so they are left out (and "empty" can be told apart). */
function isDefault(field: FieldSchema, value: unknown): boolean {
  if (field.label === 'map') return Object.keys(value as Plain).length === 0;
  if (field.label === 'repeated') return (value as unknown[]).length === 0;
  if (typeof field.kind === 'object') return false; // a present sub-message is meaningful (nil in Go)
  return value === '' || value === 0 || value === false || (value instanceof Uint8Array && value.length === 0);
}

/**
 * A plain copy of `value` holding only the non-default fields of `schema`, each coerced to its
 * wire type. Reads through the prototype, so decoded message instances (defaults on the
 * prototype) work.
 */
export function normaliseMessage(schema: MessageSchema, value: unknown, path: string): Plain {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
  const source = value as Plain;
  const out: Plain = {};
  const fields = schema.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    const item = source[field.name];
    if (item === undefined || item === null) continue;
    const where = `${path}.${field.name}`;
    const normalised =
      field.label === 'map' ? mapField(field, item, where) : field.label === 'repeated' ? repeatedField(field, item, where) : element(field.kind, item, where);
    if (!isDefault(field, normalised)) out[field.name] = normalised;
  }
  return out;
}

/** True if a normalised message would encode to nothing. */
export function isEmptyMessage(message: Plain): boolean {
  for (const _ in message) return false;
  return true;
}
