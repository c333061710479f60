// Batched isolate dispatch (issue 15), driven in process: real isolates, the real runtime. Calls
// submitted while the isolate is busy wait, then go in together with one entry; these tests pin
// down what that must not change (order, isolation of failures, time budgets) and how async
// hooks that wait on each other settle.
import { expect } from 'chai';
import type { CoprocessObject } from '../src/coprocess/dispatcher';
import { present } from './helpers/coprocess';
import { rejectionOf, type AnyError } from './helpers/errors';
import { dispatcherFactory, requestObject, type Request } from './helpers/isolate';
import { runToEnd } from './helpers/processes';

const { dispatcher, disposeAll } = dispatcherFactory();

/** A request Object carrying X-Id (and any other headers) for the hook to read. */
const call = (hook: string, id: string | number, headers: Record<string, string> = {}, request: Request = {}): CoprocessObject =>
  requestObject(hook, { headers: { 'X-Id': String(id), ...headers }, ...request });
const header = (result: CoprocessObject, name: string): string | undefined => present(result).request.set_headers[name];

/** The value of a fulfilled outcome; the test fails on a rejected one. */
function valueOf<T>(outcome: PromiseSettledResult<T>): T {
  if (outcome.status !== 'fulfilled') throw new Error(`expected a fulfilled call, got ${String(outcome.reason)}`);
  return outcome.value;
}

/** The error of a rejected outcome; the test fails on a fulfilled one. */
function reasonOf<T>(outcome: PromiseSettledResult<T>): AnyError {
  if (outcome.status !== 'rejected') throw new Error('expected a rejected call');
  return outcome.reason as AnyError;
}

// Shared by most tests: `Block` busy-waits (a healthy hook that keeps the isolate busy, so the
// calls submitted meanwhile queue up and form one batch), `Seq` numbers every call it runs.
const COMMON = `
  var seq = 0;
  var ran = [];
  function mark(request) {
    ran.push(request.headers['X-Id']);
    request.set_headers['X-Seq'] = String(++seq);
  }
  function Block(request) {
    const until = Date.now() + Number(request.headers['X-Ms'] || 100);
    while (Date.now() < until) {}
    mark(request);
  }
  function Seq(request) { mark(request); }
  async function AsyncSeq(request) { await null; await Promise.resolve(); mark(request); }
  function Ran(request) { request.set_headers['X-Ran'] = ran.join(','); }
`;

