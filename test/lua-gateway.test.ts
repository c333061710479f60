// Driver `lua` through a real gateway: Tyk-style Lua plugins (middleware/lua/ and the ones
// below) in real isolates, checked by what the loopback upstream actually received.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { makeWorkspace, startGateway, writeApi, writeMiddleware, type ApiDef, type RunningGateway } from './helpers/gateway';
import { startRecordingServer, tykError, type Received, type RecordingServer } from './helpers/http';
import { fromRoot } from './helpers/paths';
import { until } from './helpers/poll';

const PLUGIN = `
local cjson = require "cjson"
local safe = require "cjson.safe"

function rewrite(request, session, spec)
  request.raw_body = "replaced " .. #request.raw_body
  request.method = "PUT"
  request.url = string.gsub(request.url, "/before", "/after")
  return request, session
end

-- Changes made in place count even when the hook returns nothing.
function inPlace(request)
  request.set_headers["X-In-Place"] = "yes"
end

function binary(request, session)
  -- Lua strings are bytes: raw_body holds the body exactly; body is text only for UTF-8.
  local sum = 0
  for i = 1, #request.raw_body do sum = sum + string.byte(request.raw_body, i) end
  tyk.req.set_header("X-Len", tostring(#request.raw_body))
  tyk.req.set_header("X-Sum", tostring(sum))
  tyk.req.set_header("X-Body-Text", request.body == "" and "empty" or "text")
  request.raw_body = request.raw_body .. "\\0\\255"
  return request, session
end

function bigBody(request, session)
  tyk.req.set_header("X-Len", tostring(#request.raw_body))
  tyk.req.set_header("X-Text-Len", tostring(#request.body))
  request.raw_body = request.raw_body .. "!"
  return request, session
end

function overrideRaw(request, session)
  request.return_overrides.response_code = 200
  request.return_overrides.response_error = '{"foo": "bar"}'
  request.return_overrides.headers["X-Foo"] = "Bar"
  return request, session
end

function overrideError(request, session)
  request.return_overrides.response_code = 400
  request.return_overrides.response_body = "lua says no"
  return request, session
end

function overrideErrorRaw(request, session)
  request.return_overrides.response_code = 418
  request.return_overrides.override_error = true
  request.return_overrides.response_body = "short and stout"
  return request, session
end

-- cjson: the request body is decoded, extended and encoded again; edge cases go in headers.
function jsonRoundTrip(request, session)
  local data = cjson.decode(request.raw_body)
  data.seen = true
  data.count = #data.list
  data.nothing = cjson.null
  request.raw_body = cjson.encode(data)
  local again = cjson.decode(request.raw_body)
  tyk.req.set_header("X-Same", tostring(again.nested.deep[2] == data.nested.deep[2] and again.text == data.text))
  tyk.req.set_header("X-Null", tostring(again.nothing == cjson.null))
  tyk.req.set_header("X-Array", cjson.encode({1, 2, "three", {4}}))
  tyk.req.set_header("X-Empty", cjson.encode({}))
  tyk.req.set_header("X-Escapes", cjson.encode("a/b\\"q\\"\\n\\1"))
  tyk.req.set_header("X-Numbers", cjson.encode({0.5, 3, -7, 1e300, 2^40}))
  local value, err = safe.decode("{not json")
  tyk.req.set_header("X-Safe", tostring(value) .. "|" .. tostring(err ~= nil))
  local ok, message = pcall(cjson.encode, { f = print })
  tyk.req.set_header("X-Encode-Error", tostring(ok) .. "|" .. message)
  return request, session
end

function respond(request, response, session, metadata, spec)
  response.raw_body = "lua response hook (" .. response.status_code .. ")"
  response.headers["X-Response-Hook"] = "lua"
  response.status_code = 201
  return response
end

function sandboxReport(request, session)
  local fromBytecode, why = load(string.dump(function() return 1 end))
  local report = {
    io = type(io), os_execute = type(os.execute), os_getenv = type(os.getenv),
    dofile = type(dofile), loadfile = type(loadfile), time = type(os.time()),
    debug_getregistry = type(debug.getregistry), fengari = type(fengari), js = type(js),
    bytecode = tostring(fromBytecode ~= nil) .. "|" .. tostring(why),
    text_load = tostring(load("return 40 + 2")()),
    require_os_execute = type(require("os").execute),
    require_proto = tostring((pcall(require, "toString"))),
    require_path = tostring((pcall(require, "../../../etc/passwd"))),
    int_max = tostring(math.maxinteger),
  }
  request.raw_body = cjson.encode(report)
  return request, session
end

function tykGlobals(request, session)
  tyk.req.set_header("X-UA", tyk.header["User-Agent"])
  tyk.req.set_header("X-Custom", tyk.req.get_headers()["X-Custom"])
  tyk.req.set_header("X-Same-Session", tostring(tyk.session == session))
  tyk.req.set_header("X-Number", 42)
  log("lua warning line", "warning")
  print("lua print", 1, 2.5, true, nil)
  return request, session
end

function fireEvent(request, session)
  TykTriggerEvent("LuaEvent", { from = "lua", url = request.url })
  TykTriggerEvent("LuaText", "plain payload")
  return request, session
end

-- A cp_dynamic_handler: the global function named by handler_meta.name gets (event, spec).
function onLuaText(event, spec)
  TykTriggerEvent("HandledInLua", event.Type .. ":" .. spec.APIID .. ":" .. event.Meta.Message)
end
`;

