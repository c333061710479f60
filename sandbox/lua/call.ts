// Calling into Lua from the adapter: always protected, always with a traceback. A Lua error
// becomes a LuaError carrying Lua's message and traceback (the host logs both); a JS exception
// inside the VM that means exhausted memory is rethrown as itself, so the runtime reports
// `memory` and the host replaces the isolate (sandbox/entries.ts).
import { LUA_MULTRET, LUA_OK, LUA_REGISTRYINDEX, lua_gettop, lua_insert, lua_pcall, lua_rawgeti, lua_remove } from './fengari';
import { type lua_State, textAt } from './stack';
import type { LuaRuntime } from './state';

export class LuaError extends Error {
  constructor(
    message: string,
    /** Lua's stack traceback ("stack traceback:\n\t…"), if there was one. */
    readonly traceback: string,
  ) {
    super(traceback ? `${message}\n${traceback}` : message);
    this.name = 'LuaError';
  }

  /** Lua's own message, without the traceback. */
  get luaMessage(): string {
    const text = this.message;
    const cut = this.traceback ? text.length - this.traceback.length - 1 : text.length;
    return text.slice(0, cut);
  }
}

const TRACEBACK_START = '\nstack traceback:';

function isMemoryError(error: unknown): boolean {
  return error instanceof RangeError && /allocation failed|out of memory/i.test(error.message);
}

/**
 * Call the function below `nargs` arguments on top of the stack; returns how many results it
 * left (they replace function and arguments, as lua_call's do). Throws LuaError.
 */
export function protectedCall(rt: LuaRuntime, nargs: number): number {
  const { L, native } = rt;
  const fnIndex = lua_gettop(L) - nargs;
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt.traceback);
  lua_insert(L, fnIndex);
  native.last = undefined;
  const status = lua_pcall(L, nargs, LUA_MULTRET, fnIndex);
  lua_remove(L, fnIndex);
  if (status === LUA_OK) return lua_gettop(L) - fnIndex + 1;
  if (isMemoryError(native.last)) throw native.last;
  throw luaErrorAt(L, -1);
}

/** The error value at idx (a message handled by the traceback handler) as a LuaError. */
function luaErrorAt(L: lua_State, idx: number): LuaError {
  const text = textAt(L, idx) || '(error object is not a string)';
  const cut = text.indexOf(TRACEBACK_START);
  return cut < 0 ? new LuaError(text, '') : new LuaError(text.slice(0, cut), text.slice(cut + 1));
}
