// Lua values and tables built and read directly, below fengari's stack API. Measured on a
// 34-field table: ~200 µs through lua_pushstring/lua_rawset (every pop `delete`s a stack slot,
// and every string key is rehashed byte by byte) against ~45 µs here, where keys are cached
// string objects whose hash is computed once. Everything that touches fengari's internals is in
// this file; the rest of the adapter sees values (TValue), tables and a few stack bridges.
import { constant_types as T } from 'fengari/src/defs.js';
import { luaO_nilobject, TValue } from 'fengari/src/lobject.js';
import { luaS_bless, type TString } from 'fengari/src/lstring.js';
import { invalidateTMcache, luaH_getint, luaH_getn, luaH_getstr, luaH_new, luaH_setfrom, type Table, type TableEntry } from 'fengari/src/ltable.js';
import { lua_checkstack, type lua_State } from './fengari';
import { decodeUtf8, encodeUtf8 } from '../text/utf8';

export type { Table, TableEntry, TValue };

/** The parts of fengari's lua_State used here. */
interface StateInternals {
  stack: TValue[];
  top: number;
  ci: { funcOff: number; top: number };
}

function internals(L: lua_State): StateInternals {
  return L as unknown as StateInternals;
}

export const NIL: TValue = luaO_nilobject;

/** Basic Lua types of a value (fengari's constant_types without variant bits). */
export const Type = {
  nil: T.LUA_TNIL,
  boolean: T.LUA_TBOOLEAN,
  lightuserdata: T.LUA_TLIGHTUSERDATA,
  number: T.LUA_TNUMBER,
  string: T.LUA_TSTRING,
  table: T.LUA_TTABLE,
  function: T.LUA_TFUNCTION,
} as const;

export function typeOf(v: TValue): number {
  return v.ttnov();
}

export function isInteger(v: TValue): boolean {
  return v.type === T.LUA_TNUMINT;
}

// --- making values -------------------------------------------------------------------------

/** A string value owning `bytes` (not copied: Lua strings are never modified). */
export function bytesValue(L: lua_State, bytes: Uint8Array): TValue {
  return new TValue(T.LUA_TLNGSTR, luaS_bless(L, bytes));
}

export function textValue(L: lua_State, text: string): TValue {
  return bytesValue(L, encodeUtf8(text));
}

// fengari's integers are 32-bit (LUA_MAXINTEGER 2^31-1): larger whole numbers become floats.
const MAX_INT = 2147483647;
const MIN_INT = -2147483648;

/** A number as a Lua integer when it is a whole number in range, else as a float. */
export function numberValue(n: number): TValue {
  return Number.isInteger(n) && n >= MIN_INT && n <= MAX_INT ? new TValue(T.LUA_TNUMINT, n) : new TValue(T.LUA_TNUMFLT, n);
}

export function floatValue(n: number): TValue {
  return new TValue(T.LUA_TNUMFLT, n);
}

export function booleanValue(b: boolean): TValue {
  return new TValue(T.LUA_TBOOLEAN, b);
}

export function lightValue(p: object): TValue {
  return new TValue(T.LUA_TLIGHTUSERDATA, p);
}

export function tableValue(t: Table): TValue {
  return new TValue(T.LUA_TTABLE, t);
}

// --- names: string keys made once ----------------------------------------------------------

interface Name {
  readonly string: TString;
  readonly value: TValue;
}

// Field names and header names repeat on every call; user-controlled names are bounded by the
// limit (the cache starts over when it is full).
const NAME_LIMIT = 4096;
const names = new Map<string, Name>();

export function name(L: lua_State, text: string): Name {
  let found = names.get(text);
  if (!found) {
    if (names.size >= NAME_LIMIT) names.clear();
    const value = textValue(L, text);
    found = { string: value.value as TString, value };
    names.set(text, found);
  }
  return found;
}

// --- tables --------------------------------------------------------------------------------

export function newTable(L: lua_State): Table {
  return luaH_new(L);
}

/** t[key] = value without metamethods (both are copied; a nil value deletes). */
export function setField(L: lua_State, t: Table, key: TValue, value: TValue): void {
  luaH_setfrom(L, t, key, value);
  // As lua_rawset does: the table may be a metatable whose "no such metamethod" cache is stale.
  invalidateTMcache(t);
}

export function getField(t: Table, key: Name): TValue {
  return luaH_getstr(t, key.string);
}

export function getIndex(t: Table, i: number): TValue {
  return luaH_getint(t, i);
}

/** The border `#t` finds. */
export function lengthOf(t: Table): number {
  return luaH_getn(t);
}

/** The table's entries in insertion order (what `pairs` visits). */
export function firstEntry(t: Table): TableEntry | undefined {
  return t.f;
}

// --- reading values ------------------------------------------------------------------------

export function tableOf(v: TValue): Table {
  return v.value as Table;
}

export function bytesOf(v: TValue): Uint8Array {
  return (v.value as TString).getstr();
}

export function textOf(v: TValue): string {
  return decodeUtf8(bytesOf(v));
}

export function numberOf(v: TValue): number {
  return v.value as number;
}

const TYPE_NAMES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];

/** The value's type for messages: "a string", "an integer", "a table", "nil". */
export function describe(v: TValue): string {
  const type = typeOf(v);
  if (type === Type.nil) return 'nil';
  if (type === Type.number) return isInteger(v) ? 'an integer' : 'a number';
  const text = TYPE_NAMES[type] ?? 'value';
  return /^[aeiou]/.test(text) ? `an ${text}` : `a ${text}`;
}

// --- the stack ------------------------------------------------------------------------

/** Push a copy of `v` (the VM overwrites stack slots in place: never push a shared value). */
export function push(L: lua_State, v: TValue): void {
  const s = internals(L);
  if (s.top >= s.ci.top && !lua_checkstack(L, 8)) throw new Error('Lua stack overflow');
  s.stack[s.top++] = new TValue(v.type, v.value);
}

/** The value at stack index idx (positive: from the current function's base; negative: from the top). */
export function valueAt(L: lua_State, idx: number): TValue {
  const s = internals(L);
  if (idx < 0) return s.top + idx >= 0 ? s.stack[s.top + idx] : NIL;
  const o = s.ci.funcOff + idx;
  return o < s.top ? s.stack[o] : NIL;
}
