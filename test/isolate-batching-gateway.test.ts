// Batched isolate dispatch through a real gateway (issue 15): requests for one API that arrive
// while its isolate is busy go in with one entry. Each scenario queues requests in a known order
// (waiting on the API's runtime stats between sends), then checks what every client and the
// upstream saw.
import { expect } from 'chai';
import type { IsolateStats } from '../src/coprocess/drivers/isolate';
import { keylessApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { readJson, startRecordingServer, type RecordingServer } from './helpers/http';
import { until as poll } from './helpers/poll';

/** What a client saw: status 0 when the request failed on the client side (aborted). */
interface Outcome {
  id: string;
  status: number;
  body: string;
}

// One pre hook, steered by headers. X-Seq numbers the calls this isolate ran: it restarts at 1
// in a rebuilt isolate, so it shows both the order and which isolate served a request.
const PLUGIN = `
var seq = 0;
function route(request) {
  const mode = request.headers['X-Mode'] || 'plain';
  if (mode === 'block') {
    const until = Date.now() + Number(request.headers['X-Ms']);
    while (Date.now() < until) {}
  }
  if (mode === 'spin') for (;;) {}
  if (mode === 'throw') throw new Error('hook failed on purpose');
  request.set_headers['X-Seq'] = String(++seq);
}
`;

// Long enough for the test to queue its requests one by one while the isolate is busy, even on
// a loaded machine.
const HOOK_TIMEOUT_MS = 6000;
const BLOCK_MS = '4000';

describe('batched isolate dispatch through the gateway', function () {
  this.timeout(60000);
  let upstream: RecordingServer;
  let gw: RunningGateway;

  before(async () => {
    // The requests of a batch wait seconds behind a spinner; keep idle upstream sockets open
    // that long, so the gateway's keep-alive reuse is not what this measures.
    upstream = await startRecordingServer(undefined, { keepAliveTimeoutMs: 60000 });
    const dir = makeWorkspace();
    writeMiddleware(dir, 'batch.js', PLUGIN);
    for (const id of ['spin', 'abort', 'fail']) {
      writeApi(dir, keylessApi(id, `/${id}/`, upstream.url, { custom_middleware: { driver: 'isolate', pre: [{ name: 'route', path: 'batch.js' }], limits: { hook_timeout_ms: HOOK_TIMEOUT_MS } } }));
    }
    gw = await startGateway({ dir });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  const runtime = async (api: string): Promise<IsolateStats> =>
    (await readJson<{ dispatcher: IsolateStats }>(await gw.admin(`/tyk/apis/${api}/runtime`))).dispatcher;

  /** Poll the API's dispatcher stats until `ok(stats)`. */
  async function until(api: string, ok: (stats: IsolateStats) => boolean, what: string): Promise<IsolateStats> {
    let last: IsolateStats | undefined;
    return poll(async () => {
      last = await runtime(api);
      return ok(last) && last;
    }, { timeoutMs: 10000, stepMs: 5, what: `${api}: ${what}` }).catch(() => {
      throw new Error(`${api}: timed out waiting for ${what}: ${JSON.stringify(last)}`);
    });
  }

  /** A request whose outcome resolves later; `signal` aborts it from the client side. */
  function send(api: string, id: string, mode = 'plain', headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Outcome> {
    return fetch(`${gw.url}/${api}/${id}`, { headers: { 'X-Id': id, 'X-Mode': mode, ...headers }, signal }).then(
      async (res) => ({ id, status: res.status, body: await res.text() }),
      (err: unknown) => ({ id, status: 0, body: String(err) }),
    );
  }

  /** Send requests one by one, each only once the previous one is queued. */
  async function queueInOrder(api: string, specs: [id: string, mode: string][], alreadyQueued = 0): Promise<Promise<Outcome>[]> {
    const pending: Promise<Outcome>[] = [];
    for (const [i, [id, mode]] of specs.entries()) {
      pending.push(send(api, id, mode));
      await until(api, (s) => s.queued === alreadyQueued + i + 1, `${id} to be queued`);
    }
    return pending;
  }

  /** What the upstream received from requests whose X-Id starts with `prefix`: X-Id → X-Seq. */
  function seenUpstream(prefix: string): Record<string, string | undefined> {
    const seen: Record<string, string | undefined> = {};
    for (const r of upstream.requests) {
      const id = r.headers['x-id'];
      const seq = r.headers['x-seq'];
      if (typeof id === 'string' && id.startsWith(prefix)) seen[id] = typeof seq === 'string' ? seq : undefined;
    }
    return seen;
  }

  const ids = (prefix: string, from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);

  it('a spinning request among 20 healthy ones fails alone; the rest, and everything queued after, succeed', async () => {
    const api = 'spin';
    const blocker = send(api, 'spin-s0', 'block', { 'X-Ms': BLOCK_MS });
    await until(api, (s) => s.inFlight === 1, 'the blocker to enter the isolate');
    // The batch: h1..h10, the spinner, h11..h20 (in that order), all waiting behind the blocker.
    const batchSpecs: [string, string][] = [...ids('spin-h', 1, 10).map((id): [string, string] => [id, 'plain']), ['spin-x', 'spin'], ...ids('spin-h', 11, 20).map((id): [string, string] => [id, 'plain'])];
    const batch = await queueInOrder(api, batchSpecs);
    // The spinner is running once one entry has held at least the 11 calls from it on for
    // 300 ms: an entry of trivial calls ends within milliseconds. (A slow machine may run the
    // first few calls in an entry of their own, when they miss the 10 ms start window; that
    // changes nothing below.)
    let since = { batches: -1, at: 0 };
    await until(api, (s) => {
      if (s.queued !== 0 || s.inFlight < 11) return false;
      if (s.batches !== since.batches) since = { batches: s.batches, at: Date.now() };
      return Date.now() - since.at >= 300;
    }, 'the spinner to enter the isolate');
    // While it spins: 20 more, queued behind its batch.
    const later = ids('spin-l', 1, 20).map((id) => send(api, id));
    await until(api, (s) => s.queued === 20, 'the later 20 to be queued');
    const outcomes = Object.fromEntries((await Promise.all([blocker, ...batch, ...later])).map((o) => [o.id, o]));

    expect(outcomes['spin-x'].status).to.equal(500);
    expect(JSON.parse(outcomes['spin-x'].body)).to.deep.equal({ error: 'Middleware error' });
    const failed = Object.values(outcomes).filter((o) => o.status !== 200).map((o) => o.id);
    expect(failed, `only the spinner fails: ${JSON.stringify(Object.values(outcomes).filter((o) => o.status !== 200))}`).to.deep.equal(['spin-x']);

    // What the upstream received, and from which isolate: the blocker and h1..h10 ran in the
    // first one (1..11); h11..h20 never started there and ran first in the rebuilt one (1..10),
    // followed by everything queued later (11..30, in the order they happened to arrive).
    const seen = seenUpstream('spin-');
    const expected: Record<string, string> = { 'spin-s0': '1' };
    ids('spin-h', 1, 10).forEach((id, i) => (expected[id] = String(i + 2)));
    ids('spin-h', 11, 20).forEach((id, i) => (expected[id] = String(i + 1)));
    const laterSeqs = ids('spin-l', 1, 20).map((id) => Number(seen[id]));
    for (const id of ids('spin-l', 1, 20)) delete seen[id];
    expect(seen).to.deep.equal(expected);
    expect(laterSeqs.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 11));

    const stats = await runtime(api);
    expect(stats.failures.timeout).to.equal(1);
    expect(stats.replacements).to.equal(1);
    expect(stats.isolatesBuilt).to.equal(2);
  });

  it('a client that gives up on a queued request removes it: its hook never runs, the others are served', async () => {
    const api = 'abort';
    const blocker = send(api, 'abort-s0', 'block', { 'X-Ms': '1500' });
    await until(api, (s) => s.inFlight === 1, 'the blocker to enter the isolate');
    const first = send(api, 'abort-q1');
    await until(api, (s) => s.queued === 1, 'q1 to be queued');
    const controller = new AbortController();
    const abandoned = send(api, 'abort-q2', 'plain', {}, controller.signal);
    await until(api, (s) => s.queued === 2, 'q2 to be queued');
    const third = send(api, 'abort-q3');
    await until(api, (s) => s.queued === 3, 'q3 to be queued');
    controller.abort();
    const [b, q1, q2, q3] = await Promise.all([blocker, first, abandoned, third]);
    expect([b.status, q1.status, q3.status]).to.deep.equal([200, 200, 200]);
    expect(q2.status).to.equal(0); // the client aborted it
    const seen = seenUpstream('abort-');
    // q2 took no number: its hook never ran.
    expect(seen).to.deep.equal({ 'abort-s0': '1', 'abort-q1': '2', 'abort-q3': '3' });
    const stats = await until(api, (s) => s.queued === 0 && s.inFlight === 0, 'the queue to drain');
    expect(stats.failures.unavailable).to.equal(1);
    expect(stats.isolatesBuilt).to.equal(1);
  });

  it('a hook that throws fails only its own request in a batch', async () => {
    const api = 'fail';
    const blocker = send(api, 'fail-s0', 'block', { 'X-Ms': '1000' });
    await until(api, (s) => s.inFlight === 1, 'the blocker to enter the isolate');
    const batch = await queueInOrder(api, [['fail-a', 'plain'], ['fail-x', 'throw'], ['fail-b', 'plain'], ['fail-y', 'throw'], ['fail-c', 'plain']]);
    const outcomes = await Promise.all([blocker, ...batch]);
    expect(outcomes.map((o) => o.status)).to.deep.equal([200, 200, 500, 200, 500, 200]);
    expect(JSON.parse(outcomes[2].body)).to.deep.equal({ error: 'Middleware error' });
    const seen = seenUpstream('fail-');
    expect(seen).to.deep.equal({ 'fail-s0': '1', 'fail-a': '2', 'fail-b': '3', 'fail-c': '4' });
    const stats = await runtime(api);
    expect(stats.failures.exception).to.equal(2);
    expect(stats.isolatesBuilt).to.equal(1);
    // The blocker, then the five together (in more entries only if a loaded machine made the
    // later ones miss the 10 ms start window).
    expect(stats.batches).to.be.within(2, 4);
  });
});
