// The printed tables (Markdown, so a run can be pasted into the README as is) and the target
// verdicts.

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—');
const verdict = (met) => (met ? 'met' : 'NOT met');

function table(head, rows, align) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(align.map((a) => (a === 'r' ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

/**
 * CPU time the system's own process spent per request (all its threads). Less sensitive to other
 * load on the machine than req/s, and it says what each feature costs.
 */
export function cpuPerRequestUs(r) {
  return ((r.cpu.system / 100) * 1e6) / r.reqPerSec;
}

export function systemsTable(results) {
  const rows = results.map((r) => {
    if (r.unavailable) return [`(${r.id})`, r.label, 'not available yet', '', '', '', '', '', r.unavailable];
    const target = r.target === undefined ? '' : `≥ ${r.target.toFixed(2)}`;
    const status = r.target === undefined ? '' : verdict(r.ratio >= r.target);
    const cpu = `${r.cpu.system}% / ${r.cpu.upstream}% / ${r.cpu.loadgen}% / ${r.cpu.other}%`;
    const failures = r.non2xx + r.errors + r.timeouts;
    // With several rounds, the spread of the per-round ratios shows how far the machine let the
    // median be trusted.
    const spread = r.ratios?.length > 1 && r.id !== 'a' ? ` (${Math.min(...r.ratios).toFixed(2)}–${Math.max(...r.ratios).toFixed(2)})` : '';
    const label = r.ratioTo ? `${r.label}; ${r.ratioTo.median.toFixed(2)} × (${r.ratioTo.id})` : r.label;
    return [`(${r.id})`, label, fmt(r.reqPerSec), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2), `${r.ratio.toFixed(2)}${spread}`, target, status, fmt(cpuPerRequestUs(r)), `${cpu}${failures ? `; ${failures} failed` : ''}`];
  });
  return table(['', 'system', 'req/s', 'p50 ms', 'p99 ms', '× (a), median (range)', 'target', '', 'CPU µs/req', 'CPU: system / upstream / load gen / other'], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'l']);
}

/** The micro figures with their targets; returns { text, targets }. */
export function microTable(micro) {
  const rows = [];
  const targets = [];
  const add = (name, value, target, met) => {
    rows.push([name, value, target ?? '', met === undefined ? '' : verdict(met)]);
    if (met !== undefined) targets.push({ name, value, target, met });
  };
  const d = micro.dispatch;
  const cpu = (t) => (Number.isFinite(t.cpuUs) ? `, CPU ${fmt(t.cpuUs, 1)} µs` : '');
  add('hook dispatch round trip, median (build, encode, isolate, decode, apply)', `${fmt(d.roundTrip.medianUs, 1)} µs (p99 ${fmt(d.roundTrip.p99Us)} µs${cpu(d.roundTrip)})`, '≤ 25 µs', d.roundTrip.medianUs <= 25);
  add('  of which host build + encode + decode + apply', `${fmt(d.hostOnly.build.medianUs + d.hostOnly.encode.medianUs + d.hostOnly.decode.medianUs + d.hostOnly.apply.medianUs, 1)} µs`);
  add('  engine floor: bare isolate echo, async apply / applySync', `${fmt(d.engineFloor.applyAsync.medianUs, 1)} µs${cpu(d.engineFloor.applyAsync)} / ${fmt(d.engineFloor.applySync.medianUs, 1)} µs${cpu(d.engineFloor.applySync)}`);
  if (d.syncRoundTrip) add('  what-if: same runtime and hook entered with applySync', `${fmt(d.syncRoundTrip.medianUs, 1)} µs (p99 ${fmt(d.syncRoundTrip.p99Us)} µs${cpu(d.syncRoundTrip)})`);
  if (d.byConcurrency) {
    // Issue 15: CPU per hook at 32 in flight ≤ 20 µs, and a lone call no slower than 85 µs.
    for (const c of d.byConcurrency) {
      const target = c.inflight === 1 ? ['≤ 85 µs', c.usPerHook <= 85] : c.inflight === 32 ? ['CPU ≤ 20 µs', c.cpuUsPerHook <= 20] : [];
      add(`  ${c.inflight} concurrent call${c.inflight > 1 ? 's' : ''} on one API, per hook`, `${fmt(c.usPerHook, 1)} µs, CPU ${fmt(c.cpuUsPerHook, 1)} µs (${fmt(c.callsPerSec)} calls/s, mean batch ${fmt(c.meanBatch, 1)})`, ...target);
    }
  } else {
    add(`  ${d.concurrent.inflight} calls in flight on one API`, `${fmt(d.concurrent.callsPerSec)} calls/s (${fmt(d.concurrent.usPerCall, 1)} µs each)`);
  }
  const n = micro.noisy;
  if (n) {
    add(
      `noisy neighbour: hooked API B under load while API A spins to its ${n.noisyTimeoutMs} ms timeout on every ${n.spinEvery}th request; B's req/s vs B alone`,
      `${fmt(n.ratio, 2)} (${n.ratios.map((r) => r.toFixed(2)).join(', ')}; ${fmt(n.noisy.reqPerSec)} vs ${fmt(n.solo.reqPerSec)} req/s)`,
      '≥ 0.80',
      n.ratio >= 0.8,
    );
    add(`  B's p99 beside A (alone: ${fmt(n.solo.p99Ms, 1)} ms); A served ${fmt(n.neighbour.reqPerSec)} req/s, ${fmt(n.neighbour.non2xx)} failed`, `${fmt(n.noisy.p99Ms, 1)} ms${n.noisy.failed ? `, ${n.noisy.failed} of B's failed` : ''}`, '< 150 ms', n.noisy.p99Ms < 150 && n.noisy.failed === 0);
  }
  const st = micro.store;
  if (st) {
    // Issue 21: what the embedded store adds to an authorised request (rate + quota counted in LMDB, shared by all workers).
    add(`session store per authorised request (rate + quota counted), CPU: embedded (LMDB, shared by workers) / memory (one process)`, `${fmt(st.embedded.count.cpuUs, 1)} µs / ${fmt(st.memory.count.cpuUs, 1)} µs`);
    add('  session read on an auth-cache miss: embedded / memory; a management write (commit + fsync), wall', `${fmt(st.embedded.read.cpuUs, 1)} µs / ${fmt(st.memory.read.cpuUs, 1)} µs; ${fmt(st.embeddedWrite.wallUs / 1000, 2)} ms`);
  }
  const mt = micro.metrics;
  if (mt) {
    add('metrics recorded per request (status, latency, upstream, one hook, a batch; clock reads included)', `${fmt(mt.nsPerRequest)} ns`, '≤ 1 µs', mt.nsPerRequest <= 1000);
    add('  of which the recorders / the 6 clock reads (performance.now)', `${fmt(mt.recordsNs)} ns / ${fmt(mt.clockNs)} ns`);
  }
  const c = micro.coldViaAdmin;
  add(`cold start: POST /tyk/apis + reload?block=true + first hooked request, median of ${c.samples}`, `${fmt(c.medianTotalMs, 1)} ms (post ${fmt(c.medianPostMs, 1)}, reload ${fmt(c.medianReloadMs, 1)}, first request ${fmt(c.medianFirstRequestMs, 1)})`, '≤ 20 ms', c.medianTotalMs <= 20);
  add(`  a reload in which nothing changed, ${c.apisAtEnd} APIs`, `${fmt(c.noopReloadMs, 1)} ms`);
  const ci = micro.coldInProcess;
  add(`  in process: driver factory + first call, median of ${ci.samples}`, `${fmt(ci.medianTotalMs, 1)} ms (load ${fmt(ci.medianLoadMs, 1)}, first call ${fmt(ci.medianFirstCallMs, 1)}; first isolate of a process ${fmt(ci.firstInProcess.totalMs, 1)})`);
  for (const r of micro.rss) {
    if (!r.loaded && r.error) {
      add(`RSS per hooked API at ${r.apis} APIs`, `did not load: ${r.error}`, '≤ 4 MB', false);
    } else {
      const mb = (r.perApiMiB * 2 ** 20) / 1e6;
      add(`RSS per hooked API at ${fmt(r.apis)} APIs (after 1 request each)`, `${fmt(mb, 2)} MB (total ${fmt(r.rssMiB)} MiB, baseline ${fmt(r.baselineMiB)} MiB)`, '≤ 4 MB', mb <= 4);
    }
    if (r.apis >= 1000 || micro.rss.length === 1) {
      add(`${fmt(r.apis)} hooked APIs load and serve`, r.loaded ? `yes: ready in ${fmt((r.loadMs ?? 0) / 1000, 1)} s, first requests ${fmt((r.firstRequestsMs ?? 0) / 1000, 1)} s, a no-op reload ${fmt(r.noopReloadMs ?? NaN)} ms` : `no: ${r.error ?? `${r.failures} APIs failed: ${r.firstFailure}`}`, 'loads', r.loaded);
    }
  }
  if (micro.lua) luaRows(micro, add);
  const e = micro.events;
  add(`TykTriggerEvent → EventBus → log handler, flat out (${e.perCall} per call)`, `${fmt(e.flatOut.reachedHostPerSec)} /s reach the host, ${fmt(e.flatOut.deliveredPerSec)} /s delivered, ${fmt(e.flatOut.dropped)} dropped`);
  add('  sustained without drops', e.sustainablePerSec ? `${fmt(e.sustainablePerSec)} events/s (paced at ${Math.round(e.paced.share * 100)}% of flat-out delivery)` : 'drops even at 30% of flat-out delivery');
  const k = micro.containment;
  if (k) {
    add('entry record per isolate entry: pwrite in + out / back to back', `${fmt(k.record.pairUs, 2)} µs / ${fmt(k.record.backToBackUs, 2)} µs; round trip ${fmt(k.record.withoutRecordUs, 1)} → ${fmt(k.record.withRecordUs, 1)} µs with it`);
    add('log line / event over the budget (counted in the isolate)', `${fmt(k.budget.droppedLogNs)} ns / ${fmt(k.budget.droppedEventNs)} ns per call`);
    add('upload validation in the child: first / later', `${fmt(k.validation.coldMs)} ms / ${fmt(k.validation.warmMs, 1)} ms`);
  }
  const s = micro.spam;
  if (s) {
    add('another API while one spams 1e6 logs + 1e6 events per request', `p99 ${fmt(s.alone.p99Ms, 1)} → ${fmt(s.underSpam.p99Ms, 1)} ms (p50 ${fmt(s.alone.p50Ms, 1)} → ${fmt(s.underSpam.p50Ms, 1)}), RSS ${fmt(s.rssBeforeMiB)} → ${fmt(s.rssDuringMiB)} MiB; sent ${fmt(s.logLines)} lines / ${fmt(s.events)} events, dropped ${fmt(s.logLinesDropped)} / ${fmt(s.eventsDropped)}`, 'p99 < 150 ms', s.underSpam.p99Ms < 150);
  }
  const o = micro.outage;
  if (o) {
    add('other APIs unavailable after one catastrophic abort (standby ready)', `${fmt(o.outageMs)} ms (abort ${fmt(o.abortAfterMs / 1000, 1)} s after the call; offender quarantined: ${o.quarantined ? 'yes' : 'no'})`, '≤ 3 s', o.outageMs <= 3000 && o.quarantined);
  }
  return { text: table(['micro figure', 'value', 'target', ''], rows, ['l', 'l', 'r', 'l']), targets };
}

/** Driver lua's micro rows: what a Lua API adds over a JS one, measured side by side. */
function luaRows(micro, add) {
  const { cold, rss } = micro.lua;
  add(`Lua API bring-up, in process: driver create + first call, median of ${cold.samples}`, `${fmt(cold.lua.medianTotalMs, 1)} ms vs JS ${fmt(cold.js.medianTotalMs, 1)} ms: +${fmt(cold.lua.medianTotalMs - cold.js.medianTotalMs, 1)} ms (first Lua API of a process ${fmt(cold.firstInProcess.lua.totalMs, 1)} ms, code cache warmed off the event loop)`);
  const rt = cold.roundTrip;
  add('  Lua hook round trip, median (one tyk.req.set_header), vs the same JS hook', `${fmt(rt.lua.medianUs, 1)} µs vs ${fmt(rt.js.medianUs, 1)} µs; isolate CPU ${fmt(rt.lua.isolateCpuUs, 1)} vs ${fmt(rt.js.isolateCpuUs, 1)} µs per call`);
  if (!rss.loaded) {
    add(`RSS per Lua API at ${fmt(rss.apis)} APIs`, `did not load: ${rss.error ?? `${rss.failures} APIs failed: ${rss.firstFailure}`}`);
    return;
  }
  const js = micro.rss.find((r) => r.apis === rss.apis && r.loaded);
  const mb = (rss.perApiMiB * 2 ** 20) / 1e6;
  const vs = js ? ` vs JS ${fmt((js.perApiMiB * 2 ** 20) / 1e6, 2)} MB: +${fmt(mb - (js.perApiMiB * 2 ** 20) / 1e6, 2)} MB` : '';
  add(`RSS per Lua API at ${fmt(rss.apis)} APIs (after 1 request each)`, `${fmt(mb, 2)} MB${vs} (total ${fmt(rss.rssMiB)} MiB)`);
}
