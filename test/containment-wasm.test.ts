// WebAssembly inside API isolates (issue 13): off by default, and when on its memory counts
// against memory_limit_mb. Real gateway, real isolates; RSS read from /tyk/stats.
import { expect } from 'chai';
import { type ApiDef, makeWorkspace, type RunningGateway, startGateway, writeApi, writeMiddleware } from './helpers/gateway';
import { type RecordingServer, readJson, startRecordingServer } from './helpers/http';
import { WASM } from './helpers/wasm-modules';

const MiB = 1024 * 1024;

const PROBE = `
function probe(request) {
  const viaFunction = Function('return this')();
  let viaEval;
  try { viaEval = typeof eval('WebAssembly'); } catch (e) { viaEval = e.name; }
  request.set_headers['X-Wasm'] = [
    typeof WebAssembly, typeof globalThis.WebAssembly, typeof viaFunction.WebAssembly, viaEval,
    Reflect.ownKeys(globalThis).includes('WebAssembly'), typeof gc, String(globalThis.loadedWith),
  ].join(',');
}
globalThis.loadedWith = typeof WebAssembly;
`;

const PROBE_MODULE = `
export const atLoad = typeof WebAssembly;
export function probeModule(request) {
  request.set_headers['X-Wasm'] = atLoad + ',' + typeof globalThis.WebAssembly;
}
`;

/** The repro (30 memories grown by 1023 pages each) plus a module growing its own memory from inside Wasm. */
const HOG = `
const GROW_OWN = new Uint8Array(${JSON.stringify(WASM.GROW_OWN_MEMORY)});
// Kept in a plain object: the tampered run replaces Array.prototype.push and index setters.
const kept = {};
let keptCount = 0;
function keep(value) { kept['k' + keptCount++] = value; }
function hogMemories() {
  let refused = 0, growFailed = 0, grown = 0, message = '';
  for (let i = 0; i < 30; i++) {
    let m;
    try { m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); } catch (e) { refused++; message = e.constructor.name + ': ' + e.message; continue; }
    try { m.grow(1023); new Uint8Array(m.buffer).fill(1); grown++; } catch (e) { growFailed++; }
    keep(m);
  }
  return { refused, growFailed, grown, message };
}
function growFromInside() {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(GROW_OWN));
  keep(instance);
  return { inside1023: instance.exports.grow(1023), inside100: instance.exports.grow(100), bytes: instance.exports.mem.buffer.byteLength };
}
function memoriesFirst(r) {
  Object.assign(r, hogMemories());
  try { Object.assign(r, growFromInside()); } catch (e) { r.inside = e.constructor.name; }
}
function moduleFirst(r) {
  try { Object.assign(r, growFromInside()); } catch (e) { r.inside = e.constructor.name; }
  Object.assign(r, hogMemories());
}
function hog(request) {
  const r = {};
  memoriesFirst(r);
  request.set_headers['X-Result'] = JSON.stringify(r);
}
// Everything the budget code could be fooled through is replaced first, then restored so
// that the runtime can encode the answer.
function tamperedMemoriesFirst(request) { tampered(request, memoriesFirst); }
function tamperedModuleFirst(request) { tampered(request, moduleFirst); }
function tampered(request, run) {
  const saved = {
    min: Math.min, max: Math.max, ceil: Math.ceil, floor: Math.floor, Number, Boolean,
    push: Array.prototype.push, iter: Array.prototype[Symbol.iterator], set: Uint8Array.prototype.set,
    subarray: Uint8Array.prototype.subarray, then: Promise.prototype.then, apply: Reflect.apply,
    construct: Reflect.construct, wmGet: WeakMap.prototype.get, wmHas: WeakMap.prototype.has, setAdd: Set.prototype.add,
    length: Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'length'),
    byteLength: Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'byteLength'),
  };
  const r = {};
  try {
    Math.min = () => Infinity; Math.max = () => Infinity; Math.ceil = () => 0; Math.floor = () => 0;
    globalThis.Number = () => 0; globalThis.Boolean = () => false;
    Array.prototype.push = function () { return 0; };
    Array.prototype[Symbol.iterator] = function* () {};
    Object.defineProperty(Array.prototype, '0', { set() {}, get() { return undefined; }, configurable: true });
    Uint8Array.prototype.set = function () {};
    Uint8Array.prototype.subarray = function () { return new Uint8Array(8); };
    Object.defineProperty(Object.getPrototypeOf(Uint8Array.prototype), 'length', { get() { return 8; }, configurable: true });
    Object.defineProperty(Object.getPrototypeOf(Uint8Array.prototype), 'byteLength', { get() { return 8; }, configurable: true });
    Promise.prototype.then = function () { return this; };
    Reflect.apply = () => undefined; Reflect.construct = () => ({});
    WeakMap.prototype.get = () => ({ pages: 0, memories: 0 }); WeakMap.prototype.has = () => true;
    Set.prototype.add = function () { return this; };
    Object.prototype.then = function (resolve) { delete Object.prototype.then; resolve(null); };
    run(r);
  } finally {
    delete Object.prototype.then;
    delete Array.prototype['0'];
    Math.min = saved.min; Math.max = saved.max; Math.ceil = saved.ceil; Math.floor = saved.floor;
    globalThis.Number = saved.Number; globalThis.Boolean = saved.Boolean;
    Array.prototype.push = saved.push; Array.prototype[Symbol.iterator] = saved.iter;
    Uint8Array.prototype.set = saved.set; Uint8Array.prototype.subarray = saved.subarray;
    Object.defineProperty(Object.getPrototypeOf(Uint8Array.prototype), 'length', saved.length);
    Object.defineProperty(Object.getPrototypeOf(Uint8Array.prototype), 'byteLength', saved.byteLength);
    Promise.prototype.then = saved.then; Reflect.apply = saved.apply; Reflect.construct = saved.construct;
    WeakMap.prototype.get = saved.wmGet; WeakMap.prototype.has = saved.wmHas; Set.prototype.add = saved.setAdd;
  }
  request.set_headers['X-Result'] = JSON.stringify(r);
}
`;

