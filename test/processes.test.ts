// No process a test starts outlives it (helpers/processes.ts): each runs in its own process
// group, and stopping it, or the run's cleanup after a test that did not, ends the whole group.
// A supervised gateway is the case that used to leak: its worker is the supervisor's child.
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGateway } from './helpers/gateway';
import { fromRoot, repoRoot } from './helpers/paths';
import { until } from './helpers/poll';
import { groupMembers, isAlive, runToEnd } from './helpers/processes';

/** Run the fixture in a child mocha, as `npm test` runs a file; resolves with its run and the pids it left. */
async function leaveRunning(by: 'timeout' | 'exit') {
  const pidsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'isogate-pids-')), 'pids.json');
  const run = await runToEnd(process.execPath, [fromRoot('node_modules', 'mocha', 'bin', 'mocha.js'), fromRoot('dist', 'test', 'fixtures', 'processes', 'leave-running.js')], {
    cwd: repoRoot,
    env: { ...process.env, ISOGATE_PIDS_FILE: pidsFile, LEAVE_BY: by },
    timeoutMs: 50_000,
  });
  const pids = fs.existsSync(pidsFile) ? (JSON.parse(fs.readFileSync(pidsFile, 'utf8')) as number[]) : [];
  fs.rmSync(path.dirname(pidsFile), { recursive: true, force: true });
  return { run, pids };
}

/** The pids still alive, after giving a SIGKILL already sent a moment to land. */
async function survivors(pids: number[]): Promise<number[]> {
  await until(() => pids.every((pid) => !isAlive(pid)), { timeoutMs: 2000, stepMs: 20 }).catch(() => undefined);
  return pids.filter(isAlive);
}

describe('processes started by tests', function () {
  this.timeout(60_000);

  it('stop() ends the whole process group of a supervised gateway, worker included', async () => {
    const gw = await startGateway();
    const pids = groupMembers(gw.process.pid);
    expect(pids, 'the supervisor and its worker').to.have.length.of.at.least(2);
    expect(pids).to.include(gw.process.pid);
    expect(await gw.stop()).to.equal(0);
    expect(pids.filter(isAlive)).to.deep.equal([]);
  });

  it('a test that times out leaves nothing running: the root afterAll hook ends its gateway', async () => {
    const { run, pids } = await leaveRunning('timeout');
    expect(pids, run.out).to.have.length.of.at.least(2);
    expect(run.code, run.out).to.equal(1);
    expect(run.out).to.include('Timeout of 200ms exceeded');
    expect(await survivors(pids)).to.deep.equal([]);
  });

  it('a test run that exits mid-test leaves nothing running: the exit handler kills its gateway', async () => {
    const { run, pids } = await leaveRunning('exit');
    expect(pids, run.out).to.have.length.of.at.least(2);
    expect(run.code, run.out).to.equal(3);
    expect(await survivors(pids)).to.deep.equal([]);
  });
});
