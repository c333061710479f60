'use strict';
const { expect } = require('chai');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { ROOT } = require('./helpers/gateway');

// What the README's first screen promises: `npm start`, then a curl through the demo APIs.
// The demo listens on its fixed ports (8080, echo upstream 18081), as a newcomer would see it.
describe('npm start: the embedded demo', function () {
  let child;
  const logs = [];

  before(async () => {
    child = spawn(process.execPath, [path.join(ROOT, 'dist', 'src', 'cli.js')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => logs.push(String(d)));
    child.stderr.on('data', (d) => logs.push(String(d)));
    const deadline = Date.now() + 20000;
    for (;;) {
      const ok = await fetch('http://127.0.0.1:8080/hello').then((r) => r.status === 200, () => false);
      if (ok) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`demo did not start:\n${logs.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('re-executes itself with --no-node-snapshot and serves the keyless echo API', async () => {
    const res = await fetch('http://127.0.0.1:8080/echo/hello');
    expect(res.status).to.equal(200);
    expect((await res.json()).url).to.equal('/hello');
  });

  it('runs the JS pre, auth_check and post hooks of the hooked demo API', async () => {
    const res = await fetch('http://127.0.0.1:8080/hooked/hello', { headers: { authorization: 'demo-alice' } });
    expect(res.status).to.equal(200);
    const seen = await res.json();
    expect(seen.headers['x-greeting']).to.equal('hello from config_data');
    expect(seen.headers['x-user']).to.equal('alice');
    const refused = await fetch('http://127.0.0.1:8080/hooked/hello', { headers: { authorization: 'nope' } });
    expect(refused.status).to.equal(403);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).to.equal(0);
  });
});
