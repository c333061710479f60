// Driver `python` over an API's life: bad plugins fail their own API's load with file, line and
// message (the other APIs load); a missing grpcio says what to install; a reload or an upload
// starts the new process beside the old one and swaps without dropping a request; stopping or
// killing the gateway leaves no Python process behind.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { hostProcessesOf, keepServing, parentOf, plugin, pythonOrSkip, runtimeOf, SOON } from './fixtures/python/harness';
import { hookedApi, makeWorkspace, startGateway, writeApi, writeMiddleware, keylessApi, type ApiDef, type GatewayOptions, type RunningGateway } from './helpers/gateway';
import { readJson, startRecordingServer, tykReply, type RecordingServer } from './helpers/http';
import { sleep, until } from './helpers/poll';
import { isAlive } from './helpers/processes';

const pyApi = (id: string, middleware: Record<string, unknown>) => (target: string): ApiDef => hookedApi(id, target, { driver: 'python', ...middleware });

describe('python driver: loading, reloading and stopping', function () {
  this.timeout(90_000);
  let python: string;
  let upstream: RecordingServer;
  const gateways: RunningGateway[] = [];

  before(async function () {
    python = pythonOrSkip(this);
    upstream = await startRecordingServer();
  });

  afterEach(async () => {
    for (const gw of gateways.splice(0)) await gw.stop();
  });

  after(async () => {
    await upstream?.close();
  });

  async function gateway(dir: string, options: GatewayOptions = {}): Promise<RunningGateway> {
    const gw = await startGateway({ dir, env: { PYTHON: python, ...options.env }, ...options });
    gateways.push(gw);
    return gw;
  }

  const last = () => upstream.requests[upstream.requests.length - 1];

  it('a syntax error, an import error, an undecorated or missing hook and a wrong signature each fail only their API, naming file, line and message', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'py-good/good.py', plugin('good.py'));
    writeMiddleware(dir, 'py-syntax/middleware.py', 'from tyk.decorators import *\n\n@Hook\ndef Broken(request, session, spec)\n    return request, session\n');
    writeMiddleware(dir, 'py-import/middleware.py', 'from tyk.decorators import *\nimport nonexistent_module_xyz\n');
    writeMiddleware(dir, 'py-plain/middleware.py', 'from tyk.decorators import *\n\ndef Plain(request, session, spec):\n    return request, session\n');
    writeMiddleware(dir, 'py-missing/middleware.py', 'from tyk.decorators import *\n');
    writeMiddleware(dir, 'py-args/middleware.py', 'from tyk.decorators import *\n\n@Hook\ndef Short(request, session, spec):\n    return request, session\n');
    for (const make of [
      pyApi('py-good', { pre: [{ name: 'Greet' }] }),
      pyApi('py-syntax', { pre: [{ name: 'Broken' }] }),
      pyApi('py-import', { pre: [{ name: 'Anything' }] }),
      pyApi('py-plain', { pre: [{ name: 'Plain' }] }),
      pyApi('py-missing', { post: [{ name: 'Nope' }] }),
      pyApi('py-args', { response: [{ name: 'Short' }] }),
    ]) writeApi(dir, make(upstream.url));
    writeApi(dir, keylessApi('plain', '/plain/', upstream.url));
    const gw = await gateway(dir);

    expect((await fetch(`${gw.url}/plain/x`)).status).to.equal(200);
    expect((await fetch(`${gw.url}/py-good/x`)).status).to.equal(200);
    expect(last().headers['x-greeting']).to.equal('hello');
    for (const id of ['py-syntax', 'py-import', 'py-plain', 'py-missing', 'py-args']) {
      expect((await fetch(`${gw.url}/${id}/x`)).status, id).to.equal(500);
      // Failed-middleware state (500, never proxied); the runtime endpoint says it failed (the reason is checked below).
      const runtime = await gw.admin(`/tyk/apis/${id}/runtime`);
      expect(runtime.status, id).to.equal(200);
      expect((await readJson<{ status: string }>(runtime)).status, id).to.equal('failed');
    }
    const { message } = await gw.reload();
    const lineOf = (id: string) => (message ?? '').split('\n').find((l) => l.includes(`(api ${id})`)) || '';
    expect(lineOf('py-syntax')).to.include(`${path.join(dir, 'middleware', 'py-syntax', 'middleware.py')}:4: SyntaxError`);
    expect(lineOf('py-import')).to.match(/py-import\/middleware\.py:2: ModuleNotFoundError: No module named 'nonexistent_module_xyz'/);
    expect(lineOf('py-plain')).to.match(/custom_middleware\.pre: "Plain" in .*py-plain\/middleware\.py is not decorated with @Hook/);
    expect(lineOf('py-missing')).to.include('custom_middleware.post: no @Hook function named "Nope"');
    expect(lineOf('py-args')).to.include('hook "Short"').and.include('takes 3 parameters; it must take 5');
    // The start-up log said the same.
    expect(gw.logs.join('')).to.include("No module named 'nonexistent_module_xyz'");
    // A failed API left no process behind: only py-good's host runs.
    const goodPid = (await runtimeOf(gw, 'py-good')).pid;
    expect(hostProcessesOf(parentOf(goodPid))).to.deep.equal([goodPid]);
  });

  it('a broken change on reload keeps the previous version serving, and says why', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'py/good.py', plugin('good.py'));
    writeApi(dir, pyApi('py', { pre: [{ name: 'Greet' }] })(upstream.url));
    const gw = await gateway(dir);
    const before = await runtimeOf(gw, 'py');
    writeMiddleware(dir, 'py/good.py', plugin('good.py').replace('import os\n', 'import os\nimport does_not_exist\n'));
    const { message } = await gw.reload();
    expect(message).to.match(/good\.py:\d+: ModuleNotFoundError: No module named 'does_not_exist' — the previous version keeps serving/);
    expect((await fetch(`${gw.url}/py/x`)).status).to.equal(200);
    const after = await runtimeOf(gw, 'py');
    expect(after.pid).to.equal(before.pid);
    expect(after.apiGeneration).to.equal(before.apiGeneration);
  });

  it('without grpcio the Python API fails to load saying what to install; the other APIs serve', async () => {
    const dir = makeWorkspace();
    // Every interpreter the driver tries sees this "grpc", which cannot be imported.
    const fake = path.join(dir, 'fake-site');
    fs.mkdirSync(path.join(fake, 'grpc'), { recursive: true });
    fs.writeFileSync(path.join(fake, 'grpc', '__init__.py'), 'raise ImportError("No module named grpc (hidden by the test)")\n');
    writeMiddleware(dir, 'py/good.py', plugin('good.py'));
    writeApi(dir, pyApi('py', { pre: [{ name: 'Greet' }] })(upstream.url));
    writeMiddleware(dir, 'hello.js', 'function hello(request) { request.set_headers["X-Js"] = "yes"; }');
    writeApi(dir, keylessApi('js', '/js/', upstream.url, { custom_middleware: { driver: 'isolate', pre: [{ name: 'hello', path: 'hello.js' }] } }));
    const gw = await gateway(dir, { env: { PYTHON: '/nonexistent/python3', PYTHONPATH: fake } });
    expect((await fetch(`${gw.url}/js/x`)).status).to.equal(200);
    expect(last().headers['x-js']).to.equal('yes');
    expect((await fetch(`${gw.url}/py/x`)).status).to.equal(500);
    const { message } = await gw.reload();
    expect(message).to.include('(api py)');
    expect(message).to.include('/nonexistent/python3: not found');
    expect(message).to.include('No module named grpc (hidden by the test)');
    expect(message).to.include('apt-get install python3-grpcio python3-protobuf');
  });

  it('gives each API version its own process, and a reload swaps in the new one without dropping a request', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'py/good.py', plugin('good.py'));
    writeMiddleware(dir, 'py2/good.py', plugin('good.py'));
    writeApi(dir, pyApi('py', { pre: [{ name: 'Greet' }] })(upstream.url));
    writeApi(dir, pyApi('py2', { pre: [{ name: 'Greet' }] })(upstream.url));
    const gw = await gateway(dir);
    const one = await runtimeOf(gw, 'py');
    const two = await runtimeOf(gw, 'py2');
    expect(one.pid).to.not.equal(two.pid);

    const load = keepServing(`${gw.url}/py/x`);
    await sleep(200);
    writeMiddleware(dir, 'py/good.py', plugin('good.py').replace('"hello"', '"hello again"'));
    const report = await gw.reload();
    expect(report.message).to.equal('');
    await sleep(300);
    const statuses = await load.stop();
    expect(statuses.length).to.be.greaterThan(10);
    expect(statuses.filter((s) => s !== 200)).to.deep.equal([]);

    await fetch(`${gw.url}/py/x`);
    expect(last().headers['x-greeting']).to.equal('hello again');
    const reloaded = await runtimeOf(gw, 'py');
    expect(reloaded.pid).to.not.equal(one.pid);
    expect(reloaded.apiGeneration).to.equal(one.apiGeneration + 1);
    // The old version's process stops once its requests are done; py2 was not touched.
    await until(() => expect(isAlive(one.pid)).to.equal(false), SOON);
    expect((await runtimeOf(gw, 'py2')).pid).to.equal(two.pid);
    expect(hostProcessesOf(parentOf(reloaded.pid)).sort()).to.deep.equal([reloaded.pid, two.pid].sort());
  });

  it('an upload through /tyk/apis/{id}/middleware is checked in the process that will serve it', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'py/good.py', plugin('good.py'));
    writeApi(dir, pyApi('py', { pre: [{ name: 'Greet' }] })(upstream.url));
    const gw = await gateway(dir);
    const bad = await gw.admin('/tyk/apis/py/middleware/good.py', { method: 'PUT', body: 'from tyk.decorators import *\n@Hook\ndef Greet(request, session, spec):\n    return request, session +\n' });
    expect(bad.status).to.equal(400);
    expect((await tykReply(bad)).message).to.match(/good\.py:4: SyntaxError/);
    expect(fs.readFileSync(path.join(dir, 'middleware', 'py', 'good.py'), 'utf8')).to.equal(plugin('good.py'));
    const good = await gw.admin('/tyk/apis/py/middleware/good.py', { method: 'PUT', body: plugin('good.py').replace('"hello"', '"uploaded"') });
    expect(good.status).to.equal(200);
    await fetch(`${gw.url}/py/x`);
    expect(last().headers['x-greeting']).to.equal('uploaded');
    const listed = await readJson<{ files: { name: string }[] }>(await gw.admin('/tyk/apis/py/middleware'));
    expect(listed.files.map((f) => f.name)).to.deep.equal(['good.py']);
    expect((await gw.admin('/tyk/apis/py/middleware/..%2Fevil.py', { method: 'PUT', body: 'x = 1\n' })).status).to.equal(400);
  });

  it('stops every Python process with the gateway', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'py/good.py', plugin('good.py'));
    writeApi(dir, pyApi('py', { pre: [{ name: 'Greet' }] })(upstream.url));
    const gw = await gateway(dir);
    const { pid } = await runtimeOf(gw, 'py');
    expect(isAlive(pid)).to.equal(true);
    expect(await gw.stop()).to.equal(0);
    await until(() => expect(isAlive(pid)).to.equal(false), { ...SOON, timeoutMs: 5000 });
  });

  it('leaves no Python process behind when the gateway is killed with SIGKILL', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'py/good.py', plugin('good.py'));
    writeApi(dir, pyApi('py', { pre: [{ name: 'Greet' }] })(upstream.url));
    const gw = await startGateway({ dir, env: { PYTHON: python }, supervise: false });
    gateways.push(gw);
    const killed = new Promise((resolve) => gw.child.once('exit', resolve));
    let pid = 0;
    try {
      pid = (await runtimeOf(gw, 'py')).pid;
      expect(parentOf(pid)).to.equal(gw.child.pid);
    } finally {
      gw.child.kill('SIGKILL');
      await killed;
    }
    await until(() => expect(isAlive(pid)).to.equal(false), { ...SOON, timeoutMs: 5000 });
  });
});
