import { expect } from 'chai';
import { echoed } from './helpers/http';
import { CLI, repoRoot } from './helpers/paths';
import { until } from './helpers/poll';
import { spawnTracked, type Tracked } from './helpers/processes';

// What the README's first screen promises: `npm start`, then a curl through the demo APIs.
// The demo listens on its fixed ports (8080, echo upstream 18081), as a newcomer would see it.
describe('npm start: the embedded demo', function () {
  let demo: Tracked;

  before(async () => {
    demo = spawnTracked(process.execPath, [CLI], { cwd: repoRoot });
    const state = await until(
      async () => (demo.child.exitCode !== null ? 'exited' : (await fetch('http://127.0.0.1:8080/hello').then((r) => r.status === 200, () => false)) && 'ready'),
      { timeoutMs: 20_000, stepMs: 100 },
    ).catch(() => 'timed out');
    if (state !== 'ready') throw new Error(`demo did not start (${state}):\n${demo.output.join('')}`);
  });

  after(async () => {
    await demo?.stop();
  });

  it('re-executes itself with --no-node-snapshot and serves the keyless echo API', async () => {
    const res = await fetch('http://127.0.0.1:8080/echo/hello');
    expect(res.status).to.equal(200);
    expect((await echoed(res)).url).to.equal('/hello');
  });

  it('runs the JS pre, auth_check and post hooks of the hooked demo API', async () => {
    const res = await fetch('http://127.0.0.1:8080/hooked/hello', { headers: { authorization: 'demo-alice' } });
    expect(res.status).to.equal(200);
    const seen = await echoed(res);
    expect(seen.headers['x-greeting']).to.equal('hello from config_data');
    expect(seen.headers['x-user']).to.equal('alice');
    const refused = await fetch('http://127.0.0.1:8080/hooked/hello', { headers: { authorization: 'nope' } });
    expect(refused.status).to.equal(403);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    demo.child.kill('SIGTERM');
    expect((await demo.exited).code).to.equal(0);
  });
});
