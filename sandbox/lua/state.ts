// The Lua state of one API's isolate: Lua 5.3's pure libraries (base, string, table, math, utf8,
// coroutine), a time-only `os`, `debug.traceback`, and Tyk's globals. There is no io, no
// package loading from disk, no os.execute/getenv/exit, and `load` takes text chunks only
// (bytecode can be forged). Output goes to the gateway log through the same guest log path as
// JS `log` / `console` (sandbox/host.ts), events through TykTriggerEvent; `tyk` is tyk.ts's.
import {
  LUA_MULTRET,
  LUA_REGISTRYINDEX,
  LUA_TNIL,
  LUA_TNONE,
  LUA_TSTRING,
  LUA_TTABLE,
  type lua_CFunction,
  lua_atnativeerror,
  lua_call,
  lua_getglobal,
  lua_gettop,
  lua_next,
  lua_pop,
  lua_pushcfunction,
  lua_pushnil,
  lua_pushnumber,
  lua_pushstring,
  lua_pushvalue,
  lua_setfield,
  lua_setglobal,
  lua_settop,
  lua_tolstring,
  lua_touserdata,
  lua_type,
} from './fengari';
import { luaL_newstate, luaL_ref, luaL_requiref, luaL_tolstring, luaL_traceback } from './fengari';
import { luaopen_base } from 'fengari/src/lbaselib.js';
import { luaopen_coroutine } from 'fengari/src/lcorolib.js';
import { luaopen_debug } from 'fengari/src/ldblib.js';
import { luaopen_math } from 'fengari/src/lmathlib.js';
import { luaopen_os } from 'fengari/src/loslib.js';
import { luaopen_string } from 'fengari/src/lstrlib.js';
import { luaopen_table } from 'fengari/src/ltablib.js';
import { luaopen_utf8 } from 'fengari/src/lutf8lib.js';
import type { GuestLogLevel } from '../../src/protocol/isolate';
import { sendEvent, sendLog } from '../host';
import { decodeUtf8, encodeUtf8 } from '../text/utf8';
import { defaultJsonSettings, encodeJson, JsonError } from './json';
import { installRequire, type ModuleTable } from './modules';
import { luaName, type lua_State, raise, textAt } from './stack';
import { NIL, push, type Table, type TValue, valueAt } from './tables';
import { type CurrentCall, installTyk } from './tyk';

const LIBRARIES: readonly [string, lua_CFunction][] = [
  ['_G', luaopen_base],
  ['coroutine', luaopen_coroutine],
  ['table', luaopen_table],
  ['string', luaopen_string],
  ['math', luaopen_math],
  ['utf8', luaopen_utf8],
  ['os', luaopen_os],
  ['debug', luaopen_debug],
];

/** What each library keeps; anything else it defines is removed. */
const KEEP: Readonly<Record<string, readonly string[]>> = {
  os: ['time', 'date', 'difftime', 'clock'],
  debug: ['traceback'],
};

/** Base functions that would reach a filesystem (they cannot here; better they do not exist). */
const REMOVED_GLOBALS = ['dofile', 'loadfile'];

/**
 * `load` for text chunks only (a forged bytecode chunk is the classic way out of a Lua sandbox):
 * the base library's load, called with mode "t" whatever the caller asked for.
 */
function textOnlyLoad(original: TValue): lua_CFunction {
  return (L) => {
    const n = lua_gettop(L);
    push(L, original);
    for (let i = 1; i <= Math.max(n, 3); i++) {
      if (i === 3) lua_pushstring(L, luaName('t'));
      else if (i <= n) lua_pushvalue(L, i);
      else lua_pushnil(L);
    }
    const base = n + 1;
    lua_call(L, Math.max(n, 3), LUA_MULTRET);
    return lua_gettop(L) - base + 1;
  };
}

function logLevel(text: string): GuestLogLevel {
  switch (text) {
    case 'debug':
      return 'debug';
    case 'warn':
    case 'warning':
      return 'warn';
    case 'error':
      return 'error';
    default:
      return 'info';
  }
}

/** `print(...)`: the values as `tostring` writes them, tab-separated, as one log line. */
const print: lua_CFunction = (L) => {
  const n = lua_gettop(L);
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) {
    parts.push(decodeUtf8(luaL_tolstring(L, i)));
    lua_pop(L, 1);
  }
  sendLog('info', [parts.join('\t')]);
  return 0;
};

