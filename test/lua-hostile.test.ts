// Driver `lua` under misbehaving plugins and hostile input, through a real gateway: each failure
// stays with its own API while a neighbour keeps serving; uploads are checked before they land.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { makeWorkspace, startGateway, writeApi, writeMiddleware, type ApiDef, type RunningGateway } from './helpers/gateway';
import { echoed, readJson, startRecordingServer, tykError, type Received, type RecordingServer } from './helpers/http';
import { until } from './helpers/poll';
import type { OutputCounts } from '../src/coprocess/drivers/isolate';

const PLUGIN = `
calls = 0

function ok(request, session)
  calls = calls + 1
  tyk.req.set_header("X-Calls", tostring(calls))
  return request, session
end

function boom(request, session)
  local config = nil
  return request, config.missing   -- attempt to index a nil value
end

function authBoom(request, session, metadata, spec)
  error("the auth plugin broke")
end

-- Spins only when asked, so that the rebuilt isolate can show it serves again.
function spin(request, session)
  calls = calls + 1
  if request.headers["X-Spin"] == "yes" then while true do end end
  tyk.req.set_header("X-Calls", tostring(calls))
  return request, session
end

function hog(request, session)
  calls = calls + 1
  if request.headers["X-Hog"] == "yes" then
    local keep = {}
    while true do keep[#keep + 1] = { string.rep("x", 64), #keep } end
  end
  tyk.req.set_header("X-Calls", tostring(calls))
  return request, session
end

function bigString(request, session)
  calls = calls + 1
  if request.headers["X-Big"] == "yes" then local s = string.rep("x", 512 * 1024 * 1024) end
  tyk.req.set_header("X-Calls", tostring(calls))
  return request, session
end

function recurse(request, session)
  calls = calls + 1
  local function down(n) return down(n + 1) + 1 end
  if request.headers["X-Deep"] == "yes" then down(1) end
  tyk.req.set_header("X-Calls", tostring(calls))
  return request, session
end

function flood(request, session)
  log(string.rep("L", 1024 * 1024))
  local line = string.rep("f", 1000)
  for i = 1, 2000 do print("flood", i, line) end
  for i = 1, 5000 do TykTriggerEvent("LuaFlood", "x") end
  tyk.req.set_header("X-Flooded", "yes")
  return request, session
end

function badReturn(request, session)
  return "not a table", session
end

function badField(request, session)
  request.set_headers["X-Fn"] = print
  return request, session
end

-- The client sends the bytes percent-encoded (fetch refuses CR/LF in a header); Lua decodes
-- them, so the gateway sees exactly what a hostile plugin would produce.
local function unescape(text)
  return (string.gsub(text, "%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

function inject(request, session)
  tyk.req.set_header("X-Evil", unescape(request.headers["X-Payload"]))
  return request, session
end

function injectName(request, session)
  request.set_headers[unescape(request.headers["X-Name"])] = "v"
  return request, session
end
`;

const UPLOAD_V1 = `function tag(request, session)
  tyk.req.set_header("X-Version", "1")
  return request, session
end
`;
const uploadVersion = (v: number) => UPLOAD_V1.replace('"1"', `"${v}"`);

function api(apiId: string, middleware: Record<string, unknown>, extra: Record<string, unknown> = {}): ApiDef {
  return {
    api_id: apiId,
    org_id: 'org1',
    use_keyless: true,
    proxy: { listen_path: `/${apiId}/`, target_url: 'http://127.0.0.1:1', strip_listen_path: true },
    custom_middleware: { driver: 'lua', ...middleware },
    ...extra,
  };
}

const pre = (name: string, limits?: Record<string, number>) => ({ pre: [{ name, path: 'hostile.lua' }], ...(limits ? { limits } : {}) });

/** The last request the upstream received. */
const last = (server: RecordingServer): Received => server.requests[server.requests.length - 1]!;

interface AdminReply {
  status: string;
  message: string;
}
interface MiddlewareList {
  files: { name: string }[];
}