/** Wasm that stays inside the budget works; a grow past it fails inside the guest. */
const USE = `
const GROW_OWN = ${JSON.stringify(WASM.GROW_OWN_MEMORY)};
const GROW_IMPORTED = ${JSON.stringify(WASM.GROW_IMPORTED_MEMORY)};
const ADD = ${JSON.stringify(WASM.ADD)};
const HOSTILE = { big: ${JSON.stringify(WASM.BIG_INITIAL)}, memory64: ${JSON.stringify(WASM.MEMORY64)}, truncated: ${JSON.stringify(WASM.TRUNCATED)} };
function perCall(request) {
  // A fresh instance per call: the budget of the previous call's instance must come back.
  const instance = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(GROW_OWN)));
  const first = instance.exports.grow(511);
  new Uint8Array(instance.exports.mem.buffer).fill(7);
  request.set_headers['X-Result'] = JSON.stringify({ first, past: instance.exports.grow(1), bytes: instance.exports.mem.buffer.byteLength });
}
async function use(request) {
  const r = {};
  r.add = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(ADD))).exports.add(40, 2);
  for (const [name, bytes] of Object.entries(HOSTILE)) {
    try { new WebAssembly.Module(new Uint8Array(bytes)); r[name] = 'compiled'; } catch (e) { r[name] = e.constructor.name; }
  }
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 256 });
  r.ctorIsWrapper = Object.getPrototypeOf(memory).constructor === WebAssembly.Memory;
  r.streaming = typeof WebAssembly.compileStreaming + '/' + typeof WebAssembly.instantiateStreaming;
  const imported = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(GROW_IMPORTED)), { env: { mem: memory } });
  r.importedGrow = imported.exports.grow(255);
  r.importedPast = imported.exports.grow(1);
  try { memory.grow(1); r.jsGrowPast = 'grew'; } catch (e) { r.jsGrowPast = e.constructor.name; }
  try { new WebAssembly.Memory({ initial: 300 }); r.overInitial = 'made'; } catch (e) { r.overInitial = e.constructor.name; }
  // Zero-page memories cost no budget, but each reserves ~10 GiB of address space: 8 live at most.
  const zero = [];
  try { for (;;) zero.push(new WebAssembly.Memory({ initial: 0, maximum: 0 })); } catch (e) { r.zeroMemories = zero.length; r.countLimit = e.message; }
  request.set_headers['X-Result'] = JSON.stringify(r);
}
async function useAsync(request) {
  // A module without a maximum gets the whole budget as its maximum.
  const { module, instance } = await WebAssembly.instantiate(new Uint8Array(GROW_OWN));
  const r = { inside: instance.exports.grow(10000), toMax: instance.exports.grow(255), past: instance.exports.grow(1) };
  r.second = await WebAssembly.instantiate(module).then(() => 'made', (e) => e.constructor.name);
  const compiled = await WebAssembly.compile(new Uint8Array(ADD));
  r.add = (await WebAssembly.instantiate(compiled)).exports.add(2, 3);
  r.badBytes = await WebAssembly.compile(new Uint8Array(HOSTILE.truncated)).then(() => 'compiled', (e) => e.constructor.name);
  request.set_headers['X-Result'] = JSON.stringify(r);
}
`;

