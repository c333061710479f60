// Micro: what the web platform's host calls add to one hook round trip, in one Node process with
// the gateway's own pieces from dist/ (as dispatch.mjs): the pre hook of (c) against the same hook
// plus one crypto.subtle HMAC verify (system (w)'s hook), plus one `new URL()`, interleaved.
// Run as: node --no-node-snapshot bench/micro/web.mjs [iterations]
import { distModule, fakeRequestState } from '../lib/dist.mjs';
import { quantile } from '../lib/load.mjs';
import { ISOLATE_PLUGIN } from '../lib/plugins.mjs';
import { WEB_HEADERS, WEB_PLUGIN } from '../lib/web.mjs';

const iterations = Number(process.argv[2] ?? 5000);
const { IsolateDispatcher } = distModule('coprocess/drivers/isolate/index.js');
const { buildHookObject, applyHookResult } = distModule('coprocess/message.js');
const URL_PLUGIN = `function benchUrl(request) { request.set_headers['X-Bench'] = new URL(request.url, 'http://gw.example').pathname; }`;
const specMap = { OrgID: 'bench', APIID: 'bench-web', bundle_hash: '' };
const variants = [
  { label: 'pre hook (c)', name: 'benchPre', file: 'p.js', code: ISOLATE_PLUGIN },
  { label: '+ one crypto.subtle HMAC verify (w)', name: 'benchVerify', file: 'w.js', code: WEB_PLUGIN },
  { label: '+ one new URL()', name: 'benchUrl', file: 'u.js', code: URL_PLUGIN },
];
for (const v of variants) {
  v.dispatcher = await IsolateDispatcher.create({ apiId: `bench-${v.name}`, sources: [{ filename: v.file, code: v.code }], hookNames: [v.name] });
  v.hook = { name: v.name, path: v.file, kind: 'pre' };
  v.samples = [];
}
const state = () => {
  const s = fakeRequestState();
  s.headers['x-bench-sig'] = WEB_HEADERS['x-bench-sig'];
  return s;
};
for (let i = 0; i < iterations + 500; i++) {
  for (const v of variants) {
    const s = state();
    const t0 = process.hrtime.bigint();
    applyHookResult(s, await v.dispatcher.dispatch(buildHookObject(s, v.hook, specMap)));
    if (i >= 500) v.samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (!s.headers['x-bench']) throw new Error(`${v.label}: the hook did not set X-Bench`);
  }
}
for (const v of variants) {
  const sorted = Float64Array.from(v.samples).sort();
  console.log(`${v.label}: median ${quantile(sorted, 0.5).toFixed(1)} µs, p99 ${quantile(sorted, 0.99).toFixed(1)} µs`);
  await v.dispatcher.dispose();
}
