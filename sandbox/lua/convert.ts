// Coprocess messages <-> Lua tables, driven by the same field table the normaliser uses
// (wire/schema.ts), so the Lua view has exactly the proto field names. On the way in proto3
// is followed: scalars are never nil (an unset string is ""), maps and lists are always tables
// (so `request.set_headers["X"] = v` just works), and a sub-message the gateway did not send is
// nil. `bytes` fields (raw_body) become Lua strings holding the bytes, binary included. On the way
// out only the schema's fields are read, without metamethods; the normaliser then coerces types
// exactly as for JS hooks. Values that cannot be meant (a function for a header) are a
// BadResultError naming the field.
import type { lua_State } from './fengari';
import { BadResultError } from '../errors';
import { encodeUtf8 } from '../text/utf8';
import type { FieldSchema, MessageSchema, ScalarKind } from '../wire/schema';
import {
  booleanValue,
  bytesOf,
  describe,
  bytesValue,
  firstEntry,
  floatValue,
  getField,
  getIndex,
  lengthOf,
  name,
  newTable,
  numberOf,
  numberValue,
  setField,
  type Table,
  tableOf,
  tableValue,
  textOf,
  textValue,
  type TValue,
  Type,
  typeOf,
} from './tables';

type Plain = Record<string, unknown>;
type Kind = ScalarKind | MessageSchema;

const EMPTY = new Uint8Array(0);

function scalarValue(L: lua_State, kind: ScalarKind, value: unknown): TValue {
  switch (kind) {
    case 'string':
      return textValue(L, typeof value === 'string' ? value : '');
    case 'bytes':
      return bytesValue(L, value instanceof Uint8Array ? value : EMPTY);
    case 'bool':
      return booleanValue(value === true);
    case 'double':
      return floatValue(typeof value === 'number' ? value : 0);
    default:
      return numberValue(typeof value === 'number' ? value : 0);
  }
}

function elementValue(L: lua_State, kind: Kind, value: unknown): TValue {
  return typeof kind === 'object' ? tableValue(messageTable(L, kind, value as Plain)) : scalarValue(L, kind, value);
}

function mapTable(L: lua_State, kind: Kind, value: unknown): Table {
  const t = newTable(L);
  if (!value || typeof value !== 'object') return t;
  for (const key in value as Plain) {
    const item = (value as Plain)[key];
    if (item !== undefined && item !== null) setField(L, t, name(L, key).value, elementValue(L, kind, item));
  }
  return t;
}

function listTable(L: lua_State, kind: Kind, value: unknown): Table {
  const t = newTable(L);
  if (!Array.isArray(value)) return t;
  for (let i = 0; i < value.length; i++) setField(L, t, numberValue(i + 1), elementValue(L, kind, value[i]));
  return t;
}

/**
 * `message` (a decoded message or a plain object with proto field names) as a table.
 * `ready` supplies a field's Lua value made by the caller (a body's bytes, see adapter.ts).
 */
export function messageTable(L: lua_State, schema: MessageSchema, message: Plain, ready?: Readonly<Record<string, TValue>>): Table {
  const t = newTable(L);
  for (const field of schema.fields) {
    const key = name(L, field.name).value;
    const made = ready?.[field.name];
    if (made) {
      setField(L, t, key, made);
      continue;
    }
    // Read only now: reading a lazily decoded body would decode it (wire/lazy-body.ts).
    const value = message[field.name];
    if (field.label === 'map') setField(L, t, key, tableValue(mapTable(L, field.kind, value)));
    else if (field.label === 'repeated') setField(L, t, key, tableValue(listTable(L, field.kind, value)));
    else if (typeof field.kind === 'object') {
      if (value !== undefined && value !== null) setField(L, t, key, tableValue(messageTable(L, field.kind, value as Plain)));
    } else setField(L, t, key, scalarValue(L, field.kind, value));
  }
  return t;
}

/** A map<string, string> (metadata, spec) as a table. */
export function stringMapTable(L: lua_State, value: unknown): Table {
  return mapTable(L, 'string', value);
}

function wrong(v: TValue, path: string, expected: string): never {
  throw new BadResultError(`${path}: expected ${expected}, got ${describe(v)}`);
}

