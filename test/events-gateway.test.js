'use strict';
const { expect } = require('chai');
const { startGateway, makeWorkspace, writeApi, writeMiddleware } = require('./helpers/gateway');
const { startUpstream } = require('./helpers/upstream');
const { startReceiver } = require('./helpers/receiver');

const PLUGIN = `
let handled = 0;
function fire(request) {
  TykTriggerEvent('CustomThing', 'payload-from-pre');
}
function deny(request) {
  request.return_overrides.response_code = 401;
  request.return_overrides.response_error = 'nope';
  return { request };
}
function onAuthFailure(message, spec) {
  handled++;
  TykTriggerEvent('HandledInIsolate', message.Type + ':' + spec.APIID + ':' + handled);
}
`;

describe('events through a real gateway', function () {
  let upstream;
  let receiver;
  let gw;

  before(async () => {
    upstream = await startUpstream();
    receiver = await startReceiver();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'events.js', PLUGIN);
    const hook = (event, path) => ({ handler_name: 'eh_web_hook_handler', handler_meta: { method: 'POST', target_path: `${receiver.url}${path}`, event_timeout: 0 } });
    writeApi(dir, {
      api_id: 'ev', org_id: 'org1', use_keyless: true,
      proxy: { listen_path: '/ev/', target_url: upstream.url, strip_listen_path: true },
      custom_middleware: { driver: 'isolate', pre: [{ name: 'fire', path: 'events.js' }] },
      event_handlers: { events: { CustomThing: [hook('CustomThing', '/custom')] } },
    });
    writeApi(dir, {
      api_id: 'auth-ev', org_id: 'org1', use_keyless: false, custom_plugin_auth_enabled: true,
      proxy: { listen_path: '/auth-ev/', target_url: upstream.url, strip_listen_path: true },
      custom_middleware: { driver: 'isolate', auth_check: { name: 'deny', path: 'events.js' } },
      event_handlers: { events: {
        AuthFailure: [hook('AuthFailure', '/authfailure'), { handler_name: 'cp_dynamic_handler', handler_meta: { name: 'onAuthFailure' } }],
        HandledInIsolate: [hook('HandledInIsolate', '/handled')],
      } },
    });
    writeApi(dir, {
      api_id: 'dedup', org_id: 'org1', use_keyless: true,
      proxy: { listen_path: '/dedup/', target_url: upstream.url, strip_listen_path: true },
      custom_middleware: { driver: 'isolate', pre: [{ name: 'fire', path: 'events.js' }] },
      event_handlers: { events: { CustomThing: [{ handler_name: 'eh_web_hook_handler', handler_meta: { method: 'POST', target_path: `${receiver.url}/dedup`, event_timeout: 30 } }, { handler_name: 'eh_log_handler', handler_meta: { prefix: 'isogate-test' } }] } },
    });
    writeApi(dir, {
      api_id: 'slowhook', org_id: 'org1', use_keyless: true,
      proxy: { listen_path: '/slowhook/', target_url: upstream.url, strip_listen_path: true },
      custom_middleware: { driver: 'isolate', pre: [{ name: 'fire', path: 'events.js' }] },
      event_handlers: { events: { CustomThing: [{ handler_name: 'eh_web_hook_handler', handler_meta: { method: 'POST', target_path: 'http://10.255.255.1:9/unreachable', event_timeout: 0 } }] } },
    });
    gw = await startGateway({ dir });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (receiver) await receiver.close();
    if (upstream) await upstream.close();
  });

  it('TykTriggerEvent from a pre hook reaches a webhook with the payload', async () => {
    expect((await fetch(`${gw.url}/ev/x`)).status).to.equal(200);
    const hit = await receiver.waitFor((r) => r.url === '/custom');
    expect(hit.body.event).to.equal('CustomThing');
    expect(hit.body.message).to.equal('payload-from-pre');
    expect(hit.headers['user-agent']).to.equal('Tyk-Hookshot');
  });

  it('AuthFailure from a refusing auth_check reaches a webhook', async () => {
    const res = await fetch(`${gw.url}/auth-ev/x`, { headers: { authorization: 'whatever' } });
    expect(res.status).to.equal(401);
    const hit = await receiver.waitFor((r) => r.url === '/authfailure');
    expect(hit.body.event).to.equal('AuthFailure');
    expect(hit.body.path).to.equal('/auth-ev/x');
  });

  it('cp_dynamic_handler runs JS in the API isolate (which fires a new event)', async () => {
    await fetch(`${gw.url}/auth-ev/y`, { headers: { authorization: 'whatever' } });
    const hit = await receiver.waitFor((r) => r.url === '/handled');
    expect(hit.body.message).to.match(/^AuthFailure:auth-ev:\d+$/);
  });

  it('de-duplicates identical webhooks within event_timeout, and the log handler logs', async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${gw.url}/dedup/x`)).status).to.equal(200);
    await receiver.waitFor((r) => r.url === '/dedup');
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.received.filter((r) => r.url === '/dedup')).to.have.length(1);
    expect(gw.logs.join('')).to.include('isogate-test:CustomThing');
  });

  it('a webhook target that is down does not slow requests', async () => {
    const timed = async (path) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 20; i++) expect((await fetch(`${gw.url}${path}`)).status).to.equal(200);
      return Number(process.hrtime.bigint() - t0) / 1e6 / 20;
    };
    await timed('/ev/warm');
    const withDeadTarget = await timed('/slowhook/x');
    const baseline = await timed('/ev/x');
    // The dead target (a blackholed address) would take seconds per delivery if requests waited on it.
    expect(withDeadTarget).to.be.below(baseline * 3 + 20);
  });
});
