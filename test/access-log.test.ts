import { expect } from 'chai';
import { keylessApi, makeWorkspace, startGateway, writeApi, type RunningGateway } from './helpers/gateway';
import { startRecordingServer, type RecordingServer } from './helpers/http';
import { until } from './helpers/poll';

interface AccessLine {
  component?: string;
  msg?: string;
  api_id?: string;
  method?: string;
  path?: string;
  status?: number;
  total_ms?: number;
  upstream_ms?: number;
  hook_ms?: number;
  key_hash?: string;
}

function accessLines(gw: RunningGateway): AccessLine[] {
  return gw.logs.join('').split('\n').flatMap((line) => {
    try {
      const entry = JSON.parse(line) as AccessLine;
      return entry.component === 'access' ? [entry] : [];
    } catch {
      return [];
    }
  });
}

const KEY_BODY = { org_id: 'acme', rate: 1000, per: 1, quota_max: -1, access_rights: { keyed: { api_id: 'keyed', api_name: 'keyed', versions: ['Default'] } } };

describe('access log through a real gateway', function () {
  let upstream: RecordingServer;
  const gateways: RunningGateway[] = [];

  before(async () => {
    upstream = await startRecordingServer();
  });

  after(async () => {
    for (const gw of gateways) await gw.stop();
    await upstream?.close();
  });

  const workspace = () => {
    const dir = makeWorkspace();
    writeApi(dir, keylessApi('open', '/open/', upstream.url));
    writeApi(dir, { ...keylessApi('keyed', '/keyed/', upstream.url), org_id: 'acme', use_keyless: false });
    return dir;
  };

  it('is off by default', async () => {
    const gw = await startGateway({ dir: workspace(), supervise: false });
    gateways.push(gw);
    for (let i = 0; i < 3; i++) await (await fetch(`${gw.url}/open/x`)).arrayBuffer();
    // A line would trail its response by a few ms at most.
    await new Promise((r) => setTimeout(r, 300));
    expect(accessLines(gw)).to.have.length(0);
    expect(gw.logs.join('')).to.not.include('"component":"access"');
  });

  it('writes one line per request: API, status, durations, a key hash and never the key or the query', async () => {
    const gw = await startGateway({ dir: workspace(), supervise: false, config: { access_log: { enabled: true } } });
    gateways.push(gw);
    expect((await gw.admin('/tyk/keys/SeCrEtKeY', { method: 'POST', body: JSON.stringify(KEY_BODY) })).status).to.equal(200);
    expect((await fetch(`${gw.url}/keyed/a?token=hunter2`, { headers: { authorization: 'SeCrEtKeY' } })).status).to.equal(200);
    expect((await fetch(`${gw.url}/keyed/b`, { headers: { authorization: 'wrong' } })).status).to.equal(403);
    expect((await fetch(`${gw.url}/open/c`)).status).to.equal(200);
    const lines = await until(() => (accessLines(gw).length >= 3 ? accessLines(gw) : undefined), { timeoutMs: 5000 });
    const [ok, refused, open] = lines;
    expect(ok).to.include({ api_id: 'keyed', method: 'GET', path: '/keyed/a', status: 200, msg: 'request' });
    expect(ok!.key_hash).to.match(/^[0-9a-f]{16}$/);
    expect(ok!.total_ms).to.be.a('number').and.at.least(ok!.upstream_ms!);
    expect(ok!.hook_ms).to.equal(0);
    expect(refused).to.include({ api_id: 'keyed', status: 403 });
    expect(refused).to.not.have.property('upstream_ms');
    expect(open).to.include({ api_id: 'open', status: 200 });
    expect(open).to.not.have.property('key_hash');
    const text = JSON.stringify(lines);
    expect(text).to.not.include('SeCrEtKeY');
    expect(text).to.not.include('hunter2');
  });

  it('samples with sample_rate', async () => {
    const gw = await startGateway({ dir: workspace(), supervise: false, config: { access_log: { enabled: true, sample_rate: 0.5 } } });
    gateways.push(gw);
    for (let i = 0; i < 200; i++) await (await fetch(`${gw.url}/open/s`)).arrayBuffer();
    await new Promise((r) => setTimeout(r, 300));
    // Binomial(200, 0.5): outside 60–140 once in ~10^8 runs.
    expect(accessLines(gw).length).to.be.within(60, 140);
  });

  it('refuses a sample_rate outside 0–1, naming the key', async () => {
    const failed = await startGateway({ dir: workspace(), supervise: false, config: { access_log: { enabled: true, sample_rate: 2 } } }).then(
      () => 'started',
      (err: Error) => err.message,
    );
    expect(failed).to.include('access_log.sample_rate');
  });
});
