// ES modules between an API's middleware files, top-level await at load, and the import
// specifiers that are refused: real gateways, real isolates, uploads through the management API.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { hookedApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { echoed, readJson, startRecordingServer, type RecordingServer } from './helpers/http';

// a.mjs and b.mjs import each other; the hook lives in a.mjs and uses both sides' exports.
const A = `import { suffix } from './b.mjs';
export const prefix = 'from-a';
export function modHook(request) {
  request.set_headers['X-Mod'] = prefix + '+' + suffix();
}
`;
const B = `import { prefix } from './a.mjs';
import { shout } from './util.mjs';
export function suffix() { return shout('b') + '(' + prefix + ')'; }
`;
const UTIL = `export const shout = (s) => s.toUpperCase();\n`;

// Top-level await at load: store reads, a chain of promises and a timer, finished before any request.
const TLA = `const seeded = await isogate.kv.get('seed');
if (seeded === undefined) await isogate.kv.set('seed', 'planted at load');
const steps = [];
for (let i = 0; i < 3; i++) steps.push(await Promise.resolve(i));
// A timer is settled by a later entry into the isolate, not by microtasks: the load waits for it.
const t0 = Date.now();
await new Promise((resolve) => setTimeout(resolve, 40));
const ready = { seed: await isogate.kv.get('seed'), steps, waited: Date.now() - t0 >= 35 };
export function tlaHook(request) {
  request.set_headers['X-Tla'] = JSON.stringify(ready);
}
`;

