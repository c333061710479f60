import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { hookedApi, keylessApi, makeWorkspace, runCli, startGateway, writeApi, writeMiddleware } from './helpers/gateway';
import { fromRoot } from './helpers/paths';

const pkg = JSON.parse(fs.readFileSync(fromRoot('package.json'), 'utf8')) as { version: string };

function writeConf(dir: string, extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, 'gateway.json');
  fs.writeFileSync(file, JSON.stringify({ listen_port: 0, app_path: './apps', middleware_path: './middleware', ...extra }));
  return file;
}

describe('isogate CLI: help, version, unknown options', function () {
  const dir = makeWorkspace();

  it('--help lists every command and option, exit 0', async () => {
    const { code, stdout } = await runCli(['--help'], dir);
    expect(code).to.equal(0);
    for (const text of ['--conf FILE', '--no-supervisor', '--help', '--version', 'isogate check --conf FILE', 'isogate bundle build', 'isogate bundle verify']) expect(stdout).to.include(text);
    expect((await runCli(['check', '--help'], dir)).code).to.equal(0);
  });

  it('--version prints the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const { code, stdout } = await runCli([flag], dir);
      expect(code).to.equal(0);
      expect(stdout).to.equal(`isogate ${pkg.version}\n`);
    }
  });

  it('unknown options, stray arguments and missing values are errors (exit 2) naming the problem', async () => {
    const cases: [string[], string][] = [
      [['--bogus'], "'--bogus'"],
      [['--conf'], "'-c, --conf"],
      [['--conf='], '--conf needs a file'],
      [['serve'], "'serve'"],
      [['--no-supervisor', '--conf', 'x.json', '--colour'], "'--colour'"],
      [['check'], 'check: --conf FILE is required'],
      [['check', '--conf', 'x.json', '--fast'], "'--fast'"],
      [['--conf\r\n', 'x'], 'Unknown option'],
    ];
    for (const [args, text] of cases) {
      const { code, out } = await runCli(args, dir);
      expect(code, args.join(' ')).to.equal(2);
      expect(out, args.join(' ')).to.include(text);
      expect(out, args.join(' ')).to.include('Usage:');
    }
  });
});

describe('isogate check --conf FILE', function () {
  this.timeout(60_000);

  it('passes a good config: exit 0, names the APIs that would load', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'ok.js', 'function ok(request) { return { request }; }');
    writeApi(dir, keylessApi('plain', '/plain/', 'http://127.0.0.1:9'));
    writeApi(dir, hookedApi('hooked', 'http://127.0.0.1:9', { driver: 'isolate', pre: [{ name: 'ok', path: 'ok.js' }] }));
    const { code, stdout } = await runCli(['check', '--conf', writeConf(dir)], dir);
    expect(code).to.equal(0);
    expect(stdout).to.include('2 API(s) would load: hooked, plain');
  });

  it('finds broken definitions and middleware with startup\'s messages, exit 1', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'syntax.js', 'function broken(request) {\n  return { request ;\n}');
    writeMiddleware(dir, 'ok.js', 'function ok(request) { return { request }; }');
    writeApi(dir, keylessApi('good', '/good/', 'http://127.0.0.1:9'));
    writeApi(dir, hookedApi('syntax', 'http://127.0.0.1:9', { driver: 'isolate', pre: [{ name: 'broken', path: 'syntax.js' }] }));
    writeApi(dir, hookedApi('missing-fn', 'http://127.0.0.1:9', { driver: 'isolate', pre: [{ name: 'nope', path: 'ok.js' }] }));
    writeApi(dir, { api_id: 'no-target', proxy: { listen_path: '/nt/' } });
    fs.writeFileSync(path.join(dir, 'apps', 'not-json.json'), '{ "api_id": ');
    const conf = writeConf(dir);
    const { code, stdout, out } = await runCli(['check', '--conf', conf], dir);
    expect(code).to.equal(1);
    expect(stdout).to.include('1 API(s) would load: good');
    const stderr = out;
    expect(stderr).to.match(/syntax\.js:2:\d+/);
    expect(stderr).to.include('nope');
    expect(stderr).to.include('not-json.json');
    expect(stderr).to.include('no-target.json');
    // A gateway started on the same files logs the same lines (and serves `good`).
    const gw = await startGateway({ dir, supervise: false });
    try {
      const problems = out.split('\n').filter((l) => l.includes('.json') && !l.includes('would load') && !l.includes('config OK'));
      expect(problems.length).to.be.at.least(4);
      for (const line of problems) await gw.waitForLog(JSON.stringify(line).slice(1, -1).slice(0, 80));
      expect((await fetch(`${gw.url}/good/x`)).status).to.equal(502);
    } finally {
      await gw.stop();
    }
  });

  it('a bad config is exit 1 naming the file and key; a missing one too', async () => {
    const dir = makeWorkspace();
    const conf = writeConf(dir, { listen_port: 'eighty' });
    const bad = await runCli(['check', '--conf', conf], dir);
    expect(bad.code).to.equal(1);
    expect(bad.out).to.include(conf).and.include('listen_port');
    const missing = await runCli(['check', '--conf', path.join(dir, 'nope.json')], dir);
    expect(missing.code).to.equal(1);
    expect(missing.out).to.include('nope.json');
  });
});
