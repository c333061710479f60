// The runtime a Lua API's isolate loads (bundled by scripts/build.mjs into
// dist/sandbox/lua-runtime.js): the shared runtime plus fengari and the `lua` adapter. A second
// bundle, so that APIs without Lua never parse the Lua VM. Order as in sandbox/index.ts: text
// codecs before protobufjs, host bindings taken before anything else runs.
import '../text/text-codec';
import '../host';
import './adapter';
import { startRuntime } from '../start';

startRuntime();
