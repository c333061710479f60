'use strict';
const { expect } = require('chai');
const { startGateway, makeWorkspace, writeApi, writeMiddleware } = require('./helpers/gateway');
const { startUpstream } = require('./helpers/upstream');

describe('process model: a fatal isolate OOM costs one worker, not the service', function () {
  this.timeout(60000);

  it('restarts the gateway worker after a huge allocation aborts it, and serves again', async () => {
    const upstream = await startUpstream();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'bomb.js', 'function bomb() { const a = Array(1e9).fill(0); return a.length; }');
    writeApi(dir, { api_id: 'bomb', org_id: 'o', use_keyless: true, proxy: { listen_path: '/bomb/', target_url: upstream.url, strip_listen_path: true }, custom_middleware: { driver: 'isolate', pre: [{ name: 'bomb', path: 'bomb.js' }], limits: { hook_timeout_ms: 20000 } } });
    writeApi(dir, { api_id: 'fine', org_id: 'o', use_keyless: true, proxy: { listen_path: '/fine/', target_url: upstream.url, strip_listen_path: true } });
    const gw = await startGateway({ dir });
    try {
      expect((await fetch(`${gw.url}/fine/x`)).status).to.equal(200);
      const crashed = await fetch(`${gw.url}/bomb/x`).then((r) => r.status, () => 'connection lost');
      expect(crashed === 'connection lost' || crashed >= 500).to.equal(true);
      const deadline = Date.now() + 30000;
      let status;
      while (Date.now() < deadline) {
        status = await fetch(`${gw.url}/fine/x`).then((r) => r.status, () => 0);
        if (status === 200) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).to.equal(200);
      expect(gw.logs.join('')).to.match(/restarting|starting the next worker/);
    } finally {
      await gw.stop();
      await upstream.close();
    }
  });
});
