// Tyk security policies from files (#20 part C): `policies.policy_source: "file"` with
// `policy_record_name` (one JSON object keyed by id) and `policy_path` (a folder, one policy per
// file), GET /tyk/policies, and a session's `apply_policies` (from /tyk/keys or an auth_check
// plugin) applying rate, quota, access rights and tags with Tyk's `partitions` rules. Real
// gateways, real policy and key files, a real isolate and a real upstream.
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hookedApi, keylessApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type ApiDef, type RunningGateway } from './helpers/gateway';
import { readJson, startRecordingServer, tykError, type RecordingServer } from './helpers/http';

const access = (...apis: string[]) => Object.fromEntries(apis.map((id) => [id, { api_id: id, api_name: id, versions: ['Default'] }]));

const RECORD = {
  'pol-full': { name: 'everything', org_id: 'org1', rate: 3, per: 60, quota_max: 50, quota_renewal_rate: 3600, access_rights: access('api-a'), tags: ['gold'], meta_data: { tier: 'gold' } },
  'pol-acl-b': { org_id: 'org1', access_rights: access('api-b'), partitions: { acl: true } },
  'pol-rate-b': { org_id: 'org1', rate: 1000, per: 1, access_rights: access('api-b'), partitions: { rate_limit: true } },
  'pol-quota-b': { org_id: 'org1', quota_max: 2, quota_renewal_rate: 3600, access_rights: access('api-b'), partitions: { quota: true } },
  'pol-other-org': { org_id: 'org2', rate: 1000, per: 1, access_rights: access('api-a') },
  'pol-plugin': { org_id: 'org1', rate: 2, per: 60, quota_max: -1, access_rights: access('api-plugin'), tags: ['plugin'] },
};

const FOLDER_POLICY = { id: 'pol-dir', org_id: 'org1', rate: 100, per: 1, quota_max: -1, access_rights: access('api-a'), tags: ['from-dir'] };

const HOOKS = `
function showSession(request, session) {
  request.set_headers['X-Tags'] = (session.tags || []).slice().sort().join(',');
  request.set_headers['X-Tier'] = (session.metadata || {}).tier || '';
}
function auth(request) {
  const token = request.headers['Authorization'];
  if (!token) return { request };
  return { request, session: { rate: 1, per: 3600, quota_max: 1, apply_policies: ['pol-plugin'] }, metadata: { token } };
}
`;

function tokenApi(apiId: string, target: string, extra: Record<string, unknown> = {}): ApiDef {
  return { ...keylessApi(apiId, `/${apiId}/`, target), use_keyless: false, ...extra };
}

function writePolicies(dir: string): void {
  fs.writeFileSync(path.join(dir, 'policies.json'), JSON.stringify(RECORD, null, 2));
  fs.mkdirSync(path.join(dir, 'policies'));
  fs.writeFileSync(path.join(dir, 'policies', 'dir.json'), JSON.stringify(FOLDER_POLICY));
}

const POLICY_CONFIG = { policies: { policy_source: 'file', policy_record_name: 'policies.json', policy_path: 'policies' } };

