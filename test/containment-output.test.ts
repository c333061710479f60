// Guest output budgets (issue 13): log lines and TykTriggerEvent calls are rate-limited inside
// each API's isolate, so one API's spam never reaches the host. Real gateway, real isolates.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { type ApiDef, makeWorkspace, runCli, startGateway, writeApi, writeMiddleware } from './helpers/gateway';
import { type RecordingServer, readJson, startRecordingServer } from './helpers/http';
import type { OutputCounts } from '../src/coprocess/drivers/isolate';

const MiB = 1024 * 1024;

const PLUGIN = `
function spam() {
  for (let i = 0; i < 1e6; i++) console.log('spam line', i);
  for (let i = 0; i < 1e6; i++) TykTriggerEvent('SpamEvent', { i });
}
function calm(request) { request.set_headers['X-Calm'] = 'yes'; }
function quiet() {
  for (let i = 0; i < 100; i++) log('quiet line ' + i);
  for (let i = 0; i < 10; i++) TykTriggerEvent('QuietEvent', 'x');
}
`;

const JSVM_SPAM = `
var jsvmSpam = new TykJS.TykMiddleware.NewMiddleware({});
jsvmSpam.NewProcessRequest(function (request, session, config) {
  for (var i = 0; i < 200000; i++) log('jsvm spam ' + i);
  return jsvmSpam.ReturnData(request, {});
});
`;

function api(apiId: string, target: string, middleware?: Record<string, unknown>): ApiDef {
  return {
    api_id: apiId, org_id: 'o', use_keyless: true,
    proxy: { listen_path: `/${apiId}/`, target_url: target, strip_listen_path: true },
    ...(middleware ? { custom_middleware: middleware } : {}),
  };
}

