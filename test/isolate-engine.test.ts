// The isolate engine end to end: real isolates, real runtime bundle (dist/sandbox/runtime.js),
// Objects built the way the gateway builds them (plain proto-named objects through the codec).
import { expect } from 'chai';
import { DispatchError, HookType, type CoprocessObject } from '../src/coprocess/dispatcher';
import { IsolateDispatcher, MiddlewareSourceError, type IsolateSource } from '../src/coprocess/drivers/isolate';
import { present } from './helpers/coprocess';
import { rejectionOf } from './helpers/errors';
import { SPEC, dispatcherFactory, requestObject } from './helpers/isolate';
import { captureLogger } from './helpers/log';
import { runToEnd } from './helpers/processes';
import { sleep } from './helpers/poll';

const { dispatcher, disposeAll } = dispatcherFactory();

describe('isolate engine', function () {
  this.timeout(20000);

  after(disposeAll);

  describe('request hooks', () => {
    it('round-trips header, param, url, method and body edits', async () => {
      const d = dispatcher(`
        function Edit(request, session, metadata, spec) {
          request.set_headers['X-Api'] = spec.APIID;
          request.set_headers['X-Count'] = 42;               // numbers become strings
          request.delete_headers = 'X-Remove';               // a single name becomes a list
          request.add_params.b = '2';
          request.delete_params.push('a');
          request.url = '/api1/other';
          request.method = 'PUT';
          request.raw_body = JSON.stringify({ seen: request.headers['Content-Type'], body: request.body }); // string -> UTF-8 bytes
          request.return_overrides.headers = { 'X-Override': 'yes' };
        }`);
      const out = present(await d.dispatch(requestObject('Edit')));
      expect(out.hook_name).to.equal('Edit');
      expect(out.request.set_headers).to.deep.equal({ 'X-Api': 'api1', 'X-Count': '42' });
      expect(out.request.delete_headers).to.deep.equal(['X-Remove']);
      expect(out.request.add_params).to.deep.equal({ b: '2' });
      expect(out.request.delete_params).to.deep.equal(['a']);
      expect(out.request.url).to.equal('/api1/other');
      expect(out.request.method).to.equal('PUT');
      expect(out.request.headers).to.deep.equal({ Host: 'example.com', 'Content-Type': 'application/json' });
      expect(JSON.parse(Buffer.from(out.request.raw_body).toString())).to.deep.equal({ seen: 'application/json', body: '{"x":1}' });
      expect(out.request.return_overrides.response_code).to.equal(-1);
      expect(out.request.return_overrides.headers).to.deep.equal({ 'X-Override': 'yes' });
      expect(out.spec).to.deep.equal(SPEC);
      expect(out.session).to.equal(null); // pre hook, session untouched: still absent on the wire
    });

    it('accepts a returned { request, session, metadata }', async () => {
      const d = dispatcher(`
        function Replace(request, session, metadata) {
          return { request: { ...request, set_headers: { 'X-New': 'yes' } }, metadata: { token: 'abc' }, session: { rate: 10, per: 60 } };
        }`);
      const out = present(await d.dispatch(requestObject('Replace')));
      expect(out.request.set_headers).to.deep.equal({ 'X-New': 'yes' });
      expect(out.request.url).to.equal('/api1/things?a=1');
      expect(out.metadata).to.deep.equal({ token: 'abc' });
      expect(out.session.rate).to.equal(10);
      expect(out.session.per).to.equal(60);
    });

    it('sends back an auth_check session filled in place, int64 fields as numbers', async () => {
      const d = dispatcher(`
        function Auth(request, session, metadata) {
          if (request.headers.Authorization !== 'let-me-in') {
            request.return_overrides.response_code = 403;
            request.return_overrides.response_error = 'nope';
            return;
          }
          metadata.token = 'user-1';
          session.rate = 100; session.per = 1;
          session.expires = Math.floor(Date.now() / 1000) + 3600;
          session.id_extractor_deadline = 1700000000;
          session.metadata.plan = 'gold';
        }`);
      const ok = present(await d.dispatch(requestObject('Auth', { headers: { Authorization: 'let-me-in' } }, { hook_type: HookType.CustomKeyCheck })));
      expect(ok.metadata).to.deep.equal({ token: 'user-1' });
      expect(ok.session.rate).to.equal(100);
      expect(ok.session.id_extractor_deadline).to.equal(1700000000);
      expect(ok.session.expires).to.be.a('number').above(1700000000);
      expect(ok.session.metadata).to.deep.equal({ plan: 'gold' });
      const denied = present(await d.dispatch(requestObject('Auth', { headers: {} }, { hook_type: HookType.CustomKeyCheck })));
      expect(denied.request.return_overrides.response_code).to.equal(403);
      expect(denied.request.return_overrides.response_error).to.equal('nope');
    });

    it('passes a non-UTF-8 raw_body through byte for byte', async () => {
      const binary = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98, 0x80, 0x80]);
      const d = dispatcher(`
        function Echo(request) { request.set_headers['X-Len'] = String(request.raw_body.length); }
        function Reverse(request) { request.raw_body = request.raw_body.slice().reverse(); }`);
      const echoed = present(await d.dispatch(requestObject('Echo', { raw_body: binary, body: '' })));
      expect(Buffer.from(echoed.request.raw_body).equals(binary)).to.equal(true);
      expect(echoed.request.set_headers['X-Len']).to.equal(String(binary.length));
      const reversed = present(await d.dispatch(requestObject('Reverse', { raw_body: binary, body: '' })));
      expect(Buffer.from(reversed.request.raw_body).equals(Buffer.from(binary).reverse())).to.equal(true);
    });

    it('carries a 5 MB body, decoding the text only when the hook reads it', async () => {
      const text = 'é'.repeat(10) + 'x'.repeat(5 * 1024 * 1024 - 20);
      const d = dispatcher(`
        function Length(request) { request.set_headers['X-Chars'] = String(request.body.length); }
        function Untouched(request) { request.set_headers['X-Bytes'] = String(request.raw_body.length); }`, { memoryLimitMb: 128, hookTimeoutMs: 5000 });
      const read = present(await d.dispatch(requestObject('Length', { raw_body: Buffer.from(text), body: text })));
      expect(read.request.set_headers['X-Chars']).to.equal(String(text.length));
      expect(Buffer.from(read.request.raw_body).equals(Buffer.from(text))).to.equal(true);
      const untouched = present(await d.dispatch(requestObject('Untouched', { raw_body: Buffer.from(text), body: text })));
      expect(untouched.request.set_headers['X-Bytes']).to.equal(String(Buffer.byteLength(text)));
      expect(untouched.request.raw_body.length).to.equal(Buffer.byteLength(text));
      // body is input-only (Tyk applies raw_body): an unread body is not sent back.
      expect(untouched.request.body).to.equal('');
    });

    it('awaits async hooks', async () => {
      const d = dispatcher(`
        async function Later(request) {
          await null;
          await new Promise((resolve) => resolve());
          request.set_headers['X-Async'] = 'done';
        }
        function Thenable(request) {
          return Promise.resolve().then(() => ({ request: { ...request, set_headers: { 'X-Then': '1' } } }));
        }`);
      expect(present(await d.dispatch(requestObject('Later'))).request.set_headers).to.deep.equal({ 'X-Async': 'done' });
      expect(present(await d.dispatch(requestObject('Thenable'))).request.set_headers).to.deep.equal({ 'X-Then': '1' });
    });

    it('keeps globals between calls, including top-level let/const hooks', async () => {
      const d = dispatcher(`
        let count = 0;
        const Count = (request) => { request.set_headers['X-Count'] = String(++count); };`);
      for (let i = 1; i <= 3; i++) expect(present(await d.dispatch(requestObject('Count'))).request.set_headers['X-Count']).to.equal(String(i));
    });

    it('finds hooks exported by ES-module middleware, with imports between the API files', async () => {
      const d = dispatcher([
        { filename: 'lib/helpers.mjs', code: `export const tag = (name) => 'mod:' + name;` },
        { filename: 'hooks.js', code: `import { tag } from './lib/helpers.mjs';\nexport function ModHook(request) { request.set_headers['X-Mod'] = tag('ok'); }` },
      ]);
      expect(present(await d.dispatch(requestObject('ModHook'))).request.set_headers).to.deep.equal({ 'X-Mod': 'mod:ok' });
    });

    it('gives hooks the spec as a plain object and the documented globals only', async () => {
      const d = dispatcher(`
        function Inspect(request, session, metadata, spec) {
          request.set_headers['X-Spec'] = JSON.stringify(spec);
          request.set_headers['X-Types'] = [typeof require, typeof process, typeof Buffer, typeof __isogateEntries,
            typeof __isogateHostLog, typeof __isogateHostEmit, typeof __isogateBootConfig].join(',');
          request.set_headers['X-Globals'] = [typeof log, typeof console.warn, typeof b64enc, typeof b64dec, typeof TykTriggerEvent].join(',');
          request.set_headers['X-B64'] = [b64enc('héllo'), b64dec('aMOpbGxv'), b64dec('aMOpbA=='), b64dec('aMOpbA'), String(b64dec('***')),
            b64enc(new Uint8Array([0, 255])), rawb64enc('a')].join('|');
        }`);
      const headers = present(await d.dispatch(requestObject('Inspect'))).request.set_headers;
      expect(JSON.parse(headers['X-Spec'])).to.deep.equal(SPEC);
      expect(headers['X-Types']).to.equal('undefined,undefined,undefined,undefined,undefined,undefined,undefined');
      expect(headers['X-Globals']).to.equal('function,function,function,function,function');
      expect(headers['X-B64']).to.equal('aMOpbGxv|héllo|hél|hél|undefined|AP8=|YQ');
    });

    it('decodes UTF-8 exactly like the WHATWG TextDecoder, invalid sequences included', async () => {
      const d = dispatcher(`
        function Decode(request) {
          request.return_overrides.response_body = new TextDecoder().decode(request.raw_body);
          let fatal = 'ok';
          try { new TextDecoder('utf-8', { fatal: true }).decode(request.raw_body); } catch (e) { fatal = e.name; }
          request.return_overrides.response_error = fatal;
        }`);
      let seed = 7;
      const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
      const pieces = [[0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x41], [0xef, 0xbb, 0xbf]];
      for (let round = 0; round < 40; round++) {
        const bytes = [];
        for (let i = 0; i < 30; i++) bytes.push(...(random() < 0.5 ? pieces[Math.floor(random() * pieces.length)] : [Math.floor(random() * 256)]));
        const raw = Buffer.from(bytes);
        const out = present(await d.dispatch(requestObject('Decode', { raw_body: raw, body: '' })));
        expect(out.request.return_overrides.response_body).to.equal(new TextDecoder().decode(raw), `bytes ${raw.toString('hex')}`);
        let fatal = 'ok';
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(raw);
        } catch (e) {
          fatal = (e as Error).name;
        }
        expect(out.request.return_overrides.response_error).to.equal(fatal);
      }
    });

    it('repairs lone surrogates and refuses results that cannot be encoded', async () => {
      const d = dispatcher(`
        function Surrogate(request) { request.set_headers['X-S'] = 'a\\ud800b'; }
        function Garbage() { return 42; }
        function BadMap(request) { request.set_headers = 'nope'; }`);
      expect(present(await d.dispatch(requestObject('Surrogate'))).request.set_headers['X-S']).to.equal('a\ufffdb');
      const garbage = await rejectionOf(d.dispatch(requestObject('Garbage')));
      expect(garbage).to.be.instanceOf(DispatchError);
      expect(garbage.reason).to.equal('bad_result');
      const badMap = await rejectionOf(d.dispatch(requestObject('BadMap')));
      expect(badMap.reason).to.equal('bad_result');
      expect(badMap.message).to.include('request.set_headers');
    });
  });

  describe('response hooks', () => {
    const responseObject = (name: string, response: NonNullable<CoprocessObject['response']> = {}) =>
      requestObject(name, {}, {
        hook_type: HookType.Response,
        session: {},
        response: { status_code: 200, headers: { 'Content-Type': 'text/plain' }, raw_body: Buffer.from('upstream'), body: 'upstream', ...response },
      });

    it('applies in-place changes, a returned response and a returned { response }', async () => {
      const d = dispatcher(`
        function InPlace(request, response, session, metadata, spec) {
          response.status_code = 201;
          response.headers['X-Seen'] = request.method + ' ' + spec.APIID;
          response.raw_body = response.body.toUpperCase();
        }
        function Returned(request, response) { return { status_code: 202, headers: { A: 'b' }, raw_body: 'new' }; }
        async function Wrapped(request, response) { return { response: { ...response, status_code: 203 } }; }`);
      const inPlace = present(await d.dispatch(responseObject('InPlace'))).response;
      expect(inPlace.status_code).to.equal(201);
      expect(inPlace.headers).to.deep.equal({ 'Content-Type': 'text/plain', 'X-Seen': 'POST api1' });
      expect(Buffer.from(inPlace.raw_body).toString()).to.equal('UPSTREAM');
      const returned = present(await d.dispatch(responseObject('Returned'))).response;
      expect(returned.status_code).to.equal(202);
      expect(Buffer.from(returned.raw_body).toString()).to.equal('new');
      const wrapped = present(await d.dispatch(responseObject('Wrapped'))).response;
      expect(wrapped.status_code).to.equal(203);
      expect(Buffer.from(wrapped.raw_body).toString()).to.equal('upstream');
    });
  });

  describe('failures', () => {
    it('turns a throw into DispatchError "exception" and keeps serving', async () => {
      const d = dispatcher(`
        let calls = 0;
        function Flaky(request) { if (++calls === 1) throw new TypeError('boom'); request.set_headers['X-Calls'] = String(calls); }`);
      const err = await rejectionOf(d.dispatch(requestObject('Flaky')));
      expect(err).to.be.instanceOf(DispatchError);
      expect(err.reason).to.equal('exception');
      expect(err.message).to.include('Flaky').and.include('TypeError: boom');
      expect((err.cause as Error).stack).to.include('middleware.js');
      expect(present(await d.dispatch(requestObject('Flaky'))).request.set_headers['X-Calls']).to.equal('2');
      expect(d.stats().isolatesBuilt).to.equal(1);
    });

    it('names a missing hook function', async () => {
      const d = dispatcher(`var NotAFunction = 5;`);
      const missing = await rejectionOf(d.dispatch(requestObject('Nowhere')));
      expect(missing.reason).to.equal('exception');
      expect(missing.message).to.include('"Nowhere" is not defined');
      const notFn = await rejectionOf(d.dispatch(requestObject('NotAFunction')));
      expect(notFn.message).to.include('"NotAFunction" is a number, not a function');
    });

    it('times out an infinite loop, rebuilds the isolate and serves the next call', async () => {
      const d = dispatcher(`
        var state = 'fresh';
        function Spin() { state = 'dirty'; for (;;) {} }
        function State(request) { request.set_headers['X-State'] = state; }`, { hookTimeoutMs: 200 });
      const started = Date.now();
      const err = await rejectionOf(d.dispatch(requestObject('Spin')));
      expect(err.reason).to.equal('timeout');
      expect(Date.now() - started).to.be.within(150, 2000);
      expect(present(await d.dispatch(requestObject('State'))).request.set_headers['X-State']).to.equal('fresh');
      const stats = d.stats();
      expect(stats.isolatesBuilt).to.equal(2);
      expect(stats.replacements).to.equal(1);
      expect(stats.failures.timeout).to.equal(1);
    });

    it('times out a hook awaiting a promise that never settles', async () => {
      const d = dispatcher(`
        async function Hang() { await new Promise(() => {}); }
        function Ok(request) { request.set_headers.ok = 'yes'; }`, { hookTimeoutMs: 200 });
      const started = Date.now();
      const err = await rejectionOf(d.dispatch(requestObject('Hang')));
      expect(err.reason).to.equal('timeout');
      expect(Date.now() - started).to.be.within(150, 2000);
      expect(present(await d.dispatch(requestObject('Ok'))).request.set_headers.ok).to.equal('yes');
    });

    it('reports gradual memory exhaustion as "memory", then serves from a new isolate', async () => {
      const d = dispatcher(`
        var hog = [];
        function Grow() { for (;;) hog.push({ n: hog.length, s: 'item ' + hog.length }); }
        function Size(request) { request.set_headers['X-Hog'] = String(hog.length); }`, { memoryLimitMb: 16, hookTimeoutMs: 10000 });
      const err = await rejectionOf(d.dispatch(requestObject('Grow')));
      expect(err).to.be.instanceOf(DispatchError);
      expect(err.reason).to.equal('memory');
      expect(present(await d.dispatch(requestObject('Size'))).request.set_headers['X-Hog']).to.equal('0');
      expect(d.stats().isolatesBuilt).to.equal(2);
    });

    it('treats an ArrayBuffer over the limit as "memory" and replaces the isolate', async () => {
      const d = dispatcher(`
        var kept = 'old';
        function Big() { kept = 'changed'; return { request: { raw_body: new Uint8Array(256 * 1024 * 1024) } }; }
        function Kept(request) { request.set_headers.kept = kept; }`, { memoryLimitMb: 16 });
      const err = await rejectionOf(d.dispatch(requestObject('Big')));
      expect(err.reason).to.equal('memory');
      expect(present(await d.dispatch(requestObject('Kept'))).request.set_headers.kept).to.equal('old');
    });

    it('fails fast while an isolate cannot start, and recovers after the back-off', async () => {
      const d = dispatcher(`throw new Error('cannot boot');`, { rebuildBackoffMs: 300 });
      const first = await rejectionOf(d.dispatch(requestObject('H')));
      expect(first.reason).to.equal('unavailable');
      expect(first.message).to.include('cannot boot').and.include('middleware.js:1');
      const started = Date.now();
      const second = await rejectionOf(d.dispatch(requestObject('H')));
      expect(second).to.equal(first);
      expect(Date.now() - started).to.be.below(50);
      await sleep(350);
      expect(await rejectionOf(d.dispatch(requestObject('H')))).to.not.equal(first);
      expect(d.stats().isolatesBuilt).to.equal(2);
    });

    it('drops a waiting call whose request was aborted, without running it', async () => {
      const d = dispatcher(`
        var ran = [];
        async function Slow(request) { ran.push(request.headers['X-Id']); await null; }
        function Ran(request) { request.set_headers.ran = ran.join(','); }`);
      await d.warm();
      const controller = new AbortController();
      const first = d.dispatch(requestObject('Slow', { headers: { 'X-Id': '1' } }));
      const second = rejectionOf(d.dispatch(requestObject('Slow', { headers: { 'X-Id': '2' } }), { signal: controller.signal }));
      controller.abort();
      await first;
      const err = await second;
      expect(err.reason).to.equal('unavailable');
      expect(present(await d.dispatch(requestObject('Ran'))).request.set_headers.ran).to.equal('1');
    });

    it('aborts the process on a fatal V8 out-of-memory, after logging it (the supervisor restarts it)', async () => {
      // One huge allocation is fatal for V8 itself; isolated-vm cannot contain it.
      const script = `
        const { IsolateDispatcher } = require(${JSON.stringify(require.resolve('../src/coprocess/drivers/isolate'))});
        const d = new IsolateDispatcher({ apiId: 'doomed', sources: [{ filename: 'mw.js', code: 'function Huge() { return Array(1e9).fill(0).length; }' }], memoryLimitMb: 16, hookTimeoutMs: 20000 });
        d.dispatch({ hook_type: 1, hook_name: 'Huge', request: {} }).then(() => console.log('survived'), () => console.log('survived'));`;
      const { code, signal, stdout } = await runToEnd('sh', ['-c', 'ulimit -c 0; exec "$0" --no-node-snapshot -e "$1"', process.execPath, script]);
      expect(signal === 'SIGABRT' || code === 134, `exit ${code} ${signal}`).to.equal(true);
      expect(stdout).to.include('catastrophic').and.not.include('survived');
    });

    it('keeps other APIs fast while one spins until its timeout', async () => {
      const spinner = dispatcher(`function Spin() { for (;;) {} }`, { apiId: 'spinner', hookTimeoutMs: 2000 });
      const quick = dispatcher(`function Quick(request) { request.set_headers.q = '1'; }`, { apiId: 'quick' });
      await Promise.all([spinner.warm(), quick.warm()]);
      const started = Date.now();
      const spinning = rejectionOf(spinner.dispatch(requestObject('Spin')));
      const latencies = [];
      for (let i = 0; i < 20; i++) {
        const t = Date.now();
        await quick.dispatch(requestObject('Quick'));
        latencies.push(Date.now() - t);
      }
      const quickDone = Date.now() - started;
      const err = await spinning;
      const spinnerDone = Date.now() - started;
      expect(err.reason).to.equal('timeout');
      expect(spinnerDone).to.be.at.least(1900);
      expect(quickDone, `20 calls on another API took ${quickDone} ms`).to.be.below(1000);
      expect(Math.max(...latencies)).to.be.below(500);
    });

    it('refuses calls after dispose, letting queued ones finish first', async () => {
      const d = dispatcher(`async function Slow(request) { await null; request.set_headers.done = '1'; }`);
      const queued = [d.dispatch(requestObject('Slow')), d.dispatch(requestObject('Slow'))];
      const disposed = d.dispose();
      const results = (await Promise.all(queued)).map(present);
      await disposed;
      expect(results.map((r) => r.request.set_headers.done)).to.deep.equal(['1', '1']);
      const err = await rejectionOf(d.dispatch(requestObject('Slow')));
      expect(err.reason).to.equal('unavailable');
      expect(d.stats().alive).to.equal(false);
    });
  });

  describe('concurrency and lifecycle', () => {
    it('runs 200 concurrent dispatches on one API one at a time, in order', async () => {
      const d = dispatcher(`
        let seq = 0; let running = 0; let overlap = false;
        async function Seq(request) {
          if (++running > 1) overlap = true;
          await null;
          request.set_headers['X-Seq'] = String(++seq);
          request.set_headers['X-Id'] = request.headers['X-Id'];
          request.set_headers['X-Overlap'] = String(overlap);
          running--;
        }`);
      const results = (await Promise.all(Array.from({ length: 200 }, (_, i) => d.dispatch(requestObject('Seq', { headers: { 'X-Id': String(i) } }))))).map(present);
      results.forEach((r, i) => {
        expect(r.request.set_headers['X-Seq']).to.equal(String(i + 1));
        expect(r.request.set_headers['X-Id']).to.equal(String(i));
        expect(r.request.set_headers['X-Overlap']).to.equal('false');
      });
      expect(d.stats().calls).to.equal(200);
    });

    it('builds the isolate lazily and on warm()', async () => {
      const d = dispatcher(`function H() {}`);
      expect(d.stats().alive).to.equal(false);
      expect(d.stats().isolatesBuilt).to.equal(0);
      await d.warm();
      const stats = d.stats();
      expect(stats.alive).to.equal(true);
      expect(stats.heap!.usedHeapBytes).to.be.above(0);
      expect(stats.memoryLimitMb).to.equal(32);
    });

    it('reload() swaps in new sources; a broken reload keeps the old isolate', async () => {
      const d = dispatcher(`var n = 0; function V(request) { request.set_headers.v = 'one:' + (++n); }`, { hookNames: ['V'] });
      expect(present(await d.dispatch(requestObject('V'))).request.set_headers.v).to.equal('one:1');
      await d.reload({ sources: [{ filename: 'middleware.js', code: `function V(request) { request.set_headers.v = 'two'; }` }] });
      expect(present(await d.dispatch(requestObject('V'))).request.set_headers.v).to.equal('two');
      const err = await rejectionOf(d.reload({ sources: [{ filename: 'broken.js', code: `function V( {` }] }));
      expect(err).to.be.instanceOf(MiddlewareSourceError);
      const missing = await rejectionOf(d.reload({ sources: [{ filename: 'other.js', code: `function W() {}` }] }));
      expect(missing.message).to.include('"V"');
      expect(present(await d.dispatch(requestObject('V'))).request.set_headers.v).to.equal('two');
    });
  });

  describe('host bindings', () => {
    it('delivers TykTriggerEvent to onEvent, stringifying non-string payloads', async () => {
      const events: [string, string][] = [];
      const d = dispatcher(`
        function Fire() { TykTriggerEvent('CustomEvent', { user: 'u1', n: 2 }); TykTriggerEvent('Plain', 'text'); TykTriggerEvent('Empty'); }`, {
        onEvent: (name, payload) => events.push([name, payload]),
      });
      await d.dispatch(requestObject('Fire'));
      await new Promise((resolve) => setImmediate(resolve));
      expect(events).to.deep.equal([
        ['CustomEvent', '{"user":"u1","n":2}'],
        ['Plain', 'text'],
        ['Empty', ''],
      ]);
    });

    it('sends log() and console.* to the logger with their levels', async () => {
      const { logger, lines } = captureLogger();
      const d = dispatcher(`
        function Chatty() { log('via log'); console.log('log', 1, { a: 1 }); console.warn('careful'); console.error(new Error('bad')); console.debug('details'); }`, { logger });
      await d.dispatch(requestObject('Chatty'));
      await new Promise((resolve) => setImmediate(resolve));
      const got = lines.filter((l) => l.source === 'middleware').map((l) => [l.level, l.msg.split('\n')[0]]);
      expect(got).to.deep.equal([
        [30, 'via log'],
        [30, 'log 1 {"a":1}'],
        [40, 'careful'],
        [50, 'Error: bad'],
        [20, 'details'],
      ]);
    });

    it('dispatchEvent calls the named handler with (event, spec)', async () => {
      const events: [string, unknown][] = [];
      const d = dispatcher(`
        function OnAuthFailure(event, spec) { TykTriggerEvent('Handled', { type: event.Type, key: event.Meta.Key, api: spec.APIID }); }
        async function Broken() { throw new Error('handler failed'); }`, { onEvent: (name, payload) => events.push([name, JSON.parse(payload)]) });
      const payload = (handler: string) =>
        JSON.stringify({ message: { Type: 'AuthFailure', Meta: { Message: 'Auth Failure', Key: 'k1' }, TimeStamp: '2024-05-01 10:00:00 +0000 UTC' }, handler_name: handler, spec: { APIID: 'api1', OrgID: 'org1' } });
      await d.dispatchEvent(payload('OnAuthFailure'));
      await new Promise((resolve) => setImmediate(resolve));
      expect(events).to.deep.equal([['Handled', { type: 'AuthFailure', key: 'k1', api: 'api1' }]]);
      const err = await rejectionOf(d.dispatchEvent(payload('Broken')));
      expect(err.reason).to.equal('exception');
      expect(err.message).to.include('handler failed');
      expect(d.stats().events).to.equal(2);
    });
  });

  describe('validation', () => {
    const validate = (sources: IsolateSource[], hookNames: string[] = []) => IsolateDispatcher.validate({ apiId: 'v', sources, hookNames, hookTimeoutMs: 200, startupTimeoutMs: 300, memoryLimitMb: 16 });

    it('accepts good sources whose hooks all exist', async () => {
      await validate([{ filename: 'a.js', code: `function Pre() {}\nconst Post = async () => {};` }], ['Pre', 'Post']);
    });

    it('names file, line and column of a syntax error', async () => {
      const err = await rejectionOf(validate([{ filename: 'ok.js', code: 'function A() {}' }, { filename: 'mw/bad.js', code: 'var a = 1;\nfunction f() {\n  return );\n}' }], ['A']));
      expect(err).to.be.instanceOf(MiddlewareSourceError);
      expect(err.file).to.equal('mw/bad.js');
      expect(err.line).to.equal(3);
      expect(err.column).to.equal(10);
      expect(err.message).to.match(/^mw\/bad\.js:3:10: .*SyntaxError/);
    });

    it('names the position of an error thrown by top-level code, and a top-level loop', async () => {
      const thrown = await rejectionOf(validate([{ filename: 'boot.js', code: '\n\n  undefinedThing.call();' }]));
      expect(thrown.file).to.equal('boot.js');
      expect(thrown.line).to.equal(3);
      expect(thrown.message).to.include('ReferenceError');
      const looping = await rejectionOf(validate([{ filename: 'loop.js', code: 'while (true) {}' }]));
      expect(looping.file).to.equal('loop.js');
      expect(looping.message).to.include('timed out');
    });

    it('names missing and non-function hooks', async () => {
      const err = await rejectionOf(validate([{ filename: 'a.js', code: 'var NotFn = {};' }], ['Missing', 'NotFn']));
      expect(err).to.be.instanceOf(MiddlewareSourceError);
      expect(err.message).to.include('"Missing" is not defined').and.include('"NotFn" is an object, not a function').and.include('a.js');
    });

    it('rejects imports of files the API does not have', async () => {
      const err = await rejectionOf(validate([{ filename: 'm.mjs', code: `import x from './elsewhere.mjs';\nexport function H() {}` }], ['H']));
      expect(err.message).to.include('elsewhere.mjs');
    });
  });
});