// A module file: main.lua requires it by name although it loads after main.lua.
const UTIL = `
runs = (runs or 0) + 1
local util = {}
function util.shout(text) return string.upper(text) .. "!" end
return util
`;

const MAIN = `
local util = require "util"
local nested = require "lib.helpers"
function useModules(request, session)
  tyk.req.set_header("X-Shout", util.shout("quiet"))
  tyk.req.set_header("X-Same-Module", tostring(require("util") == util))
  tyk.req.set_header("X-Util-Runs", tostring(runs))
  tyk.req.set_header("X-Nested", nested.name)
  return request, session
end
`;

const NESTED = `
function nestedNoop() end
return { name = "lib.helpers" }
`;

function api(apiId: string, middleware: Record<string, unknown>, extra: Record<string, unknown> = {}): ApiDef {
  return {
    api_id: apiId,
    org_id: 'org1',
    use_keyless: true,
    proxy: { listen_path: `/${apiId}/`, target_url: 'http://127.0.0.1:1', strip_listen_path: true },
    config_data: { greeting: 'hi from config' },
    custom_middleware: { driver: 'lua', ...middleware },
    ...extra,
  };
}

const pre = (name: string, file = 'plugin.lua') => ({ pre: [{ name, path: file }] });

/** The last request the upstream received (every test here sends at least one first). */
const last = (server: RecordingServer): Received => server.requests[server.requests.length - 1]!;