function api(apiId: string, file: string, hook: string, limits?: Record<string, unknown>): ApiDef & { proxy: { listen_path: string; target_url: string; strip_listen_path: boolean } } {
  return {
    api_id: apiId, org_id: 'o', use_keyless: true,
    proxy: { listen_path: `/${apiId}/`, target_url: 'http://127.0.0.1:1', strip_listen_path: true },
    custom_middleware: { driver: 'isolate', pre: [{ name: hook, path: file }], limits },
  };
}

describe('containment: WebAssembly in isolates', function () {
  this.timeout(60000);
  let upstream: RecordingServer;
  before(async () => {
    upstream = await startRecordingServer();
  });
  after(() => upstream.close());

  function target(def: ReturnType<typeof api>): ApiDef {
    def.proxy.target_url = upstream.url;
    return def;
  }

  async function header(gw: RunningGateway, path: string, name: string): Promise<string> {
    const before = upstream.requests.length;
    const res = await fetch(`${gw.url}${path}`);
    expect(res.status, `${path}: ${await res.clone().text()}`).to.equal(200);
    await res.arrayBuffer();
    expect(upstream.requests.length).to.equal(before + 1);
    return upstream.requests[upstream.requests.length - 1]!.headers[name] as string;
  }

  const rss = async (gw: RunningGateway): Promise<number> => (await readJson<{ memory: { rss: number } }>(await gw.admin('/tyk/stats'))).memory.rss;
  type Result = Record<string, unknown>;
  const result = async (gw: RunningGateway, path: string): Promise<Result> => JSON.parse(await header(gw, path, 'x-result')) as Result;

  it('is off by default: no WebAssembly global, by any route, at load or in a hook, in scripts and modules', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'probe.js', PROBE);
    writeMiddleware(dir, 'probe.mjs', PROBE_MODULE);
    writeApi(dir, target(api('plain', 'probe.js', 'probe')));
    writeApi(dir, target(api('module', 'probe.mjs', 'probeModule')));
    const gw = await startGateway({ dir });
    try {
      expect(await header(gw, '/plain/x', 'x-wasm')).to.equal('undefined,undefined,undefined,ReferenceError,false,undefined,undefined');
      expect(await header(gw, '/module/x', 'x-wasm')).to.equal('undefined,undefined');
    } finally {
      await gw.stop();
    }
  });

  it('isolate_options.allow_wasm turns it on; limits.allow_wasm overrides it per API', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'probe.js', PROBE);
    writeApi(dir, target(api('inherits', 'probe.js', 'probe')));
    writeApi(dir, target(api('opted-out', 'probe.js', 'probe', { allow_wasm: false })));
    const gw = await startGateway({ dir, config: { isolate_options: { allow_wasm: true } } });
    try {
      expect(await header(gw, '/inherits/x', 'x-wasm')).to.equal('object,object,object,object,true,undefined,object');
      expect(await header(gw, '/opted-out/x', 'x-wasm')).to.equal('undefined,undefined,undefined,ReferenceError,false,undefined,undefined');
    } finally {
      await gw.stop();
    }
  });

  it('limits.allow_wasm must be a boolean: the definition is refused naming the key, the others load', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'probe.js', PROBE);
    writeApi(dir, target(api('bad', 'probe.js', 'probe', { allow_wasm: 'yes' })));
    writeApi(dir, target(api('good', 'probe.js', 'probe')));
    const gw = await startGateway({ dir });
    try {
      expect((await fetch(`${gw.url}/good/x`)).status).to.equal(200);
      expect((await fetch(`${gw.url}/bad/x`)).status).to.equal(404);
      expect(gw.logs.join('')).to.include('custom_middleware.limits.allow_wasm: must be boolean');
    } finally {
      await gw.stop();
    }
  });

  it('when on, Wasm memory counts against memory_limit_mb: 30 × 64 MiB grows are refused and RSS stays bounded, tampered built-ins or not', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'hog.js', HOG);
    writeApi(dir, target(api('hog', 'hog.js', 'hog', { allow_wasm: true, memory_limit_mb: 32 })));
    writeApi(dir, target(api('tampered', 'hog.js', 'tamperedMemoriesFirst', { allow_wasm: true, memory_limit_mb: 32 })));
    writeApi(dir, target(api('tampered-module', 'hog.js', 'tamperedModuleFirst', { allow_wasm: true, memory_limit_mb: 32 })));
    const gw = await startGateway({ dir });
    try {
      await header(gw, '/hog/warm', 'x-result');
      const before = await rss(gw);
      const results: Record<string, Result[]> = {};
      for (const path of ['hog', 'tampered', 'tampered-module']) {
        results[path] = [];
        for (let i = 0; i < 3; i++) results[path].push(await result(gw, `/${path}/x`));
      }
      const after = await rss(gw);
      // Each API's budget is 512 pages (32 MiB). The first memory is given all of it as its
      // maximum, so its grow by 1023 pages fails and the other 29 memories are refused; what it
      // holds stays reserved, so every later memory or instance is refused too.
      const first = JSON.parse(upstream.requests.find((r) => r.url === '/warm')!.headers['x-result'] as string) as Result;
      expect(first).to.deep.include({ refused: 29, growFailed: 1, grown: 0, inside: 'RangeError' });
      expect(first.message as string).to.match(/RangeError: .*exceed this API's .*budget of 512 pages/);
      for (const r of results.hog!) expect(r).to.deep.include({ refused: 30, grown: 0, inside: 'RangeError' });
      // With every built-in the budget code could lean on replaced, the same happens.
      expect(results.tampered![0]).to.deep.include({ refused: 29, growFailed: 1, grown: 0, inside: 'RangeError' });
      for (const r of results.tampered!.slice(1)) expect(r).to.deep.include({ refused: 30, grown: 0, inside: 'RangeError' });
      // A module's own memory is capped in its bytes: a grow from inside Wasm past it returns -1.
      expect(results['tampered-module']![0]).to.deep.include({ inside1023: -1, inside100: 1, bytes: 101 * 65536, refused: 30, grown: 0 });
      for (const r of results['tampered-module']!.slice(1)) expect(r).to.deep.include({ refused: 30, grown: 0, inside: 'RangeError' });
      // Before the fix the same hook held 1.9 GB. Generous bound: 200 MiB for everything.
      console.log(`      wasm hog: RSS ${(before / MiB).toFixed(0)} → ${(after / MiB).toFixed(0)} MiB`);
      expect(after - before).to.be.below(200 * MiB);
    } finally {
      await gw.stop();
    }
  });

  it('when on, Wasm within the budget works, a grow past it fails inside the guest, and a per-call instance gets its budget back', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'use.js', USE);
    writeApi(dir, target(api('use', 'use.js', 'use', { allow_wasm: true, memory_limit_mb: 16 })));
    writeApi(dir, target(api('async', 'use.js', 'useAsync', { allow_wasm: true, memory_limit_mb: 16 })));
    writeApi(dir, target(api('percall', 'use.js', 'perCall', { allow_wasm: true, memory_limit_mb: 32 })));
    const gw = await startGateway({ dir });
    try {
      const r = await result(gw, '/use/x');
      expect(r).to.deep.equal({
        add: 42, big: 'RangeError', memory64: 'CompileError', truncated: 'CompileError', ctorIsWrapper: true,
        streaming: 'undefined/undefined', importedGrow: 1, importedPast: -1, jsGrowPast: 'RangeError', overInitial: 'RangeError', zeroMemories: 7, countLimit: 'WebAssembly.Memory(): an API may have at most 8 live WebAssembly memories',
      });
      expect(await result(gw, '/async/x')).to.deep.equal({ inside: -1, toMax: 1, past: -1, second: 'RangeError', add: 5, badBytes: 'CompileError' });
      const before = await rss(gw);
      for (let i = 0; i < 40; i++) {
        expect(await result(gw, '/percall/x')).to.deep.equal({ first: 1, past: -1, bytes: 512 * 65536 });
      }
      const after = await rss(gw);
      console.log(`      wasm per-call 32 MiB instances × 40: RSS ${(before / MiB).toFixed(0)} → ${(after / MiB).toFixed(0)} MiB`);
      expect(after - before).to.be.below(200 * MiB);
    } finally {
      await gw.stop();
    }
  });
});
