// `require "cjson"` (and "cjson.safe"): lua-cjson's interface over json.ts. encode/decode raise
// a Lua error on bad input; the safe module returns nil and the message instead. The settings
// functions behave as lua-cjson's: each call may change a setting and returns the current ones.
import {
  LUA_TBOOLEAN,
  LUA_TNONE,
  LUA_TNUMBER,
  LUA_TSTRING,
  type lua_CFunction,
  lua_createtable,
  lua_pushboolean,
  lua_pushcfunction,
  lua_pushinteger,
  lua_pushnil,
  lua_setfield,
  lua_settop,
  lua_toboolean,
  lua_tointeger,
  lua_type,
} from './fengari';
import { luaL_checkany, luaL_checklstring } from './fengari';
import { decodeJson, defaultJsonSettings, encodeJson, JsonError, jsonNullValue, type JsonSettings } from './json';
import { type lua_State, pushText, raise, textAt } from './stack';
import { bytesValue, push, valueAt } from './tables';

function guarded(L: lua_State, safe: boolean, run: () => void): number {
  try {
    run();
    return 1;
  } catch (err) {
    if (!(err instanceof JsonError)) throw err;
    if (!safe) return raise(L, err.message);
    lua_settop(L, 0);
    lua_pushnil(L);
    pushText(L, err.message);
    return 2;
  }
}

function optionalBoolean(L: lua_State, idx: number, current: boolean): boolean {
  const type = lua_type(L, idx);
  if (type === LUA_TNONE) return current;
  if (type === LUA_TBOOLEAN) return lua_toboolean(L, idx);
  if (type === LUA_TSTRING) {
    const text = textAt(L, idx);
    if (text === 'on' || text === 'off') return text === 'on';
  }
  return raise(L, `bad argument #${idx} (expected a boolean, "on" or "off")`);
}

function optionalInteger(L: lua_State, idx: number, current: number, min: number, max: number): number {
  const type = lua_type(L, idx);
  if (type === LUA_TNONE) return current;
  const n = type === LUA_TNUMBER ? lua_tointeger(L, idx) : NaN;
  if (!(n >= min && n <= max)) return raise(L, `bad argument #${idx} (expected an integer between ${min} and ${max})`);
  return n;
}

function settingFunctions(settings: JsonSettings): Record<string, lua_CFunction> {
  return {
    encode_sparse_array: (L) => {
      settings.sparseConvert = optionalBoolean(L, 1, settings.sparseConvert);
      settings.sparseRatio = optionalInteger(L, 2, settings.sparseRatio, 0, 0x7fffffff);
      settings.sparseSafe = optionalInteger(L, 3, settings.sparseSafe, 0, 0x7fffffff);
      lua_pushboolean(L, settings.sparseConvert);
      lua_pushinteger(L, settings.sparseRatio);
      lua_pushinteger(L, settings.sparseSafe);
      return 3;
    },
    encode_empty_table_as_object: (L) => {
      settings.emptyTableAsObject = optionalBoolean(L, 1, settings.emptyTableAsObject);
      lua_pushboolean(L, settings.emptyTableAsObject);
      return 1;
    },
    encode_escape_forward_slash: (L) => {
      settings.escapeForwardSlash = optionalBoolean(L, 1, settings.escapeForwardSlash);
      lua_pushboolean(L, settings.escapeForwardSlash);
      return 1;
    },
    encode_number_precision: (L) => {
      settings.precision = optionalInteger(L, 1, settings.precision, 1, 16);
      lua_pushinteger(L, settings.precision);
      return 1;
    },
    encode_max_depth: (L) => {
      settings.encodeMaxDepth = optionalInteger(L, 1, settings.encodeMaxDepth, 1, 0x7fffffff);
      lua_pushinteger(L, settings.encodeMaxDepth);
      return 1;
    },
    decode_max_depth: (L) => {
      settings.decodeMaxDepth = optionalInteger(L, 1, settings.decodeMaxDepth, 1, 0x7fffffff);
      lua_pushinteger(L, settings.decodeMaxDepth);
      return 1;
    },
  };
}

/** Push a new cjson module table with its own settings (lua-cjson's `cjson.new()`). */
function pushModule(L: lua_State, safe: boolean): void {
  const settings = defaultJsonSettings();
  const functions: Record<string, lua_CFunction> = {
    ...settingFunctions(settings),
    encode: (L) => {
      luaL_checkany(L, 1);
      lua_settop(L, 1);
      return guarded(L, safe, () => push(L, bytesValue(L, encodeJson(valueAt(L, 1), settings))));
    },
    decode: (L) => {
      const text = luaL_checklstring(L, 1);
      lua_settop(L, 1);
      return guarded(L, safe, () => push(L, decodeJson(L, text, settings)));
    },
    new: (L) => {
      pushModule(L, safe);
      return 1;
    },
  };
  lua_createtable(L, 0, Object.keys(functions).length + 3);
  for (const [name, fn] of Object.entries(functions)) {
    lua_pushcfunction(L, fn);
    lua_setfield(L, -2, name);
  }
  push(L, jsonNullValue());
  lua_setfield(L, -2, 'null');
  pushText(L, 'cjson');
  lua_setfield(L, -2, '_NAME');
  pushText(L, '2.1.0 (isogate)');
  lua_setfield(L, -2, '_VERSION');
}

/** Openers of the built-in modules `require` serves (modules.ts). */
export const CJSON_MODULES: Readonly<Record<string, lua_CFunction>> = {
  cjson: (L) => {
    pushModule(L, false);
    return 1;
  },
  'cjson.safe': (L) => {
    pushModule(L, true);
    return 1;
  },
};