describe('policies from files', function () {
  this.timeout(60_000);
  let upstream: RecordingServer;
  let gw: RunningGateway;

  const createKey = async (key: string, session: Record<string, unknown>): Promise<void> => {
    const res = await gw.admin(`/tyk/keys/${key}`, { method: 'POST', body: JSON.stringify({ org_id: 'org1', ...session }) });
    expect(res.status, await res.clone().text()).to.equal(200);
  };
  const get = (p: string, key: string) => fetch(`${gw.url}${p}`, { headers: { Authorization: key } });

  before(async () => {
    upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writePolicies(dir);
    writeMiddleware(dir, 'hooks.js', HOOKS);
    writeApi(dir, tokenApi('api-a', upstream.url, { custom_middleware: { driver: 'isolate', post: [{ name: 'showSession', path: 'hooks.js' }] } }));
    writeApi(dir, tokenApi('api-b', upstream.url));
    writeApi(dir, { ...hookedApi('api-plugin', upstream.url, { driver: 'isolate', auth_check: { name: 'auth', path: 'hooks.js' } }), use_keyless: false, enable_coprocess_auth: true });
    gw = await startGateway({ dir, config: POLICY_CONFIG });
  });
  after(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  it('GET /tyk/policies lists the policies of both sources; GET /tyk/policies/{id} reads one', async () => {
    const list = await readJson<{ id: string }[]>(await gw.admin('/tyk/policies'));
    expect(list.map((p) => p.id).sort()).to.deep.equal([...Object.keys(RECORD), 'pol-dir'].sort());
    const one = await readJson<{ id: string; name: string; rate: number }>(await gw.admin('/tyk/policies/pol-full'));
    expect(one).to.include({ id: 'pol-full', name: 'everything', rate: 3 });
    const missing = await gw.admin('/tyk/policies/nope');
    expect(missing.status).to.equal(404);
    expect(await readJson<{ message: string }>(missing)).to.deep.equal({ status: 'error', message: 'Policy not found' });
    expect((await fetch(`${gw.url}/tyk/policies`)).status, 'the secret is required').to.equal(403);
    expect((await gw.admin('/tyk/policies/pol-full', { method: 'DELETE' })).status).to.equal(405);
  });

  it('a policy without partitions sets rate, access rights, tags and meta_data', async () => {
    await createKey('full-key', { rate: 1000, per: 1, apply_policies: ['pol-full'], tags: ['own'] });
    upstream.requests.length = 0;
    const first = await get('/api-a/one', 'full-key');
    expect(first.status).to.equal(200);
    await first.arrayBuffer();
    const seen = await upstream.waitFor((r) => r.url === '/one');
    expect(seen.headers['x-tags']).to.equal('gold,own');
    expect(seen.headers['x-tier']).to.equal('gold');
    // The key's own rate (1000/s) is replaced by the policy's: 3 per minute.
    for (let i = 0; i < 2; i++) expect((await get('/api-a/more', 'full-key')).status).to.equal(200);
    const limited = await get('/api-a/more', 'full-key');
    expect(limited.status).to.equal(429);
    expect(await tykError(limited)).to.equal('Rate limit exceeded');
    // Access rights come from the policy: api-b is not in them.
    const other = await get('/api-b/x', 'full-key');
    expect(other.status).to.equal(403);
    expect(await tykError(other)).to.equal('Access to this API has been disallowed');
    expect(upstream.requests.filter((r) => r.url === '/x')).to.deep.equal([]);
    // The stored key itself is unchanged: policies apply at request time.
    const stored = await readJson<{ rate: number; apply_policies: string[] }>(await gw.admin('/tyk/keys/full-key?api_id=api-a'));
    expect(stored.rate).to.equal(1000);
  });

  it('partitions: ACL, rate and quota each from their own policy', async () => {
    await createKey('parts-key', { rate: 1, per: 3600, quota_max: 1000, apply_policies: ['pol-acl-b', 'pol-rate-b', 'pol-quota-b'] });
    upstream.requests.length = 0;
    expect((await get('/api-b/p1', 'parts-key')).status).to.equal(200);
    // rate 1000/s from pol-rate-b (the key's own 1 per hour would already refuse this one)
    expect((await get('/api-b/p2', 'parts-key')).status).to.equal(200);
    // quota 2 from pol-quota-b
    const over = await get('/api-b/p3', 'parts-key');
    expect(over.status).to.equal(403);
    expect(await tykError(over)).to.equal('Quota exceeded');
    expect(upstream.requests.map((r) => r.url)).to.deep.equal(['/p1', '/p2']);
    // ACL from pol-acl-b only: api-a is out.
    expect((await get('/api-a/p4', 'parts-key')).status).to.equal(403);
  });

  it('a policy from the policy_path folder applies too', async () => {
    await createKey('dir-key', { apply_policies: ['pol-dir'] });
    const res = await get('/api-a/dir', 'dir-key');
    expect(res.status).to.equal(200);
    await res.arrayBuffer();
    expect((await upstream.waitFor((r) => r.url === '/dir')).headers['x-tags']).to.equal('from-dir');
  });

  it('an unknown policy id on a key is 403, with a log line naming it', async () => {
    await createKey('ghost-key', { apply_policies: ['no-such-policy'] });
    upstream.requests.length = 0;
    const res = await get('/api-b/ghost', 'ghost-key');
    expect(res.status).to.equal(403);
    expect(await tykError(res)).to.equal('Access to this API has been disallowed');
    expect(upstream.requests).to.deep.equal([]);
    await gw.waitForLog('policy not found: \\"no-such-policy\\"');
  });

  it("a key of org1 applying org2's policy is refused: org boundaries hold", async () => {
    await createKey('cross-key', { apply_policies: ['pol-other-org'] });
    upstream.requests.length = 0;
    const res = await get('/api-a/cross', 'cross-key');
    expect(res.status).to.equal(403);
    await res.arrayBuffer();
    expect(upstream.requests).to.deep.equal([]);
    await gw.waitForLog('policy \\"pol-other-org\\" belongs to org \\"org2\\"');
  });

  it("an auth_check plugin's session with apply_policies gets the policy's limits", async () => {
    upstream.requests.length = 0;
    // The plugin's own values (1 per hour, quota 1) are replaced by pol-plugin's (2 per minute, no quota).
    expect((await get('/api-plugin/1', 'plug-token')).status).to.equal(200);
    expect((await get('/api-plugin/2', 'plug-token')).status).to.equal(200);
    const third = await get('/api-plugin/3', 'plug-token');
    expect(third.status).to.equal(429);
    await third.arrayBuffer();
    expect(upstream.requests.map((r) => r.url)).to.deep.equal(['/1', '/2']);
  });
});

describe('bad policy files stop startup, naming the file and the policy', function () {
  this.timeout(90_000);

  async function startupError(prepare: (dir: string) => void, policies: Record<string, unknown> = POLICY_CONFIG.policies): Promise<string> {
    const dir = makeWorkspace();
    writePolicies(dir);
    prepare(dir);
    // Log lines are JSON, so quotes arrive escaped: compare with them unescaped.
    return startGateway({ dir, config: { policies } }).then(
      async (g) => {
        await g.stop();
        return 'started';
      },
      (err: Error) => err.message.replace(/\\"/g, '"'),
    );
  }
  const setRecord = (dir: string, record: unknown) => fs.writeFileSync(path.join(dir, 'policies.json'), typeof record === 'string' ? record : JSON.stringify(record));

  it('a field of the wrong type', async () => {
    const message = await startupError((dir) => setRecord(dir, { ...RECORD, 'pol-bad': { org_id: 'org1', rate: 'fast' } }));
    expect(message).to.match(/policies\.json \(policy "pol-bad"\): rate: must be number/);
  });

  it('invalid JSON, and a record file that is not an object', async () => {
    expect(await startupError((dir) => setRecord(dir, '{"p": '))).to.include('policies.json: invalid JSON');
    expect(await startupError((dir) => setRecord(dir, [RECORD['pol-full']]))).to.include('must be a JSON object of policies keyed by id');
  });

  it('policy ids with CR, LF, NUL or ".." are refused', async () => {
    for (const id of ['bad\r\nid', 'nul\0id', '..']) {
      const message = await startupError((dir) => setRecord(dir, { [id]: { org_id: 'org1', access_rights: access('api-a') } }));
      expect(message, JSON.stringify(id)).to.include('policies.json: policy id');
    }
    const inFolder = await startupError((dir) => fs.writeFileSync(path.join(dir, 'policies', 'x.json'), JSON.stringify({ id: 'x\r\n', org_id: 'org1' })));
    expect(inFolder).to.include(`${path.join('policies', 'x.json')}: policy id`);
  });

  it('a policy file over the size limit is refused unread', async () => {
    const message = await startupError((dir) => setRecord(dir, JSON.stringify({ big: { org_id: 'org1', name: 'x'.repeat(5 * 1024 * 1024) } })));
    expect(message).to.include('policies.json').and.include('over the 4194304-byte limit');
  });

  it('a file in policy_path that is a symlink out of the folder is refused', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'isogate-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.json'), JSON.stringify({ id: 'stolen', org_id: 'org1' }));
    const message = await startupError((dir) => fs.symlinkSync(path.join(outside, 'secret.json'), path.join(dir, 'policies', 'link.json')));
    expect(message).to.include('link.json').and.include('outside the policy folder');
  });

  it('the same id twice, and per_api partitions (not supported) are named', async () => {
    const twice = await startupError((dir) => fs.writeFileSync(path.join(dir, 'policies', 'again.json'), JSON.stringify({ id: 'pol-full', org_id: 'org1' })));
    expect(twice).to.include('policy "pol-full"').and.include('already defined');
    const perApi = await startupError((dir) => setRecord(dir, { p: { org_id: 'org1', partitions: { per_api: true } } }));
    expect(perApi).to.include('(policy "p"): partitions.per_api');
  });

  it('policy_source "file" without a file or folder', async () => {
    expect(await startupError(() => undefined, { policy_source: 'file' })).to.include('policies.policy_record_name');
  });
});