function isolateHook(name: string, limits: Record<string, unknown> = {}): Record<string, unknown> {
  return { driver: 'isolate', pre: [{ name, path: 'plugin.js' }], limits: { hook_timeout_ms: 30000, ...limits } };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Stats {
  memory: { rss: number };
  guest_output: OutputCounts & { dropping_apis: Record<string, OutputCounts> };
}

const runtimeOutput = async (gw: { admin(p: string): Promise<Response> }, apiId: string): Promise<OutputCounts> =>
  (await readJson<{ output: OutputCounts }>(await gw.admin(`/tyk/apis/${apiId}/runtime`))).output;

async function timed(url: string): Promise<{ status: number; ms: number }> {
  const start = process.hrtime.bigint();
  const res = await fetch(url);
  await res.arrayBuffer();
  return { status: res.status, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

describe('containment: guest output budgets', function () {
  this.timeout(120000);
  let upstream: RecordingServer;
  before(async () => {
    upstream = await startRecordingServer();
  });
  after(() => upstream.close());

  it('one API spamming logs and events leaves other APIs fast and RSS bounded; drops are counted and summarised', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'plugin.js', PLUGIN);
    writeApi(dir, api('spam', upstream.url, isolateHook('spam')));
    writeApi(dir, api('calm', upstream.url, isolateHook('calm')));
    writeApi(dir, api('plain', upstream.url));
    const startedAt = Date.now();
    const gw = await startGateway({ dir, config: { isolate_options: { output_report_interval_s: 1 } } });
    let spamming = true;
    const spammers: Promise<void>[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        expect((await timed(`${gw.url}/calm/x`)).status).to.equal(200);
        expect((await timed(`${gw.url}/plain/x`)).status).to.equal(200);
      }
      const stats = async (): Promise<Stats> => readJson<Stats>(await gw.admin('/tyk/stats'));
      const rssBefore = (await stats()).memory.rss;
      // Three clients each on a hooked and a plain API, for `ms`: enough samples for a p99
      // that one scheduling hiccup of a shared machine does not decide.
      const sample = async (ms: number, onRound?: () => Promise<void>) => {
        const out = { calm: [] as number[], plain: [] as number[] };
        const until = Date.now() + ms;
        await Promise.all([0, 1, 2].map(async () => {
          while (Date.now() < until) {
            const c = await timed(`${gw.url}/calm/x`);
            const p = await timed(`${gw.url}/plain/x`);
            expect(c.status).to.equal(200);
            expect(p.status).to.equal(200);
            out.calm.push(c.ms);
            out.plain.push(p.ms);
            await onRound?.();
          }
        }));
        return out;
      };
      // The same requests without spam first. The spam hook also burns a core (2M dropped calls
      // per request); on a machine shared with other work the bound allows for that contention:
      // it is 150 ms whenever the baseline p99 is under 37.5 ms. Before budgets the worst case was 2.4 s.
      const alone = await sample(4000);
      const bound = (samples: number[]) => Math.max(150, 4 * percentile(samples, 99));

      let spamRequests = 0;
      const spam = async () => {
        while (spamming) {
          const { status } = await timed(`${gw.url}/spam/x`);
          expect(status).to.equal(200);
          spamRequests++;
        }
      };
      // Two clients keep the spam API's queue full: its isolate is never idle.
      spammers.push(spam(), spam());
      await new Promise((r) => setTimeout(r, 1000));

      let rssPeak = 0;
      let rounds = 0;
      const { calm, plain } = await sample(8000, async () => {
        if (++rounds % 50 === 0) rssPeak = Math.max(rssPeak, (await stats()).memory.rss);
      });
      spamming = false;
      await Promise.all(spammers);
      const after = await stats();
      rssPeak = Math.max(rssPeak, after.memory.rss);
      const elapsedS = (Date.now() - startedAt) / 1000;

      const p99 = { calm: percentile(calm, 99), plain: percentile(plain, 99) };
      console.log(
        `      alone: calm p99 ${percentile(alone.calm, 99).toFixed(1)} ms, plain p99 ${percentile(alone.plain, 99).toFixed(1)} ms; ` +
          `while spamming (${spamRequests} spam requests, 2M calls each): calm p50 ${percentile(calm, 50).toFixed(1)} / p99 ${p99.calm.toFixed(1)} ms, ` +
          `plain p50 ${percentile(plain, 50).toFixed(1)} / p99 ${p99.plain.toFixed(1)} ms over ${calm.length} requests each; ` +
          `RSS ${(rssBefore / MiB).toFixed(0)} → peak ${(rssPeak / MiB).toFixed(0)} MiB`,
      );
      expect(spamRequests).to.be.above(0);
      expect(p99.calm).to.be.below(bound(alone.calm));
      expect(p99.plain).to.be.below(bound(alone.plain));
      // Before the fix RSS went from 108 to 442 MB and stayed there.
      expect(rssPeak - rssBefore).to.be.below(150 * MiB);

      // Counted, not sent: everything beyond the budget is a drop, and the drops are reported.
      const out = after.guest_output.dropping_apis.spam!;
      expect(out.log_lines + out.log_lines_dropped).to.equal(spamRequests * 1e6);
      expect(out.events + out.events_dropped).to.equal(spamRequests * 1e6);
      expect(out.log_lines).to.be.at.most(1000 * (elapsedS + 1));
      expect(out.events).to.be.at.most(10000 * (elapsedS + 1));
      expect(after.guest_output.dropping_apis).to.not.have.property('calm');
      expect(await runtimeOutput(gw, 'spam')).to.deep.equal(out);

      // What reached the log is what was counted as sent.
      const text = gw.logs.join('');
      const sentLines = text.split('\n').filter((l) => l.includes('"msg":"spam line')).length;
      expect(sentLines).to.equal(out.log_lines);
      // One summary line per interval (1 s) for the API at most.
      const summaries = text.split('\n').filter((l) => l.includes('api spam: middleware output over its budget'));
      expect(summaries.length).to.be.at.least(1);
      expect(summaries.length).to.be.at.most(Math.ceil(elapsedS) + 1);
      expect(summaries[0]).to.include('"api_id":"spam"').and.include('"log_lines_dropped":').and.include('"events_dropped":');
    } finally {
      spamming = false;
      await Promise.allSettled(spammers);
      await gw.stop();
    }
  });

  it('the budget covers Tyk JSVM plugins\' log() too', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'jsvm-spam.js', JSVM_SPAM);
    writeApi(dir, api('jsvm-spam', upstream.url, { driver: 'otto', pre: [{ name: 'jsvmSpam', path: 'jsvm-spam.js' }] }));
    const gw = await startGateway({ dir, config: { isolate_options: { log_lines_per_s: 100 } } });
    try {
      for (let i = 0; i < 2; i++) expect((await timed(`${gw.url}/jsvm-spam/x`)).status).to.equal(200);
      const out = await runtimeOutput(gw, 'jsvm-spam');
      expect(out.log_lines + out.log_lines_dropped).to.equal(400000);
      expect(out.log_lines).to.be.within(100, 200);
      const lines = gw.logs.join('').split('\n').filter((l) => l.includes('"msg":"jsvm spam')).length;
      expect(lines).to.equal(out.log_lines);
    } finally {
      await gw.stop();
    }
  });

  it('per-API budgets override the gateway default; beyond them nothing is sent', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'plugin.js', PLUGIN);
    writeApi(dir, api('quiet', upstream.url, isolateHook('quiet', { log_lines_per_s: 5, events_per_s: 0 })));
    writeApi(dir, api('default', upstream.url, isolateHook('quiet')));
    const gw = await startGateway({ dir, config: { isolate_options: { log_lines_per_s: 50 } } });
    try {
      expect((await timed(`${gw.url}/quiet/x`)).status).to.equal(200);
      expect((await timed(`${gw.url}/default/x`)).status).to.equal(200);
      const quiet = await runtimeOutput(gw, 'quiet');
      const dflt = await runtimeOutput(gw, 'default');
      // A bucket holds one second's worth: 5 lines (a little more if the call took a while).
      expect(quiet.log_lines).to.be.within(5, 6);
      expect(quiet.log_lines + quiet.log_lines_dropped).to.equal(100);
      expect(quiet).to.include({ events: 0, events_dropped: 10 });
      expect(dflt.log_lines).to.be.within(50, 51);
      expect(dflt).to.include({ events: 10, events_dropped: 0 });
      const lines = gw.logs.join('').split('\n').filter((l) => l.includes('"msg":"quiet line'));
      expect(lines.length).to.equal(quiet.log_lines + dflt.log_lines);
    } finally {
      await gw.stop();
    }
  });

  it('bad budget values are refused naming the key: per API the definition is skipped, in the gateway config startup stops', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'plugin.js', PLUGIN);
    writeApi(dir, api('negative', upstream.url, isolateHook('calm', { log_lines_per_s: -1 })));
    writeApi(dir, api('text', upstream.url, isolateHook('calm', { events_per_s: 'lots' })));
    writeApi(dir, api('fine', upstream.url, isolateHook('calm')));
    const gw = await startGateway({ dir });
    try {
      expect((await timed(`${gw.url}/fine/x`)).status).to.equal(200);
      expect((await timed(`${gw.url}/negative/x`)).status).to.equal(404);
      expect((await timed(`${gw.url}/text/x`)).status).to.equal(404);
      const text = gw.logs.join('');
      expect(text).to.include('custom_middleware.limits.log_lines_per_s: must be >= 0');
      expect(text).to.include('custom_middleware.limits.events_per_s: must be number');
    } finally {
      await gw.stop();
    }
    const conf = path.join(dir, 'bad.json');
    fs.writeFileSync(conf, JSON.stringify({ isolate_options: { events_per_s: -5, output_report_interval_s: 0 } }));
    const { code, out } = await runCli(['--conf', conf], dir);
    expect(code).to.not.equal(0);
    expect(out).to.include('bad.json');
    expect(out).to.include('isolate_options.events_per_s');
    expect(out).to.include('isolate_options.output_report_interval_s');
  });
});
