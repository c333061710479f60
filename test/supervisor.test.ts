import { expect } from 'chai';
import { startGateway, makeWorkspace, writeApi, writeMiddleware } from './helpers/gateway';
import { startRecordingServer, type RecordingServer } from './helpers/http';
import { until } from './helpers/poll';

describe('process model: a fatal isolate OOM costs one worker, not the service', function () {
  this.timeout(60000);

  it('restarts the gateway worker after a huge allocation aborts it, and serves again', async () => {
    const upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'bomb.js', 'function bomb() { const a = Array(1e9).fill(0); return a.length; }');
    writeApi(dir, { api_id: 'bomb', org_id: 'o', use_keyless: true, proxy: { listen_path: '/bomb/', target_url: upstream.url, strip_listen_path: true }, custom_middleware: { driver: 'isolate', pre: [{ name: 'bomb', path: 'bomb.js' }], limits: { hook_timeout_ms: 20000 } } });
    writeApi(dir, { api_id: 'fine', org_id: 'o', use_keyless: true, proxy: { listen_path: '/fine/', target_url: upstream.url, strip_listen_path: true } });
    const gw = await startGateway({ dir });
    try {
      expect((await fetch(`${gw.url}/fine/x`)).status).to.equal(200);
      const crashed = await fetch(`${gw.url}/bomb/x`).then((r) => r.status, () => 'connection lost' as const);
      expect(crashed === 'connection lost' || crashed >= 500).to.equal(true);
      let status = 0;
      await until(async () => (status = await fetch(`${gw.url}/fine/x`).then((r) => r.status, () => 0)) === 200, { timeoutMs: 30_000, stepMs: 100 }).catch(() => undefined);
      expect(status).to.equal(200);
      expect(gw.logs.join('')).to.match(/restarting|starting the next worker/);
    } finally {
      await gw.stop();
      await upstream.close();
    }
  });
});