describe('driver lua through a real gateway', function () {
  let upstream: RecordingServer;
  let receiver: RecordingServer;
  let gw: RunningGateway | undefined;
  const gateway = (): RunningGateway => gw!;
  const get = (p: string, init?: RequestInit) => fetch(`${gateway().url}${p}`, init);

  before(async () => {
    upstream = await startRecordingServer();
    receiver = await startRecordingServer();
    const dir = makeWorkspace();
    for (const file of ['pre.lua', 'auth.lua']) writeMiddleware(dir, path.join('lua', file), fs.readFileSync(fromRoot('middleware', 'lua', file), 'utf8'));
    writeMiddleware(dir, 'plugin.lua', PLUGIN);
    // Uploaded files of lua-require (its folder, sorted: main.lua before util.lua), plus an entry path.
    writeMiddleware(dir, path.join('lua-require', 'main.lua'), MAIN);
    writeMiddleware(dir, path.join('lua-require', 'util.lua'), UTIL);
    writeMiddleware(dir, path.join('shared', 'lib', 'helpers.lua'), NESTED);
    const at = (def: ApiDef): ApiDef => ({ ...def, proxy: { ...(def.proxy as object), target_url: upstream.url } });
    writeApi(dir, at(api('lua-pre', pre('MyPreMiddleware', 'lua/pre.lua'))));
    writeApi(dir, at(api('lua-rewrite', pre('rewrite'))));
    writeApi(dir, at(api('lua-inplace', pre('inPlace'))));
    writeApi(dir, at(api('lua-binary', pre('binary'))));
    writeApi(dir, at(api('lua-big', pre('bigBody'))));
    writeApi(dir, at(api('lua-ovr-raw', pre('overrideRaw'))));
    writeApi(dir, at(api('lua-ovr-err', pre('overrideError'))));
    writeApi(dir, at(api('lua-ovr-err-raw', pre('overrideErrorRaw'))));
    writeApi(dir, at(api('lua-json', pre('jsonRoundTrip'))));
    writeApi(dir, at(api('lua-resp', { response: [{ name: 'respond', path: 'plugin.lua' }] })));
    writeApi(dir, at(api('lua-sandbox', pre('sandboxReport'))));
    writeApi(dir, at(api('lua-globals', pre('tykGlobals'))));
    writeApi(dir, at(api('lua-require', { pre: [{ name: 'useModules', path: 'main.lua' }], post: [{ name: 'nestedNoop', path: 'shared/lib/helpers.lua' }] })));
    const webhook = (p: string) => ({ handler_name: 'eh_web_hook_handler', handler_meta: { method: 'POST', target_path: `${receiver.url}${p}`, event_timeout: 30 } });
    writeApi(dir, at(api('lua-event', pre('fireEvent'), {
      event_handlers: { events: {
        LuaEvent: [webhook('/lua-event')],
        LuaText: [webhook('/lua-text'), { handler_name: 'cp_dynamic_handler', handler_meta: { name: 'onLuaText' } }],
        HandledInLua: [webhook('/lua-handled')],
      } },
    })));
    writeApi(dir, at(api('lua-auth', {
      auth_check: { name: 'MyAuthCheck', path: 'lua/auth.lua' },
      post: [{ name: 'ReportSession', path: 'lua/auth.lua' }],
      id_extractor: { extract_from: 'header', extract_with: 'value', extractor_config: { header_name: 'Authorization' } },
    }, { use_keyless: false, custom_plugin_auth_enabled: true })));
    gw = await startGateway({ dir });
  });

  after(async () => {
    await gw?.stop();
    await upstream?.close();
    await receiver?.close();
  });

  it('Tyk\'s pre hook style: tyk.req.set_header / clear_header, params, config_data through cjson', async () => {
    const res = await get('/lua-pre/path?keep=1&secret=x', { headers: { 'X-Remove-Me': 'gone', 'X-Keep': 'kept' } });
    expect(res.status).to.equal(200);
    const seen = last(upstream);
    expect(seen.headers['x-lua']).to.equal('hello from lua');
    expect(seen.headers['x-greeting']).to.equal('hi from config');
    expect(seen.headers['x-api']).to.equal('lua-pre');
    expect(seen.headers).to.not.have.property('x-remove-me');
    expect(seen.headers['x-keep']).to.equal('kept');
    const query = new URL(seen.url, 'http://x').searchParams;
    expect(query.get('added')).to.equal('yes');
    expect(query.get('keep')).to.equal('1');
    expect(query.has('secret')).to.equal(false);
  });

  it('globals persist between calls of the same API', async () => {
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      await get('/lua-pre/count');
      counts.push(Number(last(upstream).headers['x-lua-calls']));
    }
    expect(counts[1]).to.equal(counts[0] + 1);
    expect(counts[2]).to.equal(counts[0] + 2);
  });

  it('the returned body, method and url are applied; in-place changes count without a return', async () => {
    const res = await get('/lua-rewrite/before/x?q=1', { method: 'POST', body: 'original' });
    expect(res.status).to.equal(200);
    const seen = last(upstream);
    expect(seen.method).to.equal('PUT');
    expect(seen.url).to.equal('/after/x?q=1');
    expect(seen.body.toString()).to.equal('replaced 8');
    await get('/lua-inplace/x');
    expect(last(upstream).headers['x-in-place']).to.equal('yes');
  });

  it('raw_body bytes survive the Lua round trip byte for byte; body text is empty for binary', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x0a, 0x0d, 0x7f]);
    const res = await get('/lua-binary/x', { method: 'POST', body: bytes });
    expect(res.status).to.equal(200);
    const seen = last(upstream);
    expect(seen.headers['x-len']).to.equal(String(bytes.length));
    expect(seen.headers['x-sum']).to.equal(String(bytes.reduce((a, b) => a + b, 0)));
    expect(seen.headers['x-body-text']).to.equal('empty');
    expect(seen.body.equals(Buffer.concat([bytes, Buffer.from([0, 255])]))).to.equal(true);
    await get('/lua-binary/x', { method: 'POST', body: 'héllo' });
    expect(last(upstream).headers['x-body-text']).to.equal('text');
    expect(last(upstream).body.toString('latin1')).to.equal(Buffer.concat([Buffer.from('héllo'), Buffer.from([0, 255])]).toString('latin1'));
  });

  it('carries a 5 MB body through a Lua hook', async () => {
    const body = Buffer.alloc(5 * 1024 * 1024, 'lua body ');
    const res = await get('/lua-big/x', { method: 'POST', body });
    expect(res.status).to.equal(200);
    const seen = last(upstream);
    expect(seen.headers['x-len']).to.equal(String(body.length));
    expect(seen.headers['x-text-len']).to.equal(String(body.length));
    expect(seen.body.length).to.equal(body.length + 1);
    expect(seen.body.subarray(0, body.length).equals(body)).to.equal(true);
    expect(seen.body.at(-1)).to.equal(0x21);
  });

  it('return_overrides: 200 answers raw with headers, >= 400 uses the error template, override_error answers raw', async () => {
    const before = upstream.requests.length;
    const raw = await get('/lua-ovr-raw/x');
    expect(raw.status).to.equal(200);
    expect(raw.headers.get('x-foo')).to.equal('Bar');
    expect(await raw.text()).to.equal('{"foo": "bar"}');
    const err = await get('/lua-ovr-err/x');
    expect(err.status).to.equal(400);
    expect(await tykError(err)).to.equal('lua says no');
    const teapot = await get('/lua-ovr-err-raw/x');
    expect(teapot.status).to.equal(418);
    expect(await teapot.text()).to.equal('short and stout');
    expect(upstream.requests.length).to.equal(before);
  });

  it('cjson encodes and decodes as lua-cjson does, and round trips a document', async () => {
    const doc = { text: 'héllo "world" / ☃', list: [1, 2, 3], nested: { deep: [true, false, 1.5] }, empty_list: [] };
    const res = await get('/lua-json/x', { method: 'POST', body: JSON.stringify(doc) });
    expect(res.status).to.equal(200);
    const seen = last(upstream);
    const out = JSON.parse(seen.body.toString()) as Record<string, unknown>;
    expect(out.text).to.equal(doc.text);
    expect(out.list).to.deep.equal([1, 2, 3]);
    expect(out.nested).to.deep.equal({ deep: [true, false, 1.5] });
    expect(out.seen).to.equal(true);
    expect(out.count).to.equal(3);
    expect(out.nothing).to.equal(null);
    // An empty table has no way to say "array": lua-cjson writes {}.
    expect(out.empty_list).to.deep.equal({});
    expect(seen.body.toString()).to.include('\\/');
    expect(seen.headers['x-same']).to.equal('true');
    expect(seen.headers['x-null']).to.equal('true');
    expect(seen.headers['x-array']).to.equal('[1,2,"three",[4]]');
    expect(seen.headers['x-empty']).to.equal('{}');
    expect(seen.headers['x-escapes']).to.equal('"a\\/b\\"q\\"\\n\\u0001"');
    expect(seen.headers['x-numbers']).to.equal('[0.5,3,-7,1e+300,1099511627776]');
    expect(seen.headers['x-safe']).to.equal('nil|true');
    expect(seen.headers['x-encode-error']).to.match(/^false\|.*Cannot serialise function: type not supported$/);
  });

  it('response hooks get (request, response, session, metadata, spec) and their response is applied', async () => {
    const res = await get('/lua-resp/x');
    expect(res.status).to.equal(201);
    expect(res.headers.get('x-response-hook')).to.equal('lua');
    expect(await res.text()).to.equal('lua response hook (200)');
  });

  it('tyk.header, tyk.session and tyk.req.get_headers see the running hook; print and log reach the gateway log', async () => {
    expect((await get('/lua-globals/x', { headers: { 'User-Agent': 'lua-test-agent', 'X-Custom': 'custom value' } })).status).to.equal(200);
    const seen = last(upstream);
    expect(seen.headers['x-ua']).to.equal('lua-test-agent');
    expect(seen.headers['x-custom']).to.equal('custom value');
    expect(seen.headers['x-same-session']).to.equal('true');
    expect(seen.headers['x-number']).to.equal('42');
    // Log lines travel worker → supervisor → here and may trail the response.
    const line = (text: string) =>
      until(() => gateway().logs.join('').split('\n').find((l) => l.includes('"api_id":"lua-globals"') && l.includes(text)), { timeoutMs: 5000, what: text });
    expect((JSON.parse(await line('lua warning line')) as { level: number }).level).to.equal(40);
    expect((JSON.parse(await line('lua print')) as { msg: string }).msg).to.equal('lua print\t1\t2.5\ttrue\tnil');
  });

  it('the sandbox has no io, os.execute, getenv, files or bytecode loading; text chunks load', async () => {
    expect((await get('/lua-sandbox/x')).status).to.equal(200);
    const report = JSON.parse(last(upstream).body.toString()) as Record<string, string>;
    expect(report).to.deep.equal({
      io: 'nil', os_execute: 'nil', os_getenv: 'nil', dofile: 'nil', loadfile: 'nil', time: 'number',
      debug_getregistry: 'nil', fengari: 'nil', js: 'nil', bytecode: "false|attempt to load a binary chunk (mode is 't')", text_load: '42',
      require_os_execute: 'nil', require_proto: 'false', require_path: 'false', int_max: '2147483647',
    });
  });

  it('require finds the API\'s own files by module name (a.b is a/b.lua), runs each once, in any load order', async () => {
    const res = await get('/lua-require/x');
    expect(res.status).to.equal(200);
    const seen = last(upstream);
    expect(seen.headers['x-shout']).to.equal('QUIET!');
    expect(seen.headers['x-same-module']).to.equal('true');
    expect(seen.headers['x-util-runs']).to.equal('1');
    expect(seen.headers['x-nested']).to.equal('lib.helpers');
  });

  it('TykTriggerEvent sends a table as JSON and a string as it is', async () => {
    expect((await get('/lua-event/fired')).status).to.equal(200);
    const wait = async (url: string) => JSON.parse((await receiver.waitFor((r) => r.url === url)).text) as { event: string; message: string };
    const table = await wait('/lua-event');
    expect(table.event).to.equal('LuaEvent');
    expect(JSON.parse(table.message)).to.deep.equal({ from: 'lua', url: '/lua-event/fired' });
    const text = await wait('/lua-text');
    expect(text.message).to.equal('plain payload');
    // The cp_dynamic_handler ran in the API's Lua state and fired an event of its own.
    const handled = await wait('/lua-handled');
    expect(handled.message).to.equal('LuaText:lua-event:plain payload');
  });

  it('auth_check: success needs a session and metadata.token; the ID extractor cache skips the plugin', async () => {
    const first = await get('/lua-auth/x', { headers: { authorization: 'lua-secret' } });
    expect(first.status).to.equal(200);
    const seen = last(upstream);
    expect(seen.headers['x-user']).to.equal('lua-user');
    const calls = seen.headers['x-auth-calls'];
    const second = await get('/lua-auth/x', { headers: { authorization: 'lua-secret' } });
    expect(second.status).to.equal(200);
    // Served from the cache: the plugin was not entered again.
    expect(last(upstream).headers['x-auth-calls']).to.equal(calls);
    const denied = await get('/lua-auth/x', { headers: { authorization: 'wrong' } });
    expect(denied.status).to.equal(403);
    expect(await tykError(denied)).to.equal('Forbidden');
    const missing = await get('/lua-auth/x');
    expect(missing.status).to.equal(400);
    expect(await tykError(missing)).to.equal('Authorization field missing');
  });

  it('reports the API as served by the lua driver', async () => {
    const runtime: unknown = await (await gateway().admin('/tyk/apis/lua-pre/runtime')).json();
    expect(JSON.stringify(runtime)).to.include('"driver":"lua"');
  });
});
