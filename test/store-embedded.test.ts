import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { makeWorkspace, runCli, startGateway, writeApi, type RunningGateway } from './helpers/gateway';
import { startRecordingServer, type RecordingServer } from './helpers/http';
import { until } from './helpers/poll';

/** A key-protected API with standard auth on /k/. */
function keyedApi(target: string): { api_id: string; [k: string]: unknown } {
  return { api_id: 'k', org_id: 'o', name: 'k', use_keyless: false, use_standard_auth: true, auth: { auth_header_name: 'Authorization' }, proxy: { listen_path: '/k/', target_url: target, strip_listen_path: true } };
}

const embedded = (extra: Record<string, unknown> = {}) => ({ storage: { type: 'embedded', path: './data', ...extra } });

async function createKey(gw: RunningGateway, key: string, session: Record<string, unknown>): Promise<void> {
  const res = await gw.admin(`/tyk/keys/${encodeURIComponent(key)}`, { method: 'POST', body: JSON.stringify(session) });
  expect(res.status, await res.clone().text()).to.equal(200);
}

const call = (gw: RunningGateway, key: string) => fetch(`${gw.url}/k/x`, { headers: { authorization: key } }).then((r) => r.status);

describe('embedded store (storage.type "embedded")', function () {
  this.timeout(60_000);
  let upstream: RecordingServer;
  before(async () => {
    upstream = await startRecordingServer();
  });
  after(async () => upstream.close());

  it('keys and quota counters survive a full gateway restart, and the data is where storage.path says', async () => {
    const dir = makeWorkspace();
    writeApi(dir, keyedApi(upstream.url));
    let gw = await startGateway({ dir, config: embedded() });
    try {
      await createKey(gw, 'alice-key', { quota_max: 5, quota_renewal_rate: 3600 });
      for (let i = 0; i < 3; i++) expect(await call(gw, 'alice-key')).to.equal(200);
    } finally {
      await gw.stop();
    }
    expect(fs.existsSync(path.join(dir, 'data', 'sessions', 'data.mdb'))).to.equal(true);
    expect(fs.existsSync(path.join(dir, 'data', 'counters', 'data.mdb'))).to.equal(true);
    gw = await startGateway({ dir, config: embedded() });
    try {
      // 3 of 5 were spent before the restart: 2 left, then 403 Quota exceeded.
      expect(await call(gw, 'alice-key')).to.equal(200);
      expect(await call(gw, 'alice-key')).to.equal(200);
      expect(await call(gw, 'alice-key')).to.equal(403);
      const got = await gw.admin('/tyk/keys/alice-key');
      expect(got.status).to.equal(200);
    } finally {
      await gw.stop();
    }
  });

  it('keys and quota state survive a worker kill (SIGKILL) under the supervisor', async () => {
    const dir = makeWorkspace();
    writeApi(dir, keyedApi(upstream.url));
    const gw = await startGateway({ dir, config: embedded() });
    try {
      await createKey(gw, 'bob-key', { quota_max: 4, quota_renewal_rate: 3600 });
      expect(await call(gw, 'bob-key')).to.equal(200);
      expect(await call(gw, 'bob-key')).to.equal(200);
      const stats = (await (await gw.admin('/tyk/stats')).json()) as { pid: number };
      process.kill(stats.pid, 'SIGKILL');
      await until(async () => {
        const s = await gw.admin('/tyk/stats').then((r) => r.json() as Promise<{ pid: number }>, () => undefined);
        return s !== undefined && s.pid !== stats.pid;
      }, { timeoutMs: 30_000, stepMs: 100, what: 'a new worker' });
      expect(await call(gw, 'bob-key')).to.equal(200);
      expect(await call(gw, 'bob-key')).to.equal(200);
      expect(await call(gw, 'bob-key')).to.equal(403);
    } finally {
      await gw.stop();
    }
  });

  it('a key deleted through the management API is gone after a restart, and its counters with it', async () => {
    const dir = makeWorkspace();
    writeApi(dir, keyedApi(upstream.url));
    let gw = await startGateway({ dir, config: embedded() });
    try {
      await createKey(gw, 'carol-key', { quota_max: 1, quota_renewal_rate: 3600 });
      expect(await call(gw, 'carol-key')).to.equal(200);
      expect((await gw.admin('/tyk/keys/carol-key', { method: 'DELETE' })).status).to.equal(200);
      expect(await call(gw, 'carol-key')).to.equal(403);
    } finally {
      await gw.stop();
    }
    gw = await startGateway({ dir, config: embedded() });
    try {
      expect(await call(gw, 'carol-key')).to.equal(403);
      await createKey(gw, 'carol-key', { quota_max: 1, quota_renewal_rate: 3600 });
      // A fresh key under the old name starts with its full quota, not the deleted key's spent one.
      expect(await call(gw, 'carol-key')).to.equal(200);
    } finally {
      await gw.stop();
    }
  });

  it('hostile key names (long, CR/LF, NUL, percent-encoded, dot segments) are stored and listed exactly', async () => {
    const dir = makeWorkspace();
    writeApi(dir, keyedApi(upstream.url));
    let gw = await startGateway({ dir, config: embedded() });
    const names = ['x'.repeat(3000), 'a%0d%0ab', '..%2F..%2Fetc', 'k\u00e9y-\u2603'];
    try {
      for (const name of names) await createKey(gw, name, {});
      const nul = await gw.admin('/tyk/keys/a%00b', { method: 'POST', body: '{}' });
      expect(nul.status).to.equal(200);
    } finally {
      await gw.stop();
    }
    gw = await startGateway({ dir, config: embedded() });
    try {
      const listed = ((await (await gw.admin('/tyk/keys')).json()) as { keys: string[] }).keys;
      expect(listed).to.include('x'.repeat(3000));
      expect(listed).to.include('k\u00e9y-\u2603');
      // Each name reads back through the path it was created with.
      for (const name of ['x'.repeat(3000), 'k\u00e9y-\u2603']) expect((await gw.admin(`/tyk/keys/${name}`)).status, name.slice(0, 20)).to.equal(200);
      expect(listed.length).to.equal(names.length + 1); // and the NUL name, or not: never a partial entry
      expect(await call(gw, 'x'.repeat(3000))).to.equal(200);
      // Nothing was written outside storage.path.
      expect(fs.readdirSync(path.join(dir, 'data')).sort()).to.deep.equal(['counters', 'sessions']);
    } finally {
      await gw.stop();
    }
  });

  it('a damaged store file is a startup error naming storage.path, not a crash', async () => {
    const dir = makeWorkspace();
    writeApi(dir, keyedApi(upstream.url));
    fs.mkdirSync(path.join(dir, 'data', 'sessions'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'data', 'sessions', 'data.mdb'), Buffer.alloc(20_000, 7));
    fs.writeFileSync(path.join(dir, 'gateway.json'), JSON.stringify({ listen_port: 0, app_path: './apps', ...embedded() }));
    const result = await runCli(['--conf', path.join(dir, 'gateway.json')], dir, 45_000);
    expect(result.code).to.not.equal(0);
    expect(result.signal ?? null).to.equal(null);
    expect(result.out).to.include('storage.path');
    expect(result.out).to.include(path.join(dir, 'data'));
    expect(result.out).to.match(/damaged/);
  });

  it('an unwritable store folder is a startup error naming storage.path', async () => {
    // A path under a regular file cannot be created, even by root (tests may run as root).
    const dir = makeWorkspace();
    writeApi(dir, keyedApi(upstream.url));
    fs.writeFileSync(path.join(dir, 'blocker'), 'a file, not a folder');
    fs.writeFileSync(path.join(dir, 'gateway.json'), JSON.stringify({ listen_port: 0, app_path: './apps', storage: { type: 'embedded', path: './blocker/data' } }));
    const result = await runCli(['--conf', path.join(dir, 'gateway.json')], dir, 45_000);
    expect(result.code).to.not.equal(0);
    expect(result.out).to.include('storage.path');
    expect(result.out).to.include(path.join(dir, 'blocker', 'data'));
  });
});
