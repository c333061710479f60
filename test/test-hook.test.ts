import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { hookedApi, makeWorkspace, runCli } from './helpers/gateway';
import { fromRoot } from './helpers/paths';

interface TestHookResult {
  upstream_request: { method: string; path: string; headers: Record<string, string>; body: string } | null;
  response: { status: number; body: string };
  short_circuit: boolean;
  session: { before: Record<string, unknown>; after: Record<string, unknown> | null; changed: string[] } | null;
  events: { type: string; meta: Record<string, unknown> }[];
  logs: { msg: string; stack?: string }[];
}

const DEMO_API = fromRoot('middleware', 'default', 'apps', 'hooked.json');

describe('isogate test-hook', function () {
  this.timeout(60_000);
  const dir = makeWorkspace();
  const file = (name: string, value: unknown) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
    return p;
  };
  const run = async (args: string[]) => {
    const r = await runCli(['test-hook', ...args], dir, 50_000);
    let result: TestHookResult | undefined;
    if (args.includes('--json')) {
      try {
        result = JSON.parse(r.stdout) as TestHookResult;
      } catch {
        throw new Error(`test-hook exited ${r.code} without JSON:\n${r.out}`);
      }
    }
    return { code: r.code, text: r.stdout, result };
  };

  it('the demo API\'s whole chain: the upstream request with the hooks\' headers, events, exit 0', async () => {
    const req = file('alice.json', { method: 'POST', path: '/hooked/hello?x=1', headers: { Authorization: 'demo-alice' }, body: 'hi' });
    const { code, result } = await run(['--api', DEMO_API, '--request', req, '--json']);
    expect(code).to.equal(0);
    const up = result!.upstream_request!;
    expect(up.method).to.equal('POST');
    expect(up.path).to.equal('/hello?x=1');
    expect(up.headers['x-greeting']).to.equal('hello from config_data');
    expect(up.headers['x-user']).to.equal('alice');
    expect(up.body).to.equal('hi');
    expect(result!.short_circuit).to.equal(false);
    expect(result!.events.map((e) => e.type)).to.include('DemoLogin');
  });

  it('a refused token is the short-circuit answer (not a hook failure: exit 0)', async () => {
    const req = file('nope.json', { path: '/hooked/', headers: { Authorization: 'nope' } });
    const { code, result, text } = await run(['--api', DEMO_API, '--request', req, '--json']);
    expect(code).to.equal(0);
    expect(result!.upstream_request).to.equal(null);
    expect(result!.short_circuit).to.equal(true);
    expect(result!.response.status).to.equal(403);
    expect(result!.response.body).to.include('demo tokens start with');
    expect(result!.events.map((e) => e.type)).to.include('AuthFailure');
    expect(text).to.not.include('"level"');
  });

  it('--hook pre runs only the pre hook (keyless); text output', async () => {
    const req = file('plain.json', { path: '/hooked/a' });
    const { code, text } = await run(['--api', DEMO_API, '--request', req, '--hook', 'pre']);
    expect(code).to.equal(0);
    expect(text).to.include('upstream request: GET /a');
    expect(text).to.include('x-greeting: hello from config_data');
    expect(text).to.not.include('x-user');
    expect(text).to.include('events: none');
  });

  it('--session: post hooks see it, its changes are listed', async () => {
    fs.mkdirSync(path.join(dir, 'mw'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'mw', 'post.js'), "function tag(request, session) { request.set_headers['X-Rate'] = String(session.rate); console.log('tagged ' + session.rate); }\n");
    const conf = file('conf.json', { middleware_path: './mw' });
    const api = file('api.json', hookedApi('sess', 'http://127.0.0.1:9', { driver: 'isolate', post: [{ name: 'tag', path: 'post.js' }] }, { use_keyless: false }));
    const req = file('r.json', { path: '/sess/x' });
    const session = file('s.json', { rate: 7, per: 1, quota_max: 10, quota_remaining: 10, quota_renewal_rate: 3600, access_rights: {} });
    const { code, result } = await run(['--api', api, '--request', req, '--session', session, '--hook', 'post', '--conf', conf, '--json']);
    expect(code).to.equal(0);
    expect(result!.upstream_request!.headers['x-rate']).to.equal('7');
    expect(result!.session!.changed).to.include('quota_remaining');
    expect(result!.logs.map((l) => l.msg).join('\n')).to.include('tagged 7');
  });

  it('a hook that throws: exit 1, the failure in events and logs', async () => {
    fs.mkdirSync(path.join(dir, 'mw'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'mw', 'throw.js'), "function bad(request) {\n  throw new Error('broken on purpose');\n}\n");
    const conf = file('conf2.json', { middleware_path: './mw', isolate_options: { hook_timeout_ms: 200 } });
    const api = file('bad.json', hookedApi('bad', 'http://127.0.0.1:9', { driver: 'isolate', pre: [{ name: 'bad', path: 'throw.js' }] }));
    const req = file('r2.json', { path: '/bad/' });
    const { code, result } = await run(['--api', api, '--request', req, '--conf', conf, '--json']);
    expect(code).to.equal(1);
    expect(result!.response.status).to.equal(500);
    expect(result!.events.map((e) => e.type)).to.include('MiddlewareError');
    expect(result!.logs.some((l) => l.msg.includes('broken on purpose') && /throw\.js:2:\d+/.test(l.stack ?? ''))).to.equal(true);
  });

  it('bad usage is exit 2: missing --api, unknown --hook, unreadable files', async () => {
    expect((await runCli(['test-hook', '--request', 'x.json'], dir)).code).to.equal(2);
    const req = file('ok.json', { path: '/hooked/' });
    const unknownHook = await runCli(['test-hook', '--api', DEMO_API, '--request', req, '--hook', 'pre\r\nx'], dir);
    expect(unknownHook.code).to.equal(2);
    expect(unknownHook.out).to.include('--hook: one of');
    const missing = await runCli(['test-hook', '--api', path.join(dir, 'nope.json'), '--request', req], dir);
    expect(missing.code).to.equal(2);
    expect(missing.out).to.include('nope.json');
  });
});
