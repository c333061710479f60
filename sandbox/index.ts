// The runtime every JS API isolate loads before the API's middleware (bundled by scripts/build.mjs
// into dist/sandbox/runtime.js). Order matters: text codecs exist before protobufjs loads, host
// bindings are taken off the global object before anything else can see them.
import './text/text-codec';
import './host';
import './adapters/coprocess';
import './jsvm';
import { installWebGlobals } from './globals/web/install';
import { boot } from './host';
import { startRuntime } from './start';

// Adapters (coprocess, Tyk JSVM) are imported above so they share this bundle and its V8 code
// cache; each registers itself with registerHookAdapter(). Lua has its own bundle
// (sandbox/lua/index.ts), so APIs without Lua never load the Lua VM.
// The web platform is the isolate driver's (README: the runtime's globals); Tyk JSVM plugins
// share this bundle but get only what Tyk's engines have.
if (boot.adapter === 'coprocess') installWebGlobals();
startRuntime();
