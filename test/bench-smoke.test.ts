// Keeps `npm run bench` from rotting: the smoke mode runs every part of the bench (floor proxy,
// gateway systems, micro figures) for a few seconds, and must exit 0 with its tables and JSON.
import { expect } from 'chai';
import fs from 'node:fs';
import { fromRoot, repoRoot } from './helpers/paths';
import { runToEnd } from './helpers/processes';

/** The bench's JSON result, as far as this test reads it. */
interface BenchResult {
  systems: { id: string; reqPerSec: number }[];
  micro: { dispatch: { roundTrip: { medianUs: number } }; rss: { loaded: boolean }[] };
}

// The bench runs in its own process group with the gateways it starts: a timeout kills them all.
function runBench(args: string[], timeoutMs: number) {
  return runToEnd(process.execPath, ['--no-node-snapshot', fromRoot('bench', 'run.mjs'), ...args], { cwd: repoRoot, timeoutMs });
}

describe('npm run bench -- --smoke', function () {
  this.timeout(120_000);
  this.slow(30_000);

  it('exits 0, prints the systems and micro tables, and writes the JSON result', async () => {
    const { code, out } = await runBench(['--smoke'], 110_000);
    expect(code, out).to.equal(0);
    expect(out).to.match(/^command: /m);
    expect(out).to.match(/^machine: .+ cores/m);
    expect(out).to.include('| system | req/s | p50 ms | p99 ms | × (a), median (range) |');
    for (const id of ['a', 'b', 'c']) expect(out).to.match(new RegExp(`^\\| \\(${id}\\) \\| .+ \\| [\\d,]+ \\|`, 'm'));
    expect(out).to.include('hook dispatch round trip');
    expect(out).to.include('cold start');
    expect(out).to.include('RSS per hooked API at 10 APIs');
    expect(out).to.include('TykTriggerEvent');

    const file = /^results: (.+\.json)$/m.exec(out)?.[1];
    expect(file, out).to.be.a('string');
    const full = fromRoot(file!);
    try {
      const result = JSON.parse(fs.readFileSync(full, 'utf8')) as BenchResult;
      expect(result.systems.map((s) => s.id)).to.deep.equal(['a', 'b', 'c']);
      for (const s of result.systems) expect(s.reqPerSec, s.id).to.be.above(0);
      expect(result.micro.dispatch.roundTrip.medianUs).to.be.above(0);
      expect(result.micro.rss[0]!.loaded).to.equal(true);
    } finally {
      fs.rmSync(full, { force: true });
    }
  });
});
