import { expect } from 'chai';
import { startGateway, makeWorkspace, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { startRecordingServer, type Received, type RecordingServer } from './helpers/http';
import { sleep } from './helpers/poll';

/** A webhook delivery's JSON body (Tyk's default webhook template). */
interface WebhookBody {
  event: string;
  message: string;
  path: string;
}
const webhookBody = (seen: Received): WebhookBody => JSON.parse(seen.text) as WebhookBody;

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
  let upstream: RecordingServer;
  let receiver: RecordingServer;
  let gw: RunningGateway;

  before(async () => {
    upstream = await startRecordingServer();
    receiver = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'events.js', PLUGIN);
    const hook = (event: string, path: string) => ({ handler_name: 'eh_web_hook_handler', handler_meta: { method: 'POST', target_path: `${receiver.url}${path}`, event_timeout: 0 } });
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
    expect(webhookBody(hit).event).to.equal('CustomThing');
    expect(webhookBody(hit).message).to.equal('payload-from-pre');
    expect(hit.headers['user-agent']).to.equal('Tyk-Hookshot');
  });

  it('AuthFailure from a refusing auth_check reaches a webhook', async () => {
    const res = await fetch(`${gw.url}/auth-ev/x`, { headers: { authorization: 'whatever' } });
    expect(res.status).to.equal(401);
    const hit = await receiver.waitFor((r) => r.url === '/authfailure');
    expect(webhookBody(hit).event).to.equal('AuthFailure');
    expect(webhookBody(hit).path).to.equal('/auth-ev/x');
  });

  it('cp_dynamic_handler runs JS in the API isolate (which fires a new event)', async () => {
    await fetch(`${gw.url}/auth-ev/y`, { headers: { authorization: 'whatever' } });
    const hit = await receiver.waitFor((r) => r.url === '/handled');
    expect(webhookBody(hit).message).to.match(/^AuthFailure:auth-ev:\d+$/);
  });

  it('de-duplicates identical webhooks within event_timeout, and the log handler logs', async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${gw.url}/dedup/x`)).status).to.equal(200);
    await receiver.waitFor((r) => r.url === '/dedup');
    await sleep(500);
    expect(receiver.requests.filter((r) => r.url === '/dedup')).to.have.length(1);
    expect(gw.logs.join('')).to.include('isogate-test:CustomThing');
  });

  it('a webhook target that is down does not slow requests', async () => {
    const timed = async (path: string) => {
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
