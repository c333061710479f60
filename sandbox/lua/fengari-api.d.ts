// The part of fengari's C-style API (Lua 5.3 in JavaScript) that the Lua adapter uses. fengari
// ships no types; names and signatures follow the Lua 5.3 manual, with Lua strings as Uint8Array
// (its "luastring") and JS strings accepted wherever fengari converts them itself.

declare module 'fengari/src/lua.js' {
  export interface lua_State {
    readonly __brand: 'lua_State';
  }
  export type LuaString = Uint8Array;
  /** A JavaScript function callable from Lua: arguments on the stack, returns the result count. */
  export type lua_CFunction = (L: lua_State) => number;

  export const LUA_OK: number;
  export const LUA_ERRRUN: number;
  export const LUA_ERRSYNTAX: number;
  export const LUA_MULTRET: number;
  export const LUA_REGISTRYINDEX: number;
  export const LUA_TNONE: number;
  export const LUA_TNIL: number;
  export const LUA_TBOOLEAN: number;
  export const LUA_TLIGHTUSERDATA: number;
  export const LUA_TNUMBER: number;
  export const LUA_TSTRING: number;
  export const LUA_TTABLE: number;
  export const LUA_TFUNCTION: number;
  export const LUA_TUSERDATA: number;
  export const LUA_TTHREAD: number;

  export function lua_upvalueindex(i: number): number;
  export function lua_absindex(L: lua_State, idx: number): number;
  export function lua_atnativeerror(L: lua_State, handler: lua_CFunction): lua_CFunction | null;
  export function lua_checkstack(L: lua_State, n: number): boolean;
  export function lua_gettop(L: lua_State): number;
  export function lua_settop(L: lua_State, idx: number): void;
  export function lua_pop(L: lua_State, n: number): void;
  export function lua_insert(L: lua_State, idx: number): void;
  export function lua_remove(L: lua_State, idx: number): void;
  export function lua_pushvalue(L: lua_State, idx: number): void;

  export function lua_type(L: lua_State, idx: number): number;
  export function lua_isinteger(L: lua_State, idx: number): boolean;
  export function lua_toboolean(L: lua_State, idx: number): boolean;
  export function lua_tonumber(L: lua_State, idx: number): number;
  export function lua_tointeger(L: lua_State, idx: number): number;
  /** The string at idx (converting a number in place), or null. Not a copy: never modify it. */
  export function lua_tolstring(L: lua_State, idx: number): LuaString | null;
  export function lua_touserdata(L: lua_State, idx: number): unknown;
  export function lua_rawlen(L: lua_State, idx: number): number;
  export function lua_rawequal(L: lua_State, a: number, b: number): boolean;

  export function lua_pushnil(L: lua_State): void;
  export function lua_pushboolean(L: lua_State, b: boolean | number): void;
  export function lua_pushinteger(L: lua_State, n: number): void;
  export function lua_pushnumber(L: lua_State, n: number): void;
  /** Copies the bytes (or UTF-8-encodes a JS string) into a new Lua string. */
  export function lua_pushstring(L: lua_State, s: LuaString | string): LuaString;
  export function lua_pushliteral(L: lua_State, s: string): LuaString;
  export function lua_pushlightuserdata(L: lua_State, p: object): void;
  export function lua_pushcfunction(L: lua_State, fn: lua_CFunction): void;
  export function lua_pushcclosure(L: lua_State, fn: lua_CFunction, n: number): void;

  export function lua_createtable(L: lua_State, narr: number, nrec: number): void;
  export function lua_newtable(L: lua_State): void;
  export function lua_getfield(L: lua_State, idx: number, k: LuaString | string): number;
  export function lua_setfield(L: lua_State, idx: number, k: LuaString | string): void;
  export function lua_rawget(L: lua_State, idx: number): number;
  export function lua_rawset(L: lua_State, idx: number): void;
  export function lua_rawgeti(L: lua_State, idx: number, n: number): number;
  export function lua_rawseti(L: lua_State, idx: number, n: number): void;
  export function lua_next(L: lua_State, idx: number): boolean;
  export function lua_getglobal(L: lua_State, name: LuaString | string): number;
  export function lua_pushglobaltable(L: lua_State): void;
  export function lua_setglobal(L: lua_State, name: LuaString | string): void;

  export function lua_call(L: lua_State, nargs: number, nresults: number): void;
  export function lua_pcall(L: lua_State, nargs: number, nresults: number, msgh: number): number;
  export function lua_error(L: lua_State): never;
}

declare module 'fengari/src/lauxlib.js' {
  import type { LuaString, lua_CFunction, lua_State } from 'fengari/src/lua.js';

