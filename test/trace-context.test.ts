import { expect } from 'chai';
import { hookedApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { echoed, startRecordingServer, type RecordingServer } from './helpers/http';
import { rawExchange, parseResponses } from './helpers/raw-http';

// The pre hook shows what it got as metadata.traceparent, in a header the upstream records.
const PLUGIN = `
function trace(request, session, metadata) {
  request.set_headers['X-Hook-Trace'] = (metadata && metadata.traceparent) || 'none';
  return { request };
}
`;

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('W3C trace context through a real gateway', function () {
  let upstream: RecordingServer;
  let gw: RunningGateway;
  let generating: RunningGateway;

  before(async () => {
    upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'trace.js', PLUGIN);
    writeApi(dir, hookedApi('t', upstream.url, { driver: 'isolate', pre: [{ name: 'trace', path: 'trace.js' }] }));
    gw = await startGateway({ dir, supervise: false });
    generating = await startGateway({ dir, supervise: false, config: { trace_context: { generate: true } } });
  });

  after(async () => {
    await gw?.stop();
    await generating?.stop();
    await upstream?.close();
  });

  const send = async (g: RunningGateway, headers: Record<string, string>) => {
    const res = await fetch(`${g.url}/t/x`, { headers });
    expect(res.status).to.equal(200);
    return (await echoed(res)).headers;
  };

  it('forwards a valid traceparent (and its tracestate) upstream and gives it to hooks', async () => {
    const seen = await send(gw, { traceparent: VALID, tracestate: 'vendor=abc' });
    expect(seen.traceparent).to.equal(VALID);
    expect(seen.tracestate).to.equal('vendor=abc');
    expect(seen['x-hook-trace']).to.equal(VALID);
  });

  it('invents none when the request has none', async () => {
    const seen = await send(gw, {});
    expect(seen).to.not.have.property('traceparent');
    expect(seen['x-hook-trace']).to.equal('none');
  });

  it('drops a malformed traceparent and its tracestate: neither upstream nor hooks see it', async () => {
    const bad = [
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01', // uppercase
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01', // zero trace id
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', // zero parent id
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', // version ff
      `${VALID}-extra`, // version 00 has no more fields
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7', // no flags
      '00-../../etc/passwd-00f067aa0ba902b7-01',
      `${VALID}, ${VALID}`, // sent twice
      'x'.repeat(600),
      '%30%30-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    ];
    for (const value of bad) {
      const seen = await send(gw, { traceparent: value, tracestate: 'vendor=abc' });
      expect(seen, value).to.not.have.property('traceparent');
      expect(seen, value).to.not.have.property('tracestate');
      expect(seen['x-hook-trace'], value).to.equal('none');
    }
  });

  it('takes the version-00 part of a later version', async () => {
    const seen = await send(gw, { traceparent: `01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future` });
    expect(seen.traceparent).to.equal(VALID);
  });

  it('CR, LF or NUL in traceparent never reach the upstream as a header', async () => {
    for (const value of [`${VALID}\rX-Injected: 1`, `${VALID}\nX-Injected: 1`, `${VALID}\u0000X-Injected: 1`]) {
      const before = upstream.requests.length;
      const raw = `GET /t/x HTTP/1.1\r\nHost: x\r\ntraceparent: ${value}\r\nConnection: close\r\n\r\n`;
      const { data } = await rawExchange(gw.port, raw);
      const [response] = parseResponses(data).responses;
      expect(response?.status, JSON.stringify(value)).to.equal(400);
      expect(upstream.requests.length).to.equal(before);
    }
    expect(upstream.requests.some((r) => 'x-injected' in r.headers)).to.equal(false);
  });

  it('with trace_context.generate a request without a valid one starts a trace', async () => {
    const fresh = await send(generating, {});
    expect(fresh.traceparent).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(fresh['x-hook-trace']).to.equal(fresh.traceparent);
    const replaced = await send(generating, { traceparent: 'garbage', tracestate: 'vendor=abc' });
    expect(replaced.traceparent).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/).and.not.equal(fresh.traceparent);
    expect(replaced).to.not.have.property('tracestate');
    expect((await send(generating, { traceparent: VALID })).traceparent).to.equal(VALID);
  });
});
