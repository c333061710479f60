// `require` for isogate's Lua: there is no filesystem in an isolate, so it serves what
// `package.loaded` and `package.preload` hold, the built-in `cjson` / `cjson.safe`, and the API's
// own middleware files by module name (`require "lib.util"` finds `.../lib/util.lua`), each run
// once. The API's files are compiled up front by the loader (loader.ts), so a file may require
// one that comes after it in load order.
import {
  LUA_REGISTRYINDEX,
  LUA_TFUNCTION,
  LUA_TNIL,
  type lua_CFunction,
  lua_call,
  lua_createtable,
  lua_getfield,
  lua_getglobal,
  lua_pop,
  lua_pushboolean,
  lua_pushcfunction,
  lua_pushvalue,
  lua_rawgeti,
  lua_setfield,
  lua_setglobal,
  lua_settop,
  lua_type,
} from './fengari';
import { luaL_checklstring } from './fengari';
import { decodeUtf8 } from '../text/utf8';
import { CJSON_MODULES } from './cjson';
import { type lua_State, pushText, raise } from './stack';

/** The registry table luaL_requiref fills (Lua's LUA_LOADED_TABLE), exposed as package.loaded. */
const LOADED = '_LOADED';

/** A compiled middleware file that `require` may run. */
export interface ApiModule {
  readonly filename: string;
  /** Registry reference of the compiled chunk. */
  readonly chunk: number;
  state: 'waiting' | 'running' | 'done';
}

export class ModuleTable {
  private readonly files: ApiModule[] = [];

  add(module: ApiModule): void {
    this.files.push(module);
  }

  /** The API file `require(name)` means: `a.b` is `a/b.lua`, at the end of its path. */
  find(name: string): ApiModule | undefined {
    const rel = `${name.replace(/\./g, '/')}.lua`;
    return this.files.find((m) => m.filename === rel || m.filename.endsWith(`/${rel}`));
  }

  /** The module name a file is known by once it has run: its base name without `.lua`. */
  static nameOf(filename: string): string {
    return (filename.split('/').pop() ?? filename).replace(/\.lua$/, '');
  }
}

/**
 * Run a compiled API file as Lua's require does: `chunk(name, filename)`, its result (or true)
 * stored in package.loaded[name]. Unprotected: errors reach whoever called (a hook's pcall, or
 * the loader's). Leaves the module value on the stack.
 */
export function runModule(L: lua_State, module: ApiModule, name: string): void {
  if (module.state === 'running') raise(L, `loop or previous error loading module '${name}'`);
  module.state = 'running';
  lua_rawgeti(L, LUA_REGISTRYINDEX, module.chunk);
  pushText(L, name);
  pushText(L, module.filename);
  lua_call(L, 2, 1);
  if (lua_type(L, -1) === LUA_TNIL) {
    lua_pop(L, 1);
    lua_pushboolean(L, true);
  }
  lua_getfield(L, LUA_REGISTRYINDEX, LOADED);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
  module.state = 'done';
}

function requireFunction(modules: ModuleTable): lua_CFunction {
  return (L) => {
    const name = decodeUtf8(luaL_checklstring(L, 1));
    lua_settop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, LOADED);
    if (lua_getfield(L, 2, name) !== LUA_TNIL) return 1;
    lua_pop(L, 1);
    // package.preload, as in Lua: a loader function a plugin registered itself.
    lua_getglobal(L, 'package');
    if (lua_type(L, -1) !== LUA_TNIL && lua_getfield(L, -1, 'preload') !== LUA_TNIL && lua_getfield(L, -1, name) === LUA_TFUNCTION) {
      pushText(L, name);
      lua_call(L, 1, 1);
      if (lua_type(L, -1) === LUA_TNIL) {
        lua_pop(L, 1);
        lua_pushboolean(L, true);
      }
    } else {
      lua_settop(L, 2);
      // Own properties only: `require "toString"` must not find Object.prototype's.
      const builtin = Object.prototype.hasOwnProperty.call(CJSON_MODULES, name) ? CJSON_MODULES[name] : undefined;
      const file = builtin ? undefined : modules.find(name);
      if (builtin) {
        lua_pushcfunction(L, builtin);
        lua_call(L, 0, 1);
      } else if (file) {
        runModule(L, file, name);
        return 1;
      } else {
        raise(L, `module '${name}' not found: isogate's Lua has no filesystem; it offers cjson, cjson.safe and the API's own .lua files`);
      }
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, 2, name);
    return 1;
  };
}

/** Install `require` and a `package` table (loaded, preload) as globals. */
export function installRequire(L: lua_State, modules: ModuleTable): void {
  lua_pushcfunction(L, requireFunction(modules));
  lua_setglobal(L, 'require');
  lua_createtable(L, 0, 4);
  lua_getfield(L, LUA_REGISTRYINDEX, LOADED);
  lua_setfield(L, -2, 'loaded');
  lua_createtable(L, 0, 0);
  lua_setfield(L, -2, 'preload');
  pushText(L, '');
  lua_setfield(L, -2, 'path');
  pushText(L, '');
  lua_setfield(L, -2, 'cpath');
  lua_setglobal(L, 'package');
}