  export function luaL_newstate(): lua_State;
  export function luaL_requiref(L: lua_State, modname: LuaString, openf: lua_CFunction, glb: boolean | number): void;
  export function luaL_loadbufferx(L: lua_State, buff: LuaString, size: number | null, name: LuaString, mode: LuaString | null): number;
  export function luaL_traceback(L: lua_State, L1: lua_State, msg: LuaString | null, level: number): void;
  /** Converts any value to a string (honouring __tostring), pushes it and returns it. */
  export function luaL_tolstring(L: lua_State, idx: number): LuaString;
  export function luaL_checklstring(L: lua_State, arg: number): LuaString;
  export function luaL_optlstring(L: lua_State, arg: number, def: LuaString | null): LuaString | null;
  export function luaL_checkany(L: lua_State, arg: number): void;
  export function luaL_checkinteger(L: lua_State, arg: number): number;
  export function luaL_argerror(L: lua_State, arg: number, extramsg: LuaString | string): never;
  /** `fmt` must be a Lua string; `%s` takes a JS string or a Lua string. */
  export function luaL_error(L: lua_State, fmt: LuaString, ...args: unknown[]): never;
  export function luaL_ref(L: lua_State, t: number): number;
  export function luaL_checkstack(L: lua_State, sz: number, msg: LuaString | string | null): void;
  export function luaL_typename(L: lua_State, idx: number): LuaString;
}

declare module 'fengari/src/fengaricore.js' {
  import type { LuaString } from 'fengari/src/lua.js';
  /** UTF-8 encode; with `cache`, the result is memoised (for constant names). */
  export function to_luastring(s: string, cache?: boolean): LuaString;
}

// The standard libraries isogate opens (state.ts); package, io and the rest stay closed.
declare module 'fengari/src/lbaselib.js' {
  export const luaopen_base: import('fengari/src/lua.js').lua_CFunction;
}
declare module 'fengari/src/lcorolib.js' {
  export const luaopen_coroutine: import('fengari/src/lua.js').lua_CFunction;
}
declare module 'fengari/src/ltablib.js' {
  export const luaopen_table: import('fengari/src/lua.js').lua_CFunction;
}
declare module 'fengari/src/lstrlib.js' {
  export const luaopen_string: import('fengari/src/lua.js').lua_CFunction;
}
declare module 'fengari/src/lmathlib.js' {
  export const luaopen_math: import('fengari/src/lua.js').lua_CFunction;
}
declare module 'fengari/src/lutf8lib.js' {
  export const luaopen_utf8: import('fengari/src/lua.js').lua_CFunction;
}
declare module 'fengari/src/loslib.js' {
  export const luaopen_os: import('fengari/src/lua.js').lua_CFunction;
}
declare module 'fengari/src/ldblib.js' {
  export const luaopen_debug: import('fengari/src/lua.js').lua_CFunction;
}

// fengari internals that tables.ts uses to build and read tables without the stack API (see
// there for why). fengari is pinned by package-lock.json; test/lua-*.test.ts cover these paths.
declare module 'fengari/src/defs.js' {
  export const constant_types: {
    readonly LUA_TNIL: number;
    readonly LUA_TBOOLEAN: number;
    readonly LUA_TLIGHTUSERDATA: number;
    readonly LUA_TNUMBER: number;
    readonly LUA_TSTRING: number;
    readonly LUA_TTABLE: number;
    readonly LUA_TFUNCTION: number;
    readonly LUA_TNUMFLT: number;
    readonly LUA_TNUMINT: number;
    readonly LUA_TLNGSTR: number;
  };
}

declare module 'fengari/src/lstring.js' {
  export class TString {
    getstr(): Uint8Array;
  }
  /** A string object owning `bytes` (no copy). */
  export function luaS_bless(L: import('fengari/src/lua.js').lua_State, bytes: Uint8Array): TString;
}

declare module 'fengari/src/lobject.js' {
  export class TValue {
    constructor(type: number, value: unknown);
    readonly type: number;
    readonly value: unknown;
    /** The basic type (LUA_TSTRING for short and long strings, LUA_TNUMBER for both numbers). */
    ttnov(): number;
  }
  export const luaO_nilobject: TValue;
}

declare module 'fengari/src/ltable.js' {
  import type { TValue } from 'fengari/src/lobject.js';
  import type { TString } from 'fengari/src/lstring.js';
  import type { lua_State } from 'fengari/src/lua.js';
  export interface TableEntry {
    readonly key: TValue;
    readonly value: TValue;
    /** The next live entry in insertion order (deleted entries are unlinked). */
    readonly n: TableEntry | undefined;
  }
  export class Table {
    readonly f: TableEntry | undefined;
  }
  export function luaH_new(L: lua_State): Table;
  /** t[key] = value; copies both TValues; a nil value deletes. */
  export function luaH_setfrom(L: lua_State, t: Table, key: TValue, value: TValue): void;
  export function luaH_getstr(t: Table, key: TString): TValue;
  export function luaH_getint(t: Table, key: number): TValue;
  export function luaH_getn(t: Table): number;
  export function invalidateTMcache(t: Table): void;
}
