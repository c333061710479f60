// Small helpers over fengari's stack API for the adapter's few stack operations (calls, C
// functions' arguments). Lua strings are bytes (Uint8Array); the gateway's strings are UTF-8,
// decoded and encoded with the runtime's own codec (no TextDecoder in an isolate). Bulk work on
// tables goes through tables.ts instead.
import { type LuaString, type lua_State, lua_pushstring, lua_tolstring } from './fengari';
import { luaL_error } from './fengari';
import { decodeUtf8, encodeUtf8 } from '../text/utf8';

export type { lua_State };

const names = new Map<string, LuaString>();

/** A constant name (chunk name, mode, format) as a Lua string, encoded once. */
export function luaName(name: string): LuaString {
  let bytes = names.get(name);
  if (!bytes) names.set(name, (bytes = encodeUtf8(name)));
  return bytes;
}

export function pushText(L: lua_State, text: string): void {
  lua_pushstring(L, encodeUtf8(text));
}

/** The string at idx as text ('' when it is not a string). */
export function textAt(L: lua_State, idx: number): string {
  const bytes = lua_tolstring(L, idx);
  return bytes ? decodeUtf8(bytes) : '';
}

/** Raise a Lua error with `message`, prefixed with the calling Lua code's position as Lua does. */
export function raise(L: lua_State, message: string): never {
  return luaL_error(L, luaName('%s'), message);
}
