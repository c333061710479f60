// Loading an API's .lua files: every file is compiled first, so a syntax error anywhere is
// reported before any top-level code runs; then each file runs once, in load order, unless a
// file before it already `require`d it. All files share the state's globals, as Tyk's Lua
// bundles do. Problems are returned as data naming the file and line (the host turns them into
// the upload's 400 or the API's load error).
import { LUA_OK, LUA_REGISTRYINDEX, lua_gettop, lua_pushcfunction, lua_settop } from './fengari';
import { luaL_loadbufferx, luaL_ref } from './fengari';
import type { GuestSource, GuestSourceFailure } from '../../src/protocol/isolate';
import { encodeUtf8 } from '../text/utf8';
import { LuaError, protectedCall } from './call';
import { type ApiModule, ModuleTable, runModule } from './modules';
import { luaName, textAt } from './stack';
import type { LuaRuntime } from './state';

/** Lua prefixes messages with "chunkname:line:"; split that off when it names `filename`. */
function position(filename: string, text: string): { message: string; line?: number } {
  const prefix = `${filename}:`;
  if (!text.startsWith(prefix)) return { message: text };
  const match = /^(\d+): ?/.exec(text.slice(prefix.length));
  if (!match) return { message: text };
  return { message: text.slice(prefix.length + match[0].length), line: Number(match[1]) };
}

export function loadLuaSources(rt: LuaRuntime, modules: ModuleTable, sources: readonly GuestSource[]): GuestSourceFailure | undefined {
  const { L } = rt;
  const base = lua_gettop(L);
  const compiled: ApiModule[] = [];
  try {
    for (const source of sources) {
      const filename = String(source.filename);
      // "@" makes the file name the chunk name, as for a file Lua loads itself.
      const status = luaL_loadbufferx(L, encodeUtf8(String(source.code)), null, encodeUtf8(`@${filename}`), luaName('t'));
      if (status !== LUA_OK) return { filename, phase: 'compile', ...position(filename, textAt(L, -1)) };
      const module: ApiModule = { filename, chunk: luaL_ref(L, LUA_REGISTRYINDEX), state: 'waiting' };
      modules.add(module);
      compiled.push(module);
    }
    for (const module of compiled) {
      if (module.state !== 'waiting') continue;
      const name = ModuleTable.nameOf(module.filename);
      // runModule from inside a protected call, so that an error gets its traceback.
      lua_pushcfunction(L, (L) => {
        runModule(L, module, name);
        return 0;
      });
      try {
        protectedCall(rt, 0);
      } catch (error) {
        if (!(error instanceof LuaError)) throw error;
        return { filename: module.filename, phase: 'run', ...position(module.filename, error.luaMessage), traceback: error.traceback };
      }
    }
    return undefined;
  } finally {
    lua_settop(L, base);
  }
}
