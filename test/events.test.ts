import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import type { CoprocessObject, Dispatcher } from '../src/coprocess/dispatcher';
import {
  EventBus,
  EventConfigError,
  EventNames,
  encodeOriginatingRequest,
  goTimeString,
  keyFailureEvent,
  middlewareErrorEvent,
  parseEventHandlers,
  tokenEvent,
  triggerEvent,
  triggerMeta,
  type EventBusOptions,
  type EventHandlerConfig,
  type EventHandlersSection,
  type EventInput,
} from '../src/events';
import { hang, startRecordingServer, type Responder } from './helpers/http';
import { captureLogger } from './helpers/log';
import { sleep, until } from './helpers/poll';
import { freePort } from './helpers/ports';

/** A webhook receiver on loopback; `respond` may answer, delay or hang (default: a bare 200 "ok"). */
const startReceiver = (respond: Responder = (seen, res) => res.end('ok')) => startRecordingServer(respond, { keepAliveTimeoutMs: 100 });

/** The shared poller at a 5 ms step: deliveries here follow each other closely. */
const waitUntil = (check: () => boolean, timeoutMs = 3000, what = 'condition') => until(check, { timeoutMs, stepMs: 5, what });

/** A URL nothing listens on: the "down" target. */
const deadUrl = async () => `http://127.0.0.1:${await freePort()}`;

const webhook = (targetPath: string, extra: Record<string, unknown> = {}): EventHandlerConfig => ({
  handler_name: 'eh_web_hook_handler',
  handler_meta: { method: 'POST', target_path: targetPath, ...extra },
});
const logHandler = (prefix: string): EventHandlerConfig => ({ handler_name: 'eh_log_handler', handler_meta: { prefix } });
const section = (eventsByName: Record<string, unknown[]>) => ({ events: eventsByName }) as EventHandlersSection;

/** Implements the Dispatcher interface; only dispatchEvent matters to the event system. */
class RecordingDispatcher implements Dispatcher {
  readonly driver = 'test';
  readonly payloads: string[] = [];
  constructor(private readonly fail = false) {}
  async dispatch(object: CoprocessObject) {
    return object;
  }
  async dispatchEvent(payload: string) {
    if (this.fail) throw new Error('plugin threw');
    this.payloads.push(payload);
  }
  async reload() {}
  async dispose() {}
}