/** A number as text the way a header value would want it (2, not 2.0). */
function numberText(v: TValue): string {
  return String(numberOf(v));
}

function readScalar(v: TValue, kind: ScalarKind, path: string): unknown {
  const type = typeOf(v);
  switch (kind) {
    case 'string':
      if (type === Type.string) return textOf(v);
      if (type === Type.number) return numberText(v);
      if (type === Type.boolean) return v.value ? 'true' : 'false';
      return wrong(v, path, 'a string');
    case 'bytes':
      // Not a copy: Lua strings are immutable, and the encoder only reads.
      if (type === Type.string) return bytesOf(v);
      if (type === Type.number) return encodeUtf8(numberText(v));
      return wrong(v, path, 'a string');
    case 'bool':
      if (type === Type.boolean) return v.value === true;
      if (type === Type.number) return numberOf(v) !== 0;
      if (type === Type.string) return textOf(v);
      return wrong(v, path, 'a boolean');
    default:
      if (type === Type.number) return numberOf(v);
      if (type === Type.string) return textOf(v);
      return wrong(v, path, 'a number');
  }
}

function readElement(L: lua_State, v: TValue, kind: Kind, path: string): unknown {
  return typeof kind === 'object' ? readMessage(L, v, kind, path) : readScalar(v, kind, path);
}

/** A table key as text: strings as they are, numbers as text. */
function keyText(k: TValue, path: string): string {
  const type = typeOf(k);
  if (type === Type.string) return textOf(k);
  if (type === Type.number) return numberText(k);
  throw new BadResultError(`${path}: table keys must be strings, got ${describe(k)}`);
}

function readMap(L: lua_State, v: TValue, kind: Kind, path: string): Plain {
  if (typeOf(v) !== Type.table) wrong(v, path, 'a table');
  // A null prototype keeps a `__proto__` key an ordinary key.
  const out: Plain = Object.create(null);
  for (let e = firstEntry(tableOf(v)); e; e = e.n) {
    const key = keyText(e.key, path);
    if (typeOf(e.value) !== Type.nil) out[key] = readElement(L, e.value, kind, `${path}.${key}`);
  }
  return out;
}

function readList(L: lua_State, v: TValue, kind: Kind, path: string): unknown[] {
  const type = typeOf(v);
  // A lone string for a list of strings, as the normaliser allows for JS ('X-Foo' for {'X-Foo'}).
  if (type === Type.string && kind === 'string') return [textOf(v)];
  if (type !== Type.table) wrong(v, path, 'a list (a table with keys 1..n)');
  const t = tableOf(v);
  const n = lengthOf(t);
  // `{ ["X-Foo"] = true }` for a list would silently vanish: say so instead.
  if (n === 0 && firstEntry(t)) throw new BadResultError(`${path}: expected a list (a table with keys 1..n), got a table with other keys`);
  const out: unknown[] = [];
  for (let i = 1; i <= n; i++) {
    const item = getIndex(t, i);
    if (typeOf(item) !== Type.nil) out.push(readElement(L, item, kind, `${path}[${i}]`));
  }
  return out;
}

function readField(L: lua_State, v: TValue, field: FieldSchema, path: string): unknown {
  if (field.label === 'map') return readMap(L, v, field.kind, path);
  if (field.label === 'repeated') return readList(L, v, field.kind, path);
  return readElement(L, v, field.kind, path);
}

/**
 * The table `v` as a plain object with the schema's fields (nil fields left out). With `only`,
 * just those fields are read: what the gateway applies (a request's headers map is not).
 */
export function readMessage(L: lua_State, v: TValue, schema: MessageSchema, path: string, only?: ReadonlySet<string>): Plain {
  if (typeOf(v) !== Type.table) wrong(v, path, 'a table');
  const t = tableOf(v);
  const out: Plain = {};
  for (const field of schema.fields) {
    if (only && !only.has(field.name)) continue;
    const item = getField(t, name(L, field.name));
    if (typeOf(item) !== Type.nil) out[field.name] = readField(L, item, field, `${path}.${field.name}`);
  }
  return out;
}

/** A map<string, string> table (metadata) as a plain object. */
export function readStringMap(L: lua_State, v: TValue, path: string): Plain {
  return readMap(L, v, 'string', path);
}