describe('ES modules: imports between an API\'s files, top-level await, refused specifiers', function () {
  this.timeout(60_000);
  let upstream: RecordingServer;
  let gw: RunningGateway;
  let dir: string;
  const upload = (apiId: string, file: string, code: string) =>
    gw.admin(`/tyk/apis/${apiId}/middleware/${file}`, { method: 'PUT', body: code, headers: { 'content-type': 'application/javascript' } });

  before(async () => {
    upstream = await startRecordingServer();
    dir = makeWorkspace();
    writeMiddleware(dir, 'mods/a.mjs', A);
    writeMiddleware(dir, 'mods/b.mjs', B);
    writeMiddleware(dir, 'mods/util.mjs', UTIL);
    writeMiddleware(dir, 'tla/t.mjs', TLA);
    writeMiddleware(dir, 'hostile/h.js', `function keep(request) { request.set_headers['X-Keep'] = 'v1'; }\n`);
    writeMiddleware(dir, 'other/secret.mjs', `export const secret = 'other-api';\n`);
    writeApi(dir, hookedApi('mods', upstream.url, { driver: 'isolate', pre: [{ name: 'modHook', path: 'a.mjs' }] }));
    writeApi(dir, hookedApi('tla', upstream.url, { driver: 'isolate', pre: [{ name: 'tlaHook' }] }));
    writeApi(dir, hookedApi('hostile', upstream.url, { driver: 'isolate', pre: [{ name: 'keep' }] }));
    writeApi(dir, hookedApi('other', upstream.url, { driver: 'isolate', pre: [{ name: 'keep', path: 'hostile/h.js' }] }));
    gw = await startGateway({ dir });
  });

  after(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  it('two modules import each other\'s exports (and a third one)', async () => {
    const seen = await echoed(await fetch(`${gw.url}/mods/x`));
    expect(seen.headers['x-mod']).to.equal('from-a+B(from-a)');
  });

  it('awaits top-level await at load, store calls and a timer included', async () => {
    const seen = await echoed(await fetch(`${gw.url}/tla/x`));
    expect(JSON.parse(String(seen.headers['x-tla']))).to.deep.equal({ seed: 'planted at load', steps: [0, 1, 2], waited: true });
  });

  it('a top-level await that never settles is a load error naming the file, within the startup budget', async () => {
    const started = Date.now();
    const res = await upload('tla', 'stuck.mjs', `export const x = 1;\nawait new Promise(() => {});\n`);
    const elapsed = Date.now() - started;
    expect(res.status).to.equal(400);
    const { message } = await readJson<{ message: string }>(res);
    expect(message).to.contain('stuck.mjs').and.contain('top-level await did not finish within the startup budget of 2000 ms');
    expect(elapsed).to.be.lessThan(15_000);
    expect(fs.existsSync(path.join(dir, 'middleware', 'tla', 'stuck.mjs'))).to.equal(false);
    expect(JSON.parse(String((await echoed(await fetch(`${gw.url}/tla/x`))).headers['x-tla'])).seed).to.equal('planted at load');
  });

  const refused: [string, string, RegExp][] = [
    ['bare.mjs', `// a package\nimport _ from 'lodash';\nexport const x = _;\n`, /bare\.mjs:2:15: cannot import "lodash": bare module names are not importable/],
    ['remote.mjs', `import x from "https://evil.example/x.js";\nexport default x;\n`, /remote\.mjs:1:15: cannot import "https:\/\/evil\.example\/x\.js": URLs are not importable/],
    ['builtin.mjs', `import fs from 'node:fs';\n`, /builtin\.mjs:1:16: cannot import "node:fs": URLs are not importable/],
    ['data.mjs', `\n\nexport * from 'data:text/javascript,export const x = 1';\n`, /data\.mjs:3:15: cannot import "data:text\/javascript,export const x = 1": URLs/],
    ['absolute.mjs', `import '/etc/passwd';\n`, /absolute\.mjs:1:8: cannot import "\/etc\/passwd": absolute paths are not importable/],
    ['climb.mjs', `import { secret } from '../other/secret.mjs';\nexport const s = secret;\n`, /climb\.mjs:1:24: cannot import "\.\.\/other\/secret\.mjs": it leaves the folder of this API's middleware/],
    ['climb2.mjs', `import { secret } from './x/../../other/secret.mjs';\n`, /climb2\.mjs:1:24: cannot import ".*": it leaves the folder/],
    ['encoded.mjs', `import { secret } from './%2e%2e/other/secret.mjs';\n`, /encoded\.mjs:1:24: cannot import "\.\/%2e%2e\/other\/secret\.mjs": .* is not one of this API's middleware files/],
    ['missing.mjs', `export const a = 1;\nimport { nothing } from './not-there.mjs';\n`, /missing\.mjs:2:25: cannot import "\.\/not-there\.mjs": .*not-there\.mjs is not one of this API's middleware files/],
    ['classic.mjs', `import './h.js';\n`, /classic\.mjs:1:8: cannot import "\.\/h\.js": .*h\.js is a classic script, not a module/],
  ];

  for (const [file, code, expected] of refused) {
    it(`refuses an upload of ${file} with file:line and the reason; nothing is written, the API keeps serving`, async () => {
      const res = await upload('hostile', file, code);
      const { message } = await readJson<{ message: string }>(res);
      expect(res.status, message).to.equal(400);
      expect(message).to.match(expected);
      expect(fs.existsSync(path.join(dir, 'middleware', 'hostile', file))).to.equal(false);
      expect((await echoed(await fetch(`${gw.url}/hostile/x`))).headers['x-keep']).to.equal('v1');
    });
  }

  it('refuses a file on disk that imports a missing file at reload, naming file and line; the old version keeps serving', async () => {
    writeMiddleware(dir, 'mods/b.mjs', `import { prefix } from './a.mjs';\n\nimport { gone } from './gone.mjs';\nexport function suffix() { return 'x'; }\n`);
    try {
      const report = await gw.reload();
      const failure = report.failed?.find((f) => f.api_id === 'mods');
      expect(failure?.error).to.match(/b\.mjs:3:22: cannot import "\.\/gone\.mjs"/);
      expect((await echoed(await fetch(`${gw.url}/mods/x`))).headers['x-mod']).to.equal('from-a+B(from-a)');
    } finally {
      writeMiddleware(dir, 'mods/b.mjs', B);
      await gw.reload();
    }
  });
});
