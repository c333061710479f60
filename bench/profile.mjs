// Summarise a V8 CPU profile written by `npm run bench -- --profile`: where the gateway's main
// thread spends its time, by area and by function (self and inclusive).
// Usage: node bench/profile.mjs FILE.cpuprofile [top]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/profile.mjs FILE.cpuprofile [top]\n');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
// Self time per node from the sample stream (timeDeltas in µs, one per sample).
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const totalUs = [...selfUs.values()].reduce((s, v) => s + v, 0);

function shortUrl(url) {
  if (!url) return '';
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + 1);
  return url.replace(/^file:\/\//, '');
}

function area(frame) {
  const url = frame.url ?? '';
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native / V8 builtins)';
  const m = /\/dist\/(src\/[^/]+|sandbox)/.exec(url);
  if (m) return `isogate ${m[1]}`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `npm ${nm[1]}`;
  if (url.startsWith('node:')) {
    const mod = /^node:internal\/(?:[^/]+\/)*?([^/]+?)(?:\.js)?$/.exec(url);
    return `node ${url.includes('http') ? 'http' : url.includes('stream') ? 'streams' : url.includes('net') ? 'net' : mod ? mod[1] : url}`;
  }
  return shortUrl(url);
}

const keyOf = (f) => `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`;

// Inclusive time: each node's subtree, credited once per function per stack (no double count).
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map();
const self = new Map();
const areas = new Map();
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  const k = keyOf(node.callFrame);
  self.set(k, (self.get(k) ?? 0) + us);
  const a = area(node.callFrame);
  areas.set(a, (areas.get(a) ?? 0) + us);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const ck = keyOf(byId.get(cur).callFrame);
    if (seen.has(ck)) continue;
    seen.add(ck);
    inclusive.set(ck, (inclusive.get(ck) ?? 0) + us);
  }
}

const pct = (us) => `${((us / totalUs) * 100).toFixed(1).padStart(5)} %`;
const print = (title, map, filter = () => true) => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, us] of [...map].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}\n`);
  }
};
process.stdout.write(`${file}: ${(totalUs / 1e6).toFixed(2)} s sampled\n`);
print('by area (self time)', areas);
print('by function (self time)', self);
print('isogate functions (inclusive time)', inclusive, (k) => k.includes('dist/'));