describe('driver lua: misbehaving plugins and hostile input', function () {
  this.timeout(60000);
  let upstream: RecordingServer;
  let gw: RunningGateway | undefined;
  const gateway = (): RunningGateway => gw!;
  const get = (p: string, headers: Record<string, string> = {}) => fetch(`${gateway().url}${p}`, { headers });
  const upload = (apiId: string, name: string, code: string) => gateway().admin(`/tyk/apis/${apiId}/middleware/${name}`, { method: 'PUT', body: code });
  const logs = () => gateway().logs.join('');
  /** The gateway's log once it matches (log lines travel worker → supervisor → here, after the response). */
  const logMatching = (pattern: RegExp): Promise<string> => until(() => pattern.test(logs()) && logs(), { timeoutMs: 5000, what: `the log to match ${pattern}` });

  /** A neighbour request answers 200 with its own header while something else misbehaves. */
  async function neighbourServes(): Promise<number> {
    const t0 = Date.now();
    const res = await get('/ok/n');
    expect(res.status).to.equal(200);
    expect((await echoed(res)).headers['x-calls']).to.match(/^\d+$/);
    return Date.now() - t0;
  }

  before(async () => {
    upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'hostile.lua', PLUGIN);
    writeMiddleware(dir, path.join('lua-up', 'tag.lua'), UPLOAD_V1);
    writeMiddleware(dir, 'missing.lua', 'function present() end\n');
    writeMiddleware(dir, 'broken.lua', 'function broken(request)\n  if then\nend\n');
    writeMiddleware(dir, 'throws-at-load.lua', 'local x = 1\nerror("top-level failure")\n');
    writeMiddleware(dir, 'spins-at-load.lua', 'while true do end\n');
    writeMiddleware(dir, 'tyk-at-load.lua', 'function x() end\ntyk.req.set_header("X", "1")\n');
    writeMiddleware(dir, 'js-plugin.js', 'function jsTag(request) { request.set_headers["X-Js"] = "1"; }\n');
    const at = (def: ApiDef): ApiDef => ({ ...def, proxy: { ...(def.proxy as object), target_url: upstream.url } });
    writeApi(dir, at(api('ok', pre('ok'))));
    writeApi(dir, at(api('ok-twin', pre('ok'))));
    writeApi(dir, at(api('boom', pre('boom'))));
    writeApi(dir, at(api('auth-boom', { auth_check: { name: 'authBoom', path: 'hostile.lua' } }, { use_keyless: false, custom_plugin_auth_enabled: true })));
    writeApi(dir, at(api('spin', pre('spin', { hook_timeout_ms: 300 }))));
    writeApi(dir, at(api('hog', pre('hog', { memory_limit_mb: 16, hook_timeout_ms: 10000 }))));
    writeApi(dir, at(api('big-string', pre('bigString', { memory_limit_mb: 16 }))));
    writeApi(dir, at(api('recurse', pre('recurse', { hook_timeout_ms: 10000 }))));
    writeApi(dir, at(api('flood', pre('flood', { hook_timeout_ms: 10000, log_lines_per_s: 200, events_per_s: 50 }))));
    writeApi(dir, at(api('bad-return', pre('badReturn'))));
    writeApi(dir, at(api('bad-field', pre('badField'))));
    writeApi(dir, at(api('inject', pre('inject'))));
    writeApi(dir, at(api('inject-name', pre('injectName'))));
    writeApi(dir, at(api('lua-up', { pre: [{ name: 'tag' }] })));
    writeApi(dir, at(api('js-up', { driver: 'isolate', pre: [{ name: 'jsTag', path: 'js-plugin.js' }] })));
    writeApi(dir, at(api('missing-hook', { pre: [{ name: 'Nope', path: 'missing.lua' }] })));
    writeApi(dir, at(api('syntax', { pre: [{ name: 'broken', path: 'broken.lua' }] })));
    writeApi(dir, at(api('throws-at-load', { pre: [{ name: 'x', path: 'throws-at-load.lua' }] })));
    writeApi(dir, at(api('spins-at-load', { pre: [{ name: 'x', path: 'spins-at-load.lua' }], limits: { hook_timeout_ms: 200 } })));
    writeApi(dir, at(api('tyk-at-load', { pre: [{ name: 'x', path: 'tyk-at-load.lua' }] })));
    gw = await startGateway({ dir, config: { isolate_options: { max_upload_bytes: 64 * 1024 } } });
  });

  after(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  it('a Lua runtime error answers 500 "Middleware error", logs the message and traceback, and harms no neighbour', async () => {
    const res = await get('/boom/x');
    expect(res.status).to.equal(500);
    expect(await tykError(res)).to.equal('Middleware error');
    await neighbourServes();
    expect((await get('/boom/x')).status).to.equal(500);
    const text = await logMatching(/in function 'boom'/);
    expect(text).to.match(/hostile\.lua:\d+: attempt to index a nil value/);
    expect(text).to.include('stack traceback:');
    expect(text).to.match(/hostile\.lua:\d+: in function 'boom'/);
  });

  it('an auth_check that errors answers 403 "Key not authorised"', async () => {
    const res = await get('/auth-boom/x', { authorization: 'anything' });
    expect(res.status).to.equal(403);
    expect(await tykError(res)).to.equal('Key not authorised');
    await logMatching(/the auth plugin broke/);
  });

  it('while true do end is cut at hook_timeout_ms while other APIs answer fast; the API then serves again', async () => {
    const spinning = get('/spin/x', { 'X-Spin': 'yes' });
    await new Promise((r) => setTimeout(r, 50));
    expect(await neighbourServes()).to.be.below(250);
    const t0 = Date.now();
    const res = await spinning;
    expect(res.status).to.equal(500);
    expect(await tykError(res)).to.equal('Middleware error');
    expect(Date.now() - t0).to.be.below(2000);
    const after = await get('/spin/x');
    expect(after.status).to.equal(200);
    // A fresh isolate: the Lua globals started over.
    expect(last(upstream).headers['x-calls']).to.equal('1');
  });

  it('a memory hog is stopped at the API\'s memory limit; the gateway and the neighbours live on', async () => {
    const hogging = get('/hog/x', { 'X-Hog': 'yes' });
    await neighbourServes();
    const res = await hogging;
    expect(res.status).to.equal(500);
    expect(await tykError(res)).to.equal('Middleware error');
    await neighbourServes();
    expect((await get('/hog/x')).status).to.equal(200);
    await logMatching(/"api_id":"hog"[^\n]*"reason":"memory"/);
  });

  it('a string larger than the memory limit fails that call only', async () => {
    expect((await get('/big-string/x', { 'X-Big': 'yes' })).status).to.equal(500);
    await logMatching(/"api_id":"big-string"[^\n]*"reason":"memory"[^\n]*Array buffer allocation failed/);
    expect((await get('/big-string/x')).status).to.equal(200);
    await neighbourServes();
  });

  it('runaway recursion is a Lua "stack overflow" error, not a dead isolate', async () => {
    expect((await get('/recurse/x')).status).to.equal(200);
    const before = Number(last(upstream).headers['x-calls']);
    expect((await get('/recurse/x', { 'X-Deep': 'yes' })).status).to.equal(500);
    expect((await get('/recurse/x')).status).to.equal(200);
    expect(Number(last(upstream).headers['x-calls'])).to.equal(before + 2);
    await logMatching(/stack overflow/);
  });

  it('a print and event flood stays within the API\'s output budget, a huge line is cut, and neighbours are unaffected', async () => {
    const t0 = Date.now();
    const flooding = get('/flood/x');
    await neighbourServes();
    const res = await flooding;
    // A bucket holds one second's worth and refills while the hook runs.
    const seconds = (Date.now() - t0) / 1000;
    expect(res.status).to.equal(200);
    expect(upstream.requests.find((r) => r.headers['x-flooded'] === 'yes')).to.not.equal(undefined);
    const out = await readJson<{ output: OutputCounts }>(await gateway().admin('/tyk/apis/flood/runtime'));
    // One log line and 2000 prints, 5000 events: what the budget let through, the rest counted.
    expect(out.output.log_lines + out.output.log_lines_dropped).to.equal(2001);
    expect(out.output.log_lines).to.be.within(200, 200 + Math.ceil(200 * seconds) + 1);
    expect(out.output.events + out.output.events_dropped).to.equal(5000);
    expect(out.output.events).to.be.within(50, 50 + Math.ceil(50 * seconds) + 1);
    await logMatching(/more characters/);
    const lines = await until(() => {
      const found = logs().split('\n').filter((l) => l.includes('"source":"middleware"') && l.includes('"api_id":"flood"'));
      return found.length >= out.output.log_lines && found;
    }, { timeoutMs: 5000, what: 'the flood lines in the log' });
    expect(lines.length).to.equal(out.output.log_lines);
    const huge = lines.find((l) => l.includes('LLLL')) ?? '';
    expect(huge).to.include('more characters');
    expect(huge.length).to.be.below(20 * 1024);
    await neighbourServes();
  });

  it('a return value that is not an Object answers 500 and the log names the field', async () => {
    expect((await get('/bad-return/x')).status).to.equal(500);
    expect((await get('/bad-field/x')).status).to.equal(500);
    await logMatching(/request: expected a table, got a string/);
    await logMatching(/request\.set_headers\.X-Fn: expected a string, got a function/);
  });

  it('CR/LF/NUL from Lua in header values or names answer 500 and never reach the upstream', async () => {
    const before = upstream.requests.length;
    for (const payload of ['a\r\nX-Injected: 1', 'a\nb', 'a\u0000b', 'a\rb']) {
      const res = await get('/inject/x', { 'X-Payload': encodeURIComponent(payload) });
      expect(res.status, JSON.stringify(payload)).to.equal(500);
    }
    for (const bad of ['X-Bad\r\nName', 'X Bad', 'X-Nul\u0000', '']) {
      const res = await get('/inject-name/x', { 'X-Name': encodeURIComponent(bad) });
      expect(res.status, JSON.stringify(bad)).to.equal(500);
    }
    expect(upstream.requests.length).to.equal(before);
    // A harmless value still goes through.
    expect((await get('/inject/x', { 'X-Payload': 'fine%20value' })).status).to.equal(200);
    expect(last(upstream).headers['x-evil']).to.equal('fine value');
  });

  it('an upload with a Lua syntax error is a 400 with the message and line; nothing changes', async () => {
    expect((await get('/lua-up/x')).status).to.equal(200);
    expect(last(upstream).headers['x-version']).to.equal('1');
    const res = await upload('lua-up', 'tag.lua', 'function tag(request, session)\n  local x = \nend\n');
    expect(res.status).to.equal(400);
    const { message } = await readJson<AdminReply>(res);
    expect(message).to.match(/tag\.lua:3: does not compile: unexpected symbol near 'end'/);
    expect(fs.readFileSync(path.join(gateway().dir, 'middleware', 'lua-up', 'tag.lua'), 'utf8')).to.equal(UPLOAD_V1);
    expect((await get('/lua-up/x')).status).to.equal(200);
    expect(last(upstream).headers['x-version']).to.equal('1');
  });

  it('an upload without the hook function is refused naming it; a good upload goes live at once', async () => {
    const missing = await upload('lua-up', 'tag.lua', 'function other(request, session) return request, session end\n');
    expect(missing.status).to.equal(400);
    expect((await readJson<AdminReply>(missing)).message).to.include('Lua hook function "tag" is not defined');
    const top = await upload('lua-up', 'tag.lua', `error("no")\n${uploadVersion(2)}`);
    expect(top.status).to.equal(400);
    expect((await readJson<AdminReply>(top)).message).to.match(/tag\.lua:1: failed while loading: no\nstack traceback:/);
    const good = await upload('lua-up', 'tag.lua', uploadVersion(2));
    expect(good.status).to.equal(200);
    expect((await get('/lua-up/x')).status).to.equal(200);
    expect(last(upstream).headers['x-version']).to.equal('2');
    const listed = await readJson<MiddlewareList>(await gateway().admin('/tyk/apis/lua-up/middleware'));
    expect(listed.files.map((f) => f.name)).to.deep.equal(['tag.lua']);
    const read = await gateway().admin('/tyk/apis/lua-up/middleware/tag.lua');
    expect(await read.text()).to.equal(uploadVersion(2));
  });

  it('an upload of the wrong kind, a hostile name or an oversized body is refused and stores nothing', async () => {
    const dirOf = (id: string) => path.join(gateway().dir, 'middleware', id);
    const jsToLua = await upload('lua-up', 'extra.js', 'function x() {}');
    expect(jsToLua.status).to.equal(400);
    expect((await readJson<AdminReply>(jsToLua)).message).to.include('does not load this kind of file');
    const luaToJs = await upload('js-up', 'extra.lua', 'function x() end');
    expect(luaToJs.status).to.equal(400);
    for (const name of ['..%2F..%2Fevil.lua', '.hidden.lua', 'x.luac', '..%2Fok%2Fhostile.lua', 'a%00.lua', 'tag.lua%0d%0a']) {
      const res = await upload('lua-up', name, 'function tag() end');
      expect(res.status, name).to.be.oneOf([400, 404]);
    }
    expect((await upload('lua-up', 'big.lua', `-- ${'x'.repeat(70 * 1024)}\n${uploadVersion(3)}`)).status).to.equal(413);
    expect(fs.readdirSync(dirOf('lua-up')).sort()).to.deep.equal(['tag.lua']);
    expect(fs.existsSync(dirOf('js-up'))).to.equal(false);
    expect(fs.readFileSync(path.join(gateway().dir, 'middleware', 'hostile.lua'), 'utf8')).to.equal(PLUGIN);
    expect(upstream.requests.length).to.be.above(0);
  });

  it('APIs whose Lua does not load answer 500 (failed-middleware state), naming the hook, file and line; the others serve', async () => {
    const errors = (await gateway().reload()).message ?? '';
    expect(errors).to.include('Lua hook function "Nope" is not defined');
    expect(errors).to.match(/broken\.lua:2: does not compile: unexpected symbol near 'then'/);
    expect(errors).to.match(/throws-at-load\.lua:2: failed while loading: top-level failure/);
    expect(errors).to.match(/spins-at-load\.lua: failed while loading: .*timed out|spins-at-load\.lua[^\n]*did not finish/);
    expect(errors).to.match(/tyk-at-load\.lua:2: failed while loading: tyk\.req is only available while a hook runs/);
    for (const id of ['missing-hook', 'syntax', 'throws-at-load', 'spins-at-load', 'tyk-at-load']) {
      const res = await get(`/${id}/x`);
      expect(res.status, id).to.equal(500);
      expect(await tykError(res), id).to.equal('Middleware error');
    }
    await neighbourServes();
  });

  it('two APIs running the same file have separate Lua states', async () => {
    await get('/ok/a');
    await get('/ok/a');
    const mine = Number(last(upstream).headers['x-calls']);
    await get('/ok-twin/a');
    const twin = Number(last(upstream).headers['x-calls']);
    expect(twin).to.equal(1);
    expect(mine).to.be.above(1);
  });
});