/** `log(message [, level])`: level debug, info (default), warning or error. */
const log: lua_CFunction = (L) => {
  const message = decodeUtf8(luaL_tolstring(L, 1));
  const level = lua_type(L, 2) === LUA_TSTRING ? logLevel(textAt(L, 2)) : 'info';
  sendLog(level, [message]);
  return 0;
};

const eventSettings = defaultJsonSettings();

/** `TykTriggerEvent(name, payload)`: a table payload is sent as its JSON. */
const triggerEvent: lua_CFunction = (L) => {
  const name = decodeUtf8(luaL_tolstring(L, 1));
  let payload = '';
  const type = lua_type(L, 2);
  if (type === LUA_TSTRING) payload = textAt(L, 2);
  else if (type === LUA_TTABLE) {
    try {
      payload = decodeUtf8(encodeJson(valueAt(L, 2), eventSettings));
    } catch (err) {
      if (err instanceof JsonError) return raise(L, `TykTriggerEvent: ${err.message}`);
      throw err;
    }
  } else if (type !== LUA_TNIL && type !== LUA_TNONE) payload = decodeUtf8(luaL_tolstring(L, 2));
  sendEvent(name, payload);
  return 0;
};

/** os.clock without `performance` (absent in an isolate): seconds since the state was made. */
function clockFrom(start: number): lua_CFunction {
  return (L) => {
    lua_pushnumber(L, (Date.now() - start) / 1000);
    return 1;
  };
}

/** The JS error behind the last native failure (see onNativeError), for the adapter to classify. */
interface NativeErrors {
  last: unknown;
}

function trimLibrary(L: lua_State, name: string, keep: readonly string[]): void {
  lua_getglobal(L, name);
  const names: string[] = [];
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_type(L, -2) === LUA_TSTRING) names.push(textAt(L, -2));
    lua_pop(L, 1);
  }
  for (const field of names) {
    if (keep.includes(field)) continue;
    lua_pushnil(L);
    lua_setfield(L, -2, field);
  }
  lua_pop(L, 1);
}

/** The message handler every protected call uses: the error with Lua's stack traceback. */
export const traceback: lua_CFunction = (L) => {
  const message = lua_type(L, 1) === LUA_TSTRING ? lua_tolstring(L, 1) : luaL_tolstring(L, 1);
  luaL_traceback(L, L, message, 1);
  return 1;
};

export interface LuaRuntime {
  readonly L: lua_State;
  /** The hook call in progress (tyk.req edits its request). */
  readonly call: CurrentCall;
  /** The `tyk` table (tyk.session, tyk.header are set per call). */
  readonly tyk: Table;
  /** Registry reference of the traceback message handler. */
  readonly traceback: number;
  readonly native: NativeErrors;
}

/** A new Lua state with isogate's libraries and Tyk's globals. */
export function newLuaRuntime(modules: ModuleTable): LuaRuntime {
  const L = luaL_newstate();
  for (const [name, open] of LIBRARIES) {
    luaL_requiref(L, luaName(name), open, 1);
    lua_pop(L, 1);
  }
  for (const [name, keep] of Object.entries(KEEP)) trimLibrary(L, name, keep);
  for (const name of REMOVED_GLOBALS) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  lua_getglobal(L, 'os');
  lua_pushcfunction(L, clockFrom(Date.now()));
  lua_setfield(L, -2, 'clock');
  lua_pop(L, 1);
  lua_getglobal(L, 'load');
  const load = textOnlyLoad(valueAt(L, -1));
  lua_pop(L, 1);

  const globals: Record<string, lua_CFunction> = { print, log, load, TykTriggerEvent: triggerEvent };
  for (const [name, fn] of Object.entries(globals)) {
    lua_pushcfunction(L, fn);
    lua_setglobal(L, name);
  }
  installRequire(L, modules);
  const call: CurrentCall = { request: NIL };
  const tyk = installTyk(L, call);

  // A JS exception inside fengari (a RangeError when an allocation fails, a stack overflow)
  // becomes a Lua error with its message; the adapter keeps the original to classify it.
  const native: NativeErrors = { last: undefined };
  lua_atnativeerror(L, (L) => {
    const error = lua_touserdata(L, -1);
    native.last = error;
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    lua_pushstring(L, encodeUtf8(text));
    return 1;
  });

  lua_pushcfunction(L, traceback);
  const tracebackRef = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_settop(L, 0);
  return { L, call, tyk, traceback: tracebackRef, native };
}
