import { expect } from 'chai';
import { startGateway, makeWorkspace, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { echoed, readJson, startRecordingServer, type RecordingServer } from './helpers/http';
import { sleep } from './helpers/poll';

/** The part of /tyk/stats this test reads. */
interface GatewayStats {
  isolates: { created: number; live: number };
  memory: { rss: number };
}

// Disposed isolates must really be released: after 200 upload/swap cycles the live isolate count
// is back to one per hooked API and RSS is back near where it started.
describe('isolate release across 200 upload/reload cycles', function () {
  this.timeout(180000);
  let upstream: RecordingServer;
  let gw: RunningGateway;

  before(async () => {
    upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'churn/tag.js', "function tag(request) { request.set_headers['X-Gen'] = '0'; }\n");
    writeApi(dir, { api_id: 'churn', org_id: 'o', use_keyless: true, proxy: { listen_path: '/churn/', target_url: upstream.url, strip_listen_path: true }, custom_middleware: { driver: 'isolate', pre: [{ name: 'tag' }], limits: { memory_limit_mb: 32 } } });
    gw = await startGateway({ dir });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  const stats = async () => readJson<GatewayStats>(await gw.admin('/tyk/stats'));
  const cycle = async (i: number) => {
    // A 256 KB string literal makes every generation's heap worth leaking, so a leak would show.
    const code = `const ballast${i} = '${'x'.repeat(256 * 1024)}';\nfunction tag(request) { request.set_headers['X-Gen'] = '${i}' + ballast${i}.length; }\n`;
    const res = await gw.admin('/tyk/apis/churn/middleware/tag.js', { method: 'PUT', body: code });
    expect(res.status, `upload ${i}`).to.equal(200);
    const hit = await fetch(`${gw.url}/churn/x`);
    expect((await echoed(hit)).headers['x-gen']).to.equal(`${i}${256 * 1024}`);
  };

  it('returns to one live isolate and flat RSS', async () => {
    for (let i = 1; i <= 20; i++) await cycle(i); // warm-up: allocator pools and code caches settle
    await sleep(300);
    const before = await stats();
    for (let i = 21; i <= 220; i++) await cycle(i);
    await sleep(500);
    const after = await stats();
    expect(after.isolates.created - before.isolates.created).to.be.at.least(200);
    expect(after.isolates.live).to.equal(1);
    const growthMb = (after.memory.rss - before.memory.rss) / 1024 / 1024;
    // 200 leaked isolates with their ballast would be > 400 MB; pages the allocator keeps after
    // freeing (isolated-vm #281) stay far below, even when other tests load the machine.
    expect(growthMb, `RSS grew ${growthMb.toFixed(1)} MB`).to.be.below(150);
  });
});