describe('batched isolate dispatch', function () {
  this.timeout(30000);

  after(disposeAll);

  it('runs every call that waited in one entry, in submission order, sync and async alike', async () => {
    const d = dispatcher(`${COMMON} function Reset() { seq = 0; ran = []; }`);
    // Warm the JIT first: cold, 40 calls can take longer than the 10 ms start window.
    await Promise.all(Array.from({ length: 100 }, (_, i) => d.dispatch(call(i % 2 ? 'AsyncSeq' : 'Seq', i))));
    await d.dispatch(call('Reset', 'r'));
    const before = d.stats().batches;
    const blocker = d.dispatch(call('Block', 'b', { 'X-Ms': '150' }));
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => d.dispatch(call(i % 3 === 0 ? 'AsyncSeq' : 'Seq', i))));
    expect(header(await blocker, 'X-Seq')).to.equal('1');
    results.forEach((r, i) => expect(header(r, 'X-Seq'), `call ${i}`).to.equal(String(i + 2)));
    // The blocker went alone; the 40 that waited for it shared one entry, or a few when a
    // loaded machine made later ones miss the 10 ms start window (they follow in the next entry).
    expect(d.stats().batches - before).to.be.within(2, 8);
    const ids = header(await d.dispatch(call('Ran', 'x')), 'X-Ran')!.split(',');
    expect(ids).to.deep.equal(['b', ...Array.from({ length: 40 }, (_, i) => String(i))]);
    expect(d.stats().calls).to.equal(143);
  });

  it('gives hooks that mutate globals every call in order, across many batches', async () => {
    const d = dispatcher(`
      var log = [];
      var running = 0;
      async function Append(request) {
        if (running++ !== 0) throw new Error('two calls overlapped');
        const id = request.headers['X-Id'];
        if (id % 4 === 0) await null;
        log.push(id);
        request.set_headers['X-Log'] = log.slice(-3).join(',');
        running--;
      }`);
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => d.dispatch(call('Append', i))));
    results.forEach((r, i) => {
      const expected = [i - 2, i - 1, i].filter((n) => n >= 0).join(',');
      expect(header(r, 'X-Log'), `call ${i}`).to.equal(expected);
    });
    const { batches, calls } = d.stats();
    expect(calls).to.equal(500);
    expect(batches, 'calls were batched').to.be.below(250);
  });

  it('fails only the call whose hook throws or returns garbage; its batch-mates and the isolate carry on', async () => {
    const d = dispatcher(`${COMMON}
      function Throw(request) { mark(request); throw new Error('hook ' + request.headers['X-Id'] + ' broke'); }
      async function Reject(request) { await null; mark(request); throw new TypeError('async broke'); }
      function Garbage(request) { mark(request); return 42; }`);
    await d.warm();
    const blocker = d.dispatch(call('Block', 'b'));
    const hooks = ['Seq', 'Throw', 'Seq', 'Garbage', 'AsyncSeq', 'Reject', 'Seq'];
    const settled = await Promise.allSettled(hooks.map((h, i) => d.dispatch(call(h, i))));
    await blocker;
    expect(settled.map((s) => s.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(reasonOf(settled[1]).reason).to.equal('exception');
    expect(reasonOf(settled[1]).message).to.include('hook 1 broke');
    expect(reasonOf(settled[3]).reason).to.equal('bad_result');
    expect(reasonOf(settled[5]).message).to.include('TypeError: async broke');
    // Every hook ran once, in order, in the same isolate (the numbering never restarted).
    expect([0, 2, 4, 6].map((i) => header(valueOf(settled[i]), 'X-Seq'))).to.deep.equal(['2', '4', '6', '8']);
    expect(d.stats().isolatesBuilt).to.equal(1);
    expect(d.stats().failures).to.include({ exception: 2, bad_result: 1 });
  });

  it('interrupts a spinning call after its own budget; finished batch-mates succeed, unstarted ones run on a new isolate', async () => {
    const d = dispatcher(`${COMMON} function Spin(request) { mark(request); for (;;) {} }`, { hookTimeoutMs: 300 });
    await d.warm();
    const blocker = d.dispatch(call('Block', 'b', { 'X-Ms': '100' }));
    const before = Array.from({ length: 5 }, (_, i) => d.dispatch(call('Seq', `before${i}`)));
    const started = Date.now();
    const spinner = rejectionOf(d.dispatch(call('Spin', 'spin')));
    const after = Array.from({ length: 5 }, (_, i) => d.dispatch(call('Seq', `after${i}`)));
    await blocker;
    const err = await spinner;
    const spunMs = Date.now() - started - 100;
    expect(err.reason).to.equal('timeout');
    // Its own 300 ms plus at most the 10 ms start window (and the machine's jitter), not 11 × 300.
    expect(spunMs).to.be.within(250, 1500);
    expect((await Promise.all(before)).map((r) => header(r, 'X-Seq'))).to.deep.equal(['2', '3', '4', '5', '6']);
    // Never started in the old isolate: run from scratch in the new one (fresh globals).
    expect((await Promise.all(after)).map((r) => header(r, 'X-Seq'))).to.deep.equal(['1', '2', '3', '4', '5']);
    const stats = d.stats();
    expect(stats.failures.timeout).to.equal(1);
    expect(stats.replacements).to.equal(1);
    expect(stats.isolatesBuilt).to.equal(2);
  });

  it('runs the calls after one that exhausted memory on a new isolate, not in the one being discarded', async () => {
    const d = dispatcher(`${COMMON} function Big(request) { mark(request); return { request: { raw_body: new Uint8Array(256 * 1024 * 1024) } }; }`, { memoryLimitMb: 16 });
    await d.warm();
    const blocker = d.dispatch(call('Block', 'b', { 'X-Ms': '100' }));
    const first = d.dispatch(call('Seq', 'first'));
    const big = rejectionOf(d.dispatch(call('Big', 'big')));
    const later = [d.dispatch(call('Seq', 'l1')), d.dispatch(call('Seq', 'l2'))];
    await blocker;
    expect(header(await first, 'X-Seq')).to.equal('2');
    expect((await big).reason).to.equal('memory');
    expect((await Promise.all(later)).map((r) => header(r, 'X-Seq'))).to.deep.equal(['1', '2']);
    expect(d.stats().isolatesBuilt).to.equal(2);
  });

  describe('async hooks', () => {
    const GATES = `${COMMON}
      var gates = [];
      async function Wait(request) {
        await new Promise((resolve) => gates.push(resolve));
        mark(request);
      }
      function Open(request) {
        const n = gates.length;
        for (const open of gates.splice(0)) open();
        request.set_headers['X-Opened'] = String(n);
        mark(request);
      }`;

    it('park a call awaiting another request, serve the calls after it, and settle it when that request comes', async () => {
      const d = dispatcher(GATES, { hookTimeoutMs: 2000 });
      await d.warm();
      const order: string[] = [];
      const track = (name: string, promise: Promise<CoprocessObject>) => promise.then((r) => (order.push(name), r));
      const w1 = track('w1', d.dispatch(call('Wait', 'w1')));
      const w2 = track('w2', d.dispatch(call('Wait', 'w2')));
      // Two waiting calls do not hold a third: it finishes while they are still parked.
      const t = Date.now();
      const quick = await track('quick', d.dispatch(call('Seq', 'quick')));
      expect(Date.now() - t).to.be.below(500);
      expect(header(quick, 'X-Seq')).to.equal('1');
      expect(d.stats().inFlight).to.equal(2);
      const open = await track('open', d.dispatch(call('Open', 'open')));
      expect(header(open, 'X-Opened')).to.equal('2');
      const [r1, r2] = await Promise.all([w1, w2]);
      // Sent w1, w2, quick, open; settled quick, open, w1, w2.
      expect(order).to.deep.equal(['quick', 'open', 'w1', 'w2']);
      expect([header(open, 'X-Seq'), header(r1, 'X-Seq'), header(r2, 'X-Seq')]).to.deep.equal(['2', '3', '4']);
      expect(d.stats().inFlight).to.equal(0);
      expect(d.stats().failures.timeout).to.equal(0);
    });

    it('within one batch, a parked call lets the calls after it run, and they can release it', async () => {
      const d = dispatcher(GATES, { hookTimeoutMs: 2000 });
      await d.warm();
      const blocker = d.dispatch(call('Block', 'b'));
      const batch = ['AsyncSeq', 'Wait', 'AsyncSeq', 'Open', 'Seq'].map((h, i) => d.dispatch(call(h, i)));
      await blocker;
      const results = await Promise.all(batch);
      // AsyncSeq, then Wait parks; the next three run in order, and Wait, released by Open,
      // resumes once the synchronous Seq after Open is done.
      expect(results.map((r) => header(r, 'X-Seq'))).to.deep.equal(['2', '6', '3', '4', '5']);
      expect(header(results[3], 'X-Opened')).to.equal('1');
    });

    it('times out a parked call that nothing settles, alone: the isolate stays and others are served', async () => {
      const d = dispatcher(GATES, { hookTimeoutMs: 200 });
      await d.warm();
      const started = Date.now();
      const waiting = rejectionOf(d.dispatch(call('Wait', 'w')));
      const served = await Promise.all(Array.from({ length: 5 }, (_, i) => d.dispatch(call('Seq', i))));
      expect(served.map((r) => header(r, 'X-Seq'))).to.deep.equal(['1', '2', '3', '4', '5']);
      const err = await waiting;
      expect(err.reason).to.equal('timeout');
      expect(err.message).to.include('awaited a promise');
      expect(Date.now() - started).to.be.within(150, 2000);
      // Released after its timeout: its late result is dropped, nothing else moves.
      const open = await d.dispatch(call('Open', 'o'));
      expect(header(open, 'X-Opened')).to.equal('1');
      expect(header(await d.dispatch(call('Seq', 'after')), 'X-Seq')).to.equal('8');
      expect(d.stats()).to.include({ isolatesBuilt: 1, replacements: 0, inFlight: 0 });
    });

    it('collects a parked call that a task of V8 settles outside any entry (WebAssembly compilation)', async () => {
      // The smallest valid module: "\0asm", version 1.
      const d = dispatcher(`${COMMON}
        async function Compile(request) {
          await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
          mark(request);
        }`, { hookTimeoutMs: 5000, allowWasm: true }); // Wasm is off unless the API allows it
      await d.warm();
      // isolated-vm sometimes runs V8's task only when something enters the isolate (about 1 in
      // 15 here): the dispatcher then enters for it. 20 in a row show both paths work.
      for (let i = 1; i <= 20; i++) {
        const started = Date.now();
        const compiled = await d.dispatch(call('Compile', `c${i}`));
        expect(header(compiled, 'X-Seq')).to.equal(String(i));
        expect(Date.now() - started).to.be.below(2500); // collected, not found at its 6 s deadline
      }
      expect(d.stats().failures.timeout).to.equal(0);
    });

    it('fails parked calls cleanly when the API is reloaded under them', async () => {
      const d = dispatcher(GATES, { hookTimeoutMs: 5000 });
      await d.warm();
      const waiting = rejectionOf(d.dispatch(call('Wait', 'w')));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await d.reload({ sources: [{ filename: 'middleware.js', code: COMMON }] });
      const err = await waiting;
      expect(err.reason).to.equal('unavailable');
      expect(err.message).to.include('reloaded');
      expect(header(await d.dispatch(call('Seq', 's')), 'X-Seq')).to.equal('1');
    });
  });

  describe('queueing', () => {
    it('drops an aborted waiting call without running it, and serves the calls around it', async () => {
      const d = dispatcher(COMMON);
      await d.warm();
      const blocker = d.dispatch(call('Block', 'b', { 'X-Ms': '150' }));
      const controller = new AbortController();
      const first = d.dispatch(call('Seq', 'q1'));
      const aborted = rejectionOf(d.dispatch(call('Seq', 'q2'), { signal: controller.signal }));
      const third = d.dispatch(call('Seq', 'q3'));
      controller.abort();
      await blocker;
      expect((await aborted).reason).to.equal('unavailable');
      expect([header(await first, 'X-Seq'), header(await third, 'X-Seq')]).to.deep.equal(['2', '3']);
      expect(header(await d.dispatch(call('Ran', 'r')), 'X-Ran')).to.equal('b,q1,q3');
    });

    it('splits a batch at 1 MiB of payload and keeps binary bodies byte for byte', async () => {
      const d = dispatcher(`
        function Echo(request) {
          let sum = 0;
          for (const b of request.raw_body) sum = (sum * 31 + b) >>> 0;
          request.set_headers['X-Sum'] = String(sum);
          request.set_headers['X-Len'] = String(request.raw_body.length);
        }
        function Block() { const until = Date.now() + 100; while (Date.now() < until) {} }`);
      await d.warm();
      const blocker = d.dispatch(call('Block', 'b'));
      // 12 bodies of 300 KB of bytes that look like framing (lengths, NULs, 0xFF), not text.
      const bodies = Array.from({ length: 12 }, (_, i) => {
        const body = Buffer.alloc(300 * 1024);
        for (let j = 0; j < body.length; j++) body[j] = (j * (i + 7) + (j >> 8)) & 0xff;
        return body;
      });
      const before = d.stats().batches;
      const results = await Promise.all(bodies.map((body, i) => d.dispatch(call('Echo', i, {}, { raw_body: body, body: '' }))));
      await blocker;
      results.forEach((r, i) => {
        let sum = 0;
        for (const b of bodies[i]) sum = (sum * 31 + b) >>> 0;
        expect(header(r, 'X-Len')).to.equal(String(300 * 1024));
        expect(header(r, 'X-Sum'), `body ${i}`).to.equal(String(sum));
      });
      // 3 × 300 KB fit under 1 MiB: at least 4 entries for 12 bodies, plus the blocker's.
      expect(d.stats().batches - before).to.be.at.least(5);
    });

    it('refuses calls past the queue limit, serving the rest in order', async () => {
      const d = dispatcher(COMMON, { maxQueueLength: 50 });
      await d.warm();
      const blocker = d.dispatch(call('Block', 'b'));
      const settled = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => d.dispatch(call('Seq', i))));
      await blocker;
      const served = settled.filter((s) => s.status === 'fulfilled');
      expect(served).to.have.length(50);
      expect(settled.slice(0, 50).every((s) => s.status === 'fulfilled')).to.equal(true);
      expect(served.map((s) => header(valueOf(s), 'X-Seq'))).to.deep.equal(Array.from({ length: 50 }, (_, i) => String(i + 2)));
      expect(reasonOf(settled[199]).reason).to.equal('unavailable');
      expect(reasonOf(settled[199]).message).to.include('queue is full');
    });
  });

  describe('hostile middleware', () => {
    it('cannot reach the runtime or change how calls are reported by replacing globals', async () => {
      const d = dispatcher(`${COMMON}
        const hidden = ['__isogateEntries', '__isogateHostWake', '__isogateHostLog', '__isogateHostEmit', '__isogateHostCall'].filter((n) => n in globalThis);
        Date.now = () => 0;
        Float64Array = function () { return [7, 7, 7]; };
        DataView = function () { throw new Error('no views'); };
        function Seen(request) { mark(request); request.set_headers['X-Hidden'] = hidden.join(',') || 'none'; }`);
      await d.warm();
      const blocker = d.dispatch(call('Seq', 'first'));
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => d.dispatch(call('Seen', i))));
      await blocker;
      expect(header(results[0], 'X-Hidden')).to.equal('none');
      expect(results.map((r) => header(r, 'X-Seq'))).to.deep.equal(Array.from({ length: 10 }, (_, i) => String(i + 2)));
    });

    it('survives Atomics.waitAsync, which would abort the whole process inside isolated-vm', async () => {
      // Run in a child: if the guard regressed, the crash would take mocha with it.
      const script = `
        const { IsolateDispatcher } = require(${JSON.stringify(require.resolve('../src/coprocess/drivers/isolate'))});
        const d = new IsolateDispatcher({ apiId: 'w', sources: [{ filename: 'mw.js', code: 'async function W() { await Atomics.waitAsync(new Int32Array(new SharedArrayBuffer(16)), 0, 0, 50).value; }' }] });
        d.dispatch({ hook_type: 1, hook_name: 'W', request: {} }).then(() => console.log('resolved'), (e) => console.log('rejected: ' + e.reason + ': ' + e.message)).then(() => d.dispose()).then(() => console.log('alive'));`;
      const { code, signal, out } = await runToEnd(process.execPath, ['--no-node-snapshot', '-e', script], { timeoutMs: 20000 });
      expect({ code, signal }, out).to.deep.equal({ code: 0, signal: null });
      expect(out).to.include('rejected: exception').and.include('waitAsync').and.include('alive');
    });
  });
});
