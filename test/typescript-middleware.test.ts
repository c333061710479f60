import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { hookedApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { echoed, startRecordingServer, tykReply, type RecordingServer } from './helpers/http';
import { runToEnd } from './helpers/processes';
import { fromRoot } from './helpers/paths';

// Type-only constructs on the first lines: the compiled code is shorter, so a runtime error's
// line differs between the .ts file and what the isolate ran (the stack must say the .ts line).
const TYPED = `interface Greeting {
  text: string;
  times: number;
}
type Req = Isogate.MiniRequestObject;

function greet(request: Req, session: unknown, metadata: Record<string, string>, spec: Record<string, string>): { request: Req } {
  const g: Greeting = { text: 'typed', times: 2 };
  request.set_headers['X-Typed'] = g.text.repeat(g.times) as string;
  if (request.headers['X-Boom']) {
    throw new Error('boom from typescript');
  }
  return { request };
}
`;
const THROW_LINE = 11;

describe('TypeScript middleware (.ts, compiled at load)', function () {
  let upstream: RecordingServer;
  let gw: RunningGateway;

  before(async () => {
    upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'greet.ts', TYPED);
    writeApi(dir, hookedApi('ts', upstream.url, { driver: 'isolate', pre: [{ name: 'greet', path: 'greet.ts' }] }));
    writeApi(dir, hookedApi('up', upstream.url, { driver: 'isolate', pre: [{ name: 'tag' }] }));
    writeMiddleware(dir, 'up/tag.js', "function tag(request) { request.set_headers['X-Version'] = 'js'; }\n");
    gw = await startGateway({ dir, supervise: false });
  });

  after(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  it('a .ts hook with type annotations runs', async () => {
    const res = await fetch(`${gw.url}/ts/x`);
    expect(res.status).to.equal(200);
    expect((await echoed(res)).headers['x-typed']).to.equal('typedtyped');
  });

  it('a runtime error is logged with the TypeScript line', async () => {
    const res = await fetch(`${gw.url}/ts/x`, { headers: { 'x-boom': '1' } });
    expect(res.status).to.equal(500);
    await gw.waitForLog('boom from typescript');
    const line = gw.logs.join('').split('\n').find((l) => l.includes('boom from typescript') && l.includes('"stack"'))!;
    const stack = (JSON.parse(line) as { stack: string }).stack;
    expect(stack).to.match(new RegExp(`greet\\.ts:${THROW_LINE}:\\d+`));
  });

  it('an upload with a type-only annotation works and replaces the JS hook', async () => {
    const code = "function tag(request: Isogate.MiniRequestObject): void {\n  const v: string = 'ts';\n  request.set_headers['X-Version'] = v;\n}\n";
    const put = await gw.admin('/tyk/apis/up/middleware/tag.ts', { method: 'PUT', body: code });
    expect(put.status, (await tykReply(put.clone())).message).to.equal(200);
    expect((await gw.admin('/tyk/apis/up/middleware/tag.js', { method: 'DELETE' })).status).to.equal(200);
    const res = await fetch(`${gw.url}/up/x`);
    expect((await echoed(res)).headers['x-version']).to.equal('ts');
    expect(fs.readFileSync(path.join(gw.dir, 'middleware', 'up', 'tag.ts'), 'utf8')).to.equal(code);
  });

  it('an upload with a syntax error is a 400 naming file:line:col, and nothing changes', async () => {
    const code = "function tag(request: Isogate.MiniRequestObject): void {\n  const v: string = 'x';\n  request.set_headers['X-Version'] = v +;\n}\n";
    const put = await gw.admin('/tyk/apis/up/middleware/broken.ts', { method: 'PUT', body: code });
    expect(put.status).to.equal(400);
    expect((await tykReply(put)).message).to.match(/broken\.ts:3:\d+: does not compile/);
    expect(fs.existsSync(path.join(gw.dir, 'middleware', 'up', 'broken.ts'))).to.equal(false);
    expect((await echoed(await fetch(`${gw.url}/up/x`))).headers['x-version']).to.equal('ts');
  });

  it('hostile names: ".ts" alone, a traversal and a NUL are refused', async () => {
    for (const name of ['.ts', '..%2Fx.ts', 'x%00.ts', 'x.ts.exe']) {
      const put = await gw.admin(`/tyk/apis/up/middleware/${name}`, { method: 'PUT', body: 'const a: number = 1;' });
      expect(put.status, name).to.be.oneOf([400, 404]);
    }
  });

  it('publishes the middleware types as isogate/types for editors', async function () {
    this.timeout(120_000);
    const dir = makeWorkspace();
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(fromRoot(), path.join(dir, 'node_modules', 'isogate'));
    fs.writeFileSync(path.join(dir, 'hook.ts'), `/// <reference types="isogate/types" />\n${TYPED}\nconst bad: Isogate.MiniRequestObject = { nope: 1 };\n`);
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', types: [], lib: ['ES2022'] }, files: ['hook.ts'] }));
    const r = await runToEnd(process.execPath, [fromRoot('node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir, timeoutMs: 110_000 });
    // lib ES2022 without DOM: an isolate has no DOM, and the types declare its own console.
    // The types resolve (no TS2688 "cannot find type definition"), and they check: the one
    // deliberate mistake is the only error.
    expect(r.out).to.not.include('TS2688');
    expect(r.out).to.include("'nope' does not exist in type");
    expect(r.out.match(/error TS/g)).to.have.length(1);
  });
});