describe('driver lua with coprocess switched off', function () {
  let gw: RunningGateway | undefined;
  after(async () => {
    await gw?.stop();
  });

  it('fails the Lua API closed (500, never proxied) and says why; the rest of the gateway serves', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'p.lua', 'function p(request, session) return request, session end\n');
    writeApi(dir, api('off', { pre: [{ name: 'p', path: 'p.lua' }] }));
    gw = await startGateway({ dir, config: { coprocess_options: { enable_coprocess: false } } });
    const res = await fetch(`${gw.url}/off/x`);
    expect(res.status).to.equal(500);
    expect(await tykError(res)).to.equal('Internal Server Error');
    await gw.waitForLog('custom_middleware.driver: \\"lua\\" hooks are configured but coprocess_options.enable_coprocess is false');
    expect((await fetch(`${gw.url}/hello`)).status).to.equal(200);
  });
});

describe('driver lua: isolates are released across upload cycles', function () {
  this.timeout(180000);
  let upstream: RecordingServer | undefined;
  let gw: RunningGateway | undefined;
  after(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  it('returns to one live isolate, with RSS far below what leaked Lua states would take', async () => {
    upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, path.join('churn', 'tag.lua'), uploadVersion(0));
    writeApi(dir, { ...api('churn', { pre: [{ name: 'tag' }], limits: { memory_limit_mb: 32 } }), proxy: { listen_path: '/churn/', target_url: upstream.url, strip_listen_path: true } });
    const running = await startGateway({ dir });
    gw = running;
    const stats = async () => readJson<{ isolates: { created: number; live: number }; memory: { rss: number } }>(await running.admin('/tyk/stats'));
    const cycle = async (i: number) => {
      // A 256 KB Lua string per generation: a leaked one would show.
      const code = `local ballast = string.rep("x", 256 * 1024)\n${uploadVersion(i).replace(`"${i}"`, `"${i}" .. #ballast`)}`;
      expect((await upload(i, code)).status, `upload ${i}`).to.equal(200);
      expect((await echoed(await fetch(`${running.url}/churn/x`))).headers['x-version']).to.equal(`${i}${256 * 1024}`);
    };
    const upload = (i: number, code: string) => running.admin('/tyk/apis/churn/middleware/tag.lua', { method: 'PUT', body: code });
    for (let i = 1; i <= 10; i++) await cycle(i);
    const before = await stats();
    for (let i = 11; i <= 70; i++) await cycle(i);
    await until(async () => (await stats()).isolates.live === 1, { timeoutMs: 10000, what: 'one live isolate' });
    const after = await stats();
    expect(after.isolates.created - before.isolates.created).to.be.at.least(60);
    const growthMb = (after.memory.rss - before.memory.rss) / 1024 / 1024;
    // 60 leaked Lua isolates would be > 300 MB (≈ 5 MB each plus the ballast).
    expect(growthMb, `RSS grew ${growthMb.toFixed(1)} MB`).to.be.below(120);
  });
});
