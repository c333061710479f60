import { createApiIsolate, requireCoprocess } from '../isolate/plugin';
import type { SandboxRuntime } from '../isolate/runtime-script';
import type { DriverPlugin } from '../plugin';

/**
 * The Lua runtime bundle (sandbox/lua/index.ts): the fengari Lua 5.3 VM plus the `lua` adapter.
 * Its code cache is made by running it once on the host: the VM is mostly functions that a
 * compile-time cache leaves out (runtime-script.ts).
 */
const LUA_RUNTIME: SandboxRuntime = { file: 'lua-runtime.js', warmCache: { adapter: 'lua' } };

/**
 * `lua`: Tyk's Lua plugins (a global function per hook, `tyk.req`, `cjson`) run by a Lua VM
 * written in JavaScript inside the API's own isolate, so Lua gets the memory limit, time limit,
 * containment and reload of JS middleware. The host side is the isolate driver's, unchanged:
 * the same Object builder and applier, the same auth_check step and ID-extractor cache.
 */
export const luaDriver: DriverPlugin = {
  names: ['lua'],
  needsSources: true,
  sourceFiles: /\.lua$/,
  requiresByName: true,
  open(host) {
    return {
      validate: (spec) => requireCoprocess(host, spec.driver),
      create: (spec, generation) => createApiIsolate(spec, host, generation, { mode: 'lua', runtime: LUA_RUNTIME }),
    };
  },
};
