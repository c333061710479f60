// Driver lua (issue 19) in the bench: the system (l) API and its micro figures, kept in one
// block so the rest of the bench reads as before. (l) runs the same pre hook as (c), written as
// a Tyk Lua plugin, so its ratio to (c) is what Lua costs over JS in the same isolate.
import { apiDefinition } from './plugins.mjs';

export const LUA_PLUGIN_FILE = 'bench-plugin.lua';

/** Tyk's Lua style: a global function per hook, (request, session, spec) in, request and session out. */
export const LUA_PLUGIN = `
function benchPre(request, session, spec)
  tyk.req.set_header("X-Bench", "1")
  return request, session
end
`;

/** An API with one Lua `pre` hook that sets a header (system (l), the Lua RSS figure). */
export function luaPreHookApi(apiId, listenPath, target) {
  return apiDefinition(apiId, listenPath, target, {
    custom_middleware: { driver: 'lua', pre: [{ name: 'benchPre', path: LUA_PLUGIN_FILE }] },
  });
}

/** The Lua variant for gateway-micro.mjs's rssPerApi. */
export const LUA_RSS_VARIANT = { file: LUA_PLUGIN_FILE, code: LUA_PLUGIN, api: luaPreHookApi };

/**
 * Bring-up and hook round trip of a Lua API against a JS one in the same process (interleaved,
 * bench/micro/lua.mjs), and RSS per Lua API at the first of `opts.rssApis` counts, beside the JS
 * figure already measured.
 */
export async function luaMicroFigures(opts, upstreamUrl, progress, { runMicro, rssPerApi, baseline, settleMs }) {
  progress('Lua bring-up and round trip (in process)');
  const cold = await runMicro('lua.mjs', [opts.coldSamples, opts.dispatchIterations]);
  const count = opts.rssApis[0];
  progress(`RSS with ${count} Lua APIs`);
  const rss = await rssPerApi(upstreamUrl, count, baseline, settleMs, LUA_RSS_VARIANT);
  return { cold, rss };
}