describe('events', function () {
  const cleanups: { close(): Promise<unknown> }[] = [];
  const track = <T extends { close(): Promise<unknown> }>(thing: T): T => {
    cleanups.push(thing);
    return thing;
  };
  const newBus = (options: EventBusOptions = {}) => {
    const bus = new EventBus({ logger: captureLogger().logger, ...options });
    cleanups.push({ close: () => bus.stop(200) });
    return bus;
  };

  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!.close();
  });

  describe('webhook handler', () => {
    it('posts Tyk\'s default body with event and message, and Tyk-Hookshot headers', async () => {
      const rx = track(await startReceiver());
      const bus = newBus();
      bus.setApiHandlers('api1', 'org1', section({
        MyEvent: [webhook(`${rx.url}/hook?token=x`, { header_map: { 'X-Secret': 's3' } })],
        AuthFailure: [webhook(`${rx.url}/auth`)],
      }));

      bus.fire(triggerEvent('MyEvent', 'hello from a script', { apiId: 'api1', orgId: 'org1' }));
      bus.fire(keyFailureEvent(EventNames.AuthFailure, { apiId: 'api1' }, { path: '/x', origin: '10.0.0.9', key: 'k1' }));
      await waitUntil(() => bus.stats().handlers.eh_web_hook_handler.delivered === 2, 3000, 'two webhooks');

      const byPath = Object.fromEntries(rx.requests.map((r) => [r.url.split('?')[0], r]));
      const trig = byPath['/hook'];
      expect(trig.method).to.equal('POST');
      expect(trig.url).to.equal('/hook?token=x');
      expect(trig.headers['user-agent']).to.equal('Tyk-Hookshot');
      expect(trig.headers['content-type']).to.equal('application/json');
      expect(trig.headers['x-secret']).to.equal('s3');
      expect(JSON.parse(trig.text)).to.deep.equal({
        event: 'MyEvent', message: 'hello from a script', path: '', origin: '', key: '',
      });
      expect(JSON.parse(byPath['/auth']!.text)).to.deep.equal({
        event: 'AuthFailure', message: 'Auth Failure', path: '/x', origin: '10.0.0.9', key: 'k1',
      });
      expect(bus.stats().handlers.eh_web_hook_handler).to.include({ queued: 2, delivered: 2, failed: 0 });
    });

    it('honours method (unknown → GET, body still sent) and a Content-Type from header_map', async () => {
      const rx = track(await startReceiver());
      const { logger, lines } = captureLogger();
      const bus = newBus({ logger });
      bus.setGatewayHandlers(section({
        A: [webhook(`${rx.url}/put`, { method: 'put', header_map: { 'content-type': 'text/plain' } })],
        B: [webhook(`${rx.url}/get`, { method: 'FETCH' })],
      }));
      expect(lines.some((l) => l.level === 40 && /using GET/.test(l.msg))).to.equal(true);

      bus.fire({ type: 'A', meta: { Message: 'a' } });
      bus.fire({ type: 'B', meta: { Message: 'b' } });
      await waitUntil(() => rx.requests.length === 2);
      const put = rx.requests.find((r) => r.url === '/put')!;
      const get = rx.requests.find((r) => r.url === '/get')!;
      expect(put.method).to.equal('PUT');
      expect(put.headers['content-type']).to.equal('text/plain');
      expect(get.method).to.equal('GET');
      expect(JSON.parse(get.text).message).to.equal('b');
    });

    it('retries a 5xx answer, does not retry a 4xx, and logs failures with the target', async () => {
      let calls = 0;
      const flaky = track(await startReceiver((rec, res) => {
        calls++;
        res.statusCode = calls === 1 ? 503 : 200;
        res.end();
      }));
      const refusing = track(await startReceiver((rec, res) => {
        res.statusCode = 400;
        res.end();
      }));
      const { logger, lines } = captureLogger();
      const bus = newBus({ logger, webhook: { retryDelayMs: 10 } });
      bus.setGatewayHandlers(section({
        E: [webhook(`${flaky.url}/flaky`), webhook(`${refusing.url}/no?secret=1`)],
      }));
      bus.fire({ type: 'E', meta: { Message: 'm' } });
      await waitUntil(() => {
        const s = bus.stats().handlers.eh_web_hook_handler;
        return s.delivered + s.failed === 2;
      });
      expect(flaky.requests).to.have.length(2);
      expect(refusing.requests).to.have.length(1);
      expect(bus.stats().handlers.eh_web_hook_handler).to.include({ delivered: 1, failed: 1 });
      const failure = lines.find((l) => l.level === 50)!;
      expect(failure.target).to.equal(`POST ${refusing.url}/no`);
      expect(failure.error).to.match(/400/);
      expect(failure.msg).to.include(`${refusing.url}/no`);
    });

    it('sends identical webhooks once within event_timeout and again after it', async () => {
      const rx = track(await startReceiver());
      const bus = newBus();
      bus.setApiHandlers('api1', undefined, section({ AuthFailure: [webhook(`${rx.url}/d`, { event_timeout: 1 })] }));
      const fail = () =>
        bus.fire(keyFailureEvent(EventNames.AuthFailure, { apiId: 'api1' }, { path: '/p', origin: '1.2.3.4', key: 'k' }));

      fail();
      fail();
      bus.fire(keyFailureEvent(EventNames.AuthFailure, { apiId: 'api1' }, { path: '/other', origin: '1.2.3.4', key: 'k' }));
      await waitUntil(() => {
        const s = bus.stats().handlers.eh_web_hook_handler;
        return s.delivered + s.deduplicated === 3;
      });
      await sleep(50);
      expect(rx.requests).to.have.length(2);
      expect(bus.stats().handlers.eh_web_hook_handler).to.include({ delivered: 2, deduplicated: 1 });

      await sleep(1100);
      fail();
      await waitUntil(() => rx.requests.length === 3, 3000, 'delivery after the window');
      expect(JSON.parse(rx.requests[2]!.text).path).to.equal('/p');
    });
  });

  describe('handler resolution', () => {
    it('delivers an API event to that API\'s handlers and the gateway handlers; system events to the gateway only', async () => {
      const rx = track(await startReceiver());
      const bus = newBus({
        gatewayHandlers: section({ MyEvent: [webhook(`${rx.url}/gw`)], TokenCreated: [webhook(`${rx.url}/gw`)] }),
      });
      bus.setApiHandlers('api1', 'org1', section({ MyEvent: [webhook(`${rx.url}/api1`)] }));
      bus.setApiHandlers('api2', 'org2', section({ MyEvent: [webhook(`${rx.url}/api2`)] }));

      bus.fire(triggerEvent('MyEvent', 'one', { apiId: 'api1' }));
      bus.fire(tokenEvent(EventNames.TokenCreated, { org: 'org1', key: 'abc' }));
      bus.fire({ type: 'MyEvent', apiId: 'unknown-api', meta: { Message: 'three' } });
      await waitUntil(() => rx.requests.length === 4, 3000, 'four deliveries');
      await sleep(50);

      const got = rx.requests.map((r) => `${r.url} ${JSON.parse(r.text).event}:${JSON.parse(r.text).message}`).sort();
      expect(got).to.deep.equal([
        '/api1 MyEvent:one',
        '/gw MyEvent:one',
        '/gw MyEvent:three',
        '/gw TokenCreated:Key modified.',
      ]);
      expect(bus.wants('MyEvent', 'api2')).to.equal(true);
      expect(bus.wants('Nothing', 'api2')).to.equal(false);
    });

    it('replaces an API\'s handlers on reload and forgets them on removeApi', async () => {
      const { logger, lines } = captureLogger();
      const bus = newBus({ logger });
      bus.setApiHandlers('api1', undefined, section({ E: [logHandler('v1')] }));
      bus.setApiHandlers('api1', undefined, section({ E: [logHandler('v2')] }));
      bus.fire({ type: 'E', apiId: 'api1', meta: {} });
      await waitUntil(() => lines.some((l) => l.msg === 'v2:E'));
      bus.removeApi('api1');
      bus.fire({ type: 'E', apiId: 'api1', meta: {} });
      await sleep(30);
      expect(lines.filter((l) => /^v\d:E$/.test(l.msg)).map((l) => l.msg)).to.deep.equal(['v2:E']);
    });

    it('compiles a reload first and installs it only when asked', async () => {
      const { logger, lines } = captureLogger();
      const bus = newBus({ logger });
      bus.setApiHandlers('api1', undefined, section({ E: [logHandler('old')] }));
      const next = bus.compileApiHandlers('api1', undefined, section({ E: [logHandler('new')] }));
      bus.fire({ type: 'E', apiId: 'api1', meta: {} });
      await waitUntil(() => lines.some((l) => l.msg === 'old:E'));
      bus.installApiHandlers(next);
      bus.fire({ type: 'E', apiId: 'api1', meta: {} });
      await waitUntil(() => lines.some((l) => l.msg === 'new:E'));
      expect(lines.filter((l) => /^(old|new):E$/.test(l.msg))).to.have.length(2);
    });
  });

  describe('log handler', () => {
    it('logs a warning <prefix>:<EventType> with the meta fields, key obfuscated', async () => {
      const { logger, lines } = captureLogger();
      const bus = newBus({ logger });
      bus.setApiHandlers('api7', 'org7', section({ QuotaExceeded: [logHandler('isogate')] }));
      bus.fire(keyFailureEvent(EventNames.QuotaExceeded, { apiId: 'api7' }, {
        path: '/q', origin: '9.9.9.9', key: 'abcdef123456', originatingRequest: 'R0VUIC8=',
      }));
      await waitUntil(() => lines.some((l) => l.msg === 'isogate:QuotaExceeded'));
      const line = lines.find((l) => l.msg === 'isogate:QuotaExceeded')!;
      expect(line.level).to.equal(40);
      expect(line).to.include({ event_type: 'QuotaExceeded', api_id: 'api7', org_id: 'org7' });
      expect(line.meta).to.deep.equal({
        Message: 'Key Quota Limit Exceeded', Path: '/q', Origin: '9.9.9.9', Key: '****3456',
      });
    });
  });

  describe('cp_dynamic_handler', () => {
    it('calls dispatchEvent with Tyk\'s exact payload', async () => {
      const dispatcher = new RecordingDispatcher();
      const bus = newBus();
      bus.setApiHandlers('api-cp', 'org-cp', section({
        MyEvent: [{ handler_name: 'cp_dynamic_handler', handler_meta: { name: 'onMyEvent' } }],
      }), { dispatcher });

      bus.fire({ ...triggerEvent('MyEvent', 'payload "quoted"', { apiId: 'api-cp' }), timestamp: new Date('2024-05-01T10:00:00.120Z') });
      await waitUntil(() => dispatcher.payloads.length === 1);
      expect(dispatcher.payloads[0]).to.equal(
        '{"message":{"Type":"MyEvent","Meta":{"Message":"payload \\"quoted\\""},"TimeStamp":"2024-05-01 10:00:00.12 +0000 UTC"},' +
          '"handler_name":"onMyEvent","spec":{"APIID":"api-cp","OrgID":"org-cp"}}',
      );
    });

    it('uses the current dispatcher from a getter and counts a failing plugin', async () => {
      let current = new RecordingDispatcher(true);
      const bus = newBus();
      bus.setApiHandlers('api-cp', undefined, section({
        MiddlewareError: [{ handler_name: 'cp_dynamic_handler', handler_meta: { name: 'onError' } }],
      }), { dispatcher: () => current });

      bus.fire(middlewareErrorEvent({ apiId: 'api-cp' }, { hook: 'pre', reason: 'timeout' }));
      await waitUntil(() => bus.stats().handlers.cp_dynamic_handler.failed === 1);
      current = new RecordingDispatcher();
      bus.fire(middlewareErrorEvent({ apiId: 'api-cp' }, { hook: 'post', reason: 'memory', message: 'out of memory' }));
      await waitUntil(() => current.payloads.length === 1);
      const payload = JSON.parse(current.payloads[0]);
      expect(payload.message.Type).to.equal('MiddlewareError');
      expect(payload.message.Meta).to.deep.equal({ Message: 'out of memory', APIID: 'api-cp', Hook: 'post', Reason: 'memory' });
      expect(payload.spec).to.deep.equal({ APIID: 'api-cp', OrgID: '' });
    });
  });

  describe('back-pressure', () => {
    it('fire() does not wait for a down or hung target, and other handlers still deliver', async function () {
      // Generous: 1,001 loopback deliveries take a second or two, far longer on a loaded machine.
      this.timeout(45000);
      const slow = track(await startReceiver(hang));
      const good = track(await startReceiver());
      const down = await deadUrl();
      const { logger, lines } = captureLogger();
      // Room for the whole burst in every lane: this test is about latency, not overflow.
      const bus = newBus({ logger, handlerQueueSize: 2000, webhook: { timeoutMs: 300, retries: 1, retryDelayMs: 20 } });
      bus.setApiHandlers('api1', undefined, section({
        Burst: [webhook(`${slow.url}/slow`), webhook(`${down}/down`), webhook(`${good.url}/good`), logHandler('burst')],
      }));

      bus.fire({ type: 'Burst', apiId: 'api1', meta: { Message: 'warm-up' } });
      const started = performance.now();
      for (let i = 0; i < 1000; i++) bus.fire({ type: 'Burst', apiId: 'api1', meta: { Message: `m${i}` } });
      const elapsed = performance.now() - started;
      expect(elapsed, `1000 fire() calls took ${elapsed.toFixed(2)} ms`).to.be.below(50);

      await waitUntil(() => good.requests.length === 1001, 30000, 'good receiver to get all 1001');
      await waitUntil(() => lines.filter((l) => l.msg === 'burst:Burst').length === 1001, 3000, 'log lines');
      await waitUntil(() => lines.some((l) => l.level === 50 && l.target === `POST ${down}/down`), 3000, 'down target failure log');
      await waitUntil(
        () => lines.some((l) => l.target === `POST ${slow.url}/slow` && /timed out after 300 ms/.test(l.error)),
        3000,
        'slow target timeout log',
      );
    });

    it('drops and counts when the queue is full, and logs the count', async () => {
      const slow = track(await startReceiver(hang));
      const { logger, lines } = captureLogger();
      const bus = new EventBus({ logger, queueSize: 10, handlerConcurrency: 1, dropLogIntervalMs: 100 });
      bus.setGatewayHandlers(section({ E: [webhook(`${slow.url}/slow`)] }));

      for (let i = 0; i < 50; i++) bus.fire({ type: 'E', meta: { Message: String(i) } });
      const stats = bus.stats();
      expect(stats.fired).to.equal(50);
      expect(stats.pending).to.equal(10);
      expect(stats.dropped).to.equal(40);
      expect(stats.handlers.eh_web_hook_handler).to.include({ queued: 10, dropped: 40 });

      await sleep(150);
      const dropLines = lines.filter((l) => l.dropped !== undefined);
      expect(dropLines.length).to.be.within(1, 2);
      expect(dropLines.reduce((sum, l) => sum + l.dropped, 0)).to.equal(40);
      expect(dropLines[0].reasons).to.have.property('queue_full');

      // One delivery is hanging; stop gives up after its timeout and drops (and logs) the rest.
      await bus.stop(100);
      const after = bus.stats();
      expect(after.pending).to.equal(0);
      expect(after.handlers.eh_web_hook_handler.dropped).to.equal(49);
      const last = lines.filter((l) => l.dropped !== undefined).pop()!;
      expect(last.reasons).to.deep.equal({ shutdown_timeout: 9 });
      await waitUntil(() => bus.stats().handlers.eh_web_hook_handler.failed === 1, 1000, 'aborted delivery');
    });

    it('caps one handler\'s backlog so a dead receiver cannot starve the others', async () => {
      const slow = track(await startReceiver(hang));
      const { logger, lines } = captureLogger();
      const bus = newBus({ logger, queueSize: 30, handlerQueueSize: 10, handlerConcurrency: 1 });
      bus.setGatewayHandlers(section({ E: [webhook(`${slow.url}/slow`), logHandler('ok')] }));
      for (let round = 1; round <= 3; round++) {
        for (let i = 0; i < 10; i++) bus.fire({ type: 'E', meta: {} });
        await waitUntil(() => lines.filter((l) => l.msg === 'ok:E').length === round * 10, 3000, `log round ${round}`);
      }
      const stats = bus.stats();
      expect(stats.handlers.eh_log_handler).to.include({ delivered: 30, dropped: 0 });
      // One hung delivery plus a full lane of 10; everything else for that receiver was dropped.
      expect(stats.handlers.eh_web_hook_handler).to.include({ queued: 11, dropped: 19 });
    });
  });

  describe('stop()', () => {
    it('drains queued events, delivers those fired while stopping, and drops (logged) those fired after', async () => {
      const rx = track(await startReceiver((rec, res) => setTimeout(() => res.end(), 5)));
      const { logger, lines } = captureLogger();
      const bus = new EventBus({ logger, handlerConcurrency: 2, dropLogIntervalMs: 0 });
      bus.setGatewayHandlers(section({ E: [webhook(`${rx.url}/s`), logHandler('stop')] }));
      for (let i = 0; i < 50; i++) bus.fire({ type: 'E', meta: { Message: `before-${i}` } });

      const stopping = bus.stop(5000);
      bus.fire({ type: 'E', meta: { Message: 'while-stopping' } });
      await stopping;

      expect(rx.requests).to.have.length(51);
      expect(JSON.parse(rx.requests[50]!.text).message).to.equal('while-stopping');
      expect(lines.filter((l) => l.msg === 'stop:E')).to.have.length(51);
      expect(bus.stats().pending).to.equal(0);

      bus.fire({ type: 'E', meta: { Message: 'after' } });
      expect(bus.stats().dropped).to.equal(2);
      const dropLines = lines.filter((l) => l.dropped !== undefined);
      expect(dropLines.reduce((sum, l) => sum + l.reasons.stopped, 0)).to.equal(2);
      expect(await Promise.race([bus.stop(10).then(() => 'same'), sleep(50)])).to.equal('same');
    });
  });

  describe('config validation', () => {
    const errorOf = (fn: () => void): EventConfigError => {
      try {
        fn();
      } catch (err) {
        return err as EventConfigError;
      }
      throw new Error('expected an error');
    };

    it('names the API and the key of a bad webhook target', () => {
      const bus = newBus();
      const err = errorOf(() =>
        bus.setApiHandlers('api1', undefined, section({ AuthFailure: [webhook('/relative/path')] })),
      );
      expect(err).to.be.instanceOf(EventConfigError);
      expect(err.message).to.equal(
        'API api1: event_handlers.events.AuthFailure[0].handler_meta.target_path: must be an absolute http(s) URL',
      );
      expect(err.apiId).to.equal('api1');
      expect(err.key).to.equal('event_handlers.events.AuthFailure[0].handler_meta.target_path');
      expect(() => bus.setGatewayHandlers(section({ X: [webhook('ftp://example.com/x')] }))).to.throw(
        'gateway config: event_handlers.events.X[0].handler_meta.target_path: must be an absolute http(s) URL',
      );
    });

    it('names an unknown handler, a JSVM handler without a JSVM and a gateway-level cp_dynamic_handler', () => {
      const bus = newBus();
      expect(() => bus.setApiHandlers('a', undefined, section({ E: [logHandler('x'), { handler_name: 'eh_bogus' }] })))
        .to.throw(/API a: event_handlers\.events\.E\[1\]\.handler_name: unknown handler "eh_bogus"/);
      expect(() => bus.setApiHandlers('a', undefined, section({ E: [{ handler_name: 'eh_dynamic_handler', handler_meta: { name: 'f' } }] })))
        .to.throw(/API a: .*handler_name: "eh_dynamic_handler" needs the API's JSVM/);
      expect(() => bus.setApiHandlers('a', undefined, section({ E: [{ handler_name: 'eh_dynamic_handler', handler_meta: { name: 'not a name' } }] }), { jsvm: new RecordingDispatcher() }))
        .to.throw('API a: event_handlers.events.E[0].handler_meta.name: "not a name" is not a JavaScript name');
      expect(() => bus.setGatewayHandlers(section({ E: [{ handler_name: 'eh_dynamic_handler', handler_meta: { name: 'f' } }] })))
        .to.throw(/gateway config: .*"eh_dynamic_handler" can only be used in an API definition/);
      // A disabled handler is skipped before anything else is checked: the API still loads.
      expect(() => bus.setApiHandlers('a', undefined, section({ E: [{ handler_name: 'eh_dynamic_handler', handler_meta: { disabled: true } }] }))).to.not.throw();
      expect(() => bus.setGatewayHandlers(section({ E: [{ handler_name: 'cp_dynamic_handler', handler_meta: { name: 'f' } }] })))
        .to.throw('gateway config: event_handlers.events.E[0].handler_name: "cp_dynamic_handler" can only be used in an API definition\'s event_handlers');
      expect(() => bus.setApiHandlers('a', undefined, section({ E: [{ handler_name: 'cp_dynamic_handler', handler_meta: { name: 'f' } }] })))
        .to.throw(/API a: .*handler_name: "cp_dynamic_handler" needs the API to have custom_middleware/);
      expect(() => bus.setApiHandlers('a', undefined, section({ E: [{ handler_name: 'cp_dynamic_handler', handler_meta: {} }] }), { dispatcher: new RecordingDispatcher() }))
        .to.throw('API a: event_handlers.events.E[0].handler_meta.name: is required and must be a non-empty string');
    });

    it('checks meta types and headers', () => {
      const check = (meta: Record<string, unknown>) => () => parseEventHandlers(section({ E: [{ handler_name: 'eh_web_hook_handler', handler_meta: meta }] }), { apiId: 'a' });
      expect(check({ target_path: 'http://x/', event_timeout: -1 })).to.throw('handler_meta.event_timeout: must be a number >= 0');
      expect(check({ target_path: 'http://x/', event_timeout: '10' })).to.throw('handler_meta.event_timeout: must be a number >= 0');
      expect(check({ target_path: 'http://x/', header_map: { 'X-A': 1 } })).to.throw('handler_meta.header_map.X-A: must be a string');
      expect(check({ target_path: 'http://x/', header_map: { 'Bad Header': 'v' } })).to.throw(/handler_meta\.header_map\.Bad Header: is not a valid HTTP header/);
      expect(check({ target_path: 'http://x/', disabled: 'yes' })).to.throw('handler_meta.disabled: must be true or false');
      // Malformed on purpose: what a hand-written definition may hold.
      expect(() => parseEventHandlers({ events: { E: {} } } as unknown as EventHandlersSection, { apiId: 'a' })).to.throw('API a: event_handlers.events.E: must be a list');
      expect(() => parseEventHandlers({ events: [] } as unknown as EventHandlersSection, {})).to.throw('gateway config: event_handlers.events: must be an object');
    });

    it('skips disabled handlers without reading their meta, and keeps old handlers when a reload is invalid', async () => {
      expect(parseEventHandlers(section({ E: [{ handler_name: 'eh_web_hook_handler', handler_meta: { disabled: true } }] }), { apiId: 'a' }))
        .to.deep.equal([]);
      const { logger, lines } = captureLogger();
      const bus = newBus({ logger });
      bus.setApiHandlers('a', undefined, section({ E: [logHandler('kept')] }));
      expect(() => bus.setApiHandlers('a', undefined, section({ E: [webhook('nope')] }))).to.throw(EventConfigError);
      bus.fire({ type: 'E', apiId: 'a', meta: {} });
      await waitUntil(() => lines.some((l) => l.msg === 'kept:E'));
    });
  });

  describe('helpers', () => {
    it('formats TimeStamp like Go\'s time.Time.String()', () => {
      expect(goTimeString(new Date('2024-05-01T10:00:00.123Z'))).to.equal('2024-05-01 10:00:00.123 +0000 UTC');
      expect(goTimeString(new Date('2024-05-01T10:00:00.100Z'))).to.equal('2024-05-01 10:00:00.1 +0000 UTC');
      expect(goTimeString(new Date('2024-12-31T23:59:09Z'))).to.equal('2024-12-31 23:59:09 +0000 UTC');
    });

    it('builds Tyk\'s meta for built-in events and the TykTriggerEvent bridge', () => {
      expect(EventNames.RatelimitExceeded).to.equal('RatelimitExceeded');
      expect(keyFailureEvent('KeyExpired', { apiId: 'a', orgId: 'o' }, { key: 'k' })).to.deep.equal({
        type: 'KeyExpired', apiId: 'a', orgId: 'o',
        meta: { Message: 'Attempted access from expired key.', OriginatingRequest: '', Path: '', Origin: '', Key: 'k' },
      });
      expect(tokenEvent('TokenDeleted', { org: 'o', key: 'k' })).to.deep.equal({
        type: 'TokenDeleted', meta: { Message: 'Key deleted.', OriginatingRequest: '', Org: 'o', Key: 'k' },
      });
      expect(triggerMeta('p')).to.deep.equal({ Message: 'p' });
      expect(triggerMeta({ a: 1 })).to.deep.equal({ Message: '{"a":1}' });
      expect(triggerMeta(undefined)).to.deep.equal({ Message: '' });
      const head = encodeOriginatingRequest({ method: 'GET', url: '/a?b=1', httpVersion: '1.1', rawHeaders: ['Host', 'x'] });
      expect(Buffer.from(head, 'base64').toString()).to.equal('GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\n');
    });

    it('fire() never throws, even on malformed input', () => {
      const bus = newBus({ gatewayHandlers: section({ E: [logHandler('x')] }) });
      expect(() => bus.fire({ type: 'E', meta: undefined } as unknown as EventInput)).not.to.throw();
      expect(() => bus.fire(undefined as unknown as EventInput)).not.to.throw();
    });
  });
});
