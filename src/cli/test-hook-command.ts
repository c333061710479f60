import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../config/config-error';
import { loadGatewayConfig } from '../config/gateway-config';
import type { EventInput } from '../events/event';
import type { SessionState } from '../pipeline/session';
import { captureLogLines } from '../log/logger';
import { UsageError } from './args';
import { HOOK_CHOICES, type HookChoice, type TestHookArgs } from './test-hook-choices';


/** What a test request is described as (`--request req.json`). */
interface TestRequest {
  method?: string;
  /** Path and query, listen path included (`/hooked/hello?x=1`). */
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** The key a `--session` is stored under for the run. */
const SESSION_KEY = 'isogate-test-hook-session';
const HOOK_LISTS = ['pre', 'post_key_auth', 'post', 'response'] as const;

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(resolve(file), 'utf8'));
  } catch (err) {
    throw new UsageError(`${what} ${file}: ${(err as Error).message}`);
  }
}

/**
 * The definition as the run serves it: only the chosen hooks; the upstream is the run's
 * recorder. Without auth_check among them, auth is the key of `--session` (or none: keyless).
 */
function definitionForRun(def: Record<string, unknown>, hook: HookChoice, upstream: string, withSession: boolean): Record<string, unknown> {
  const copy = structuredClone(def) as Record<string, any>;
  const cm = copy.custom_middleware ?? {};
  if (hook !== 'all') {
    for (const list of HOOK_LISTS) if (list !== hook) cm[list] = [];
    if (hook !== 'auth_check') {
      delete cm.auth_check;
      copy.enable_coprocess_auth = false;
      copy.custom_plugin_auth_enabled = false;
      copy.use_keyless = !withSession;
    }
  }
  copy.proxy = { ...(copy.proxy ?? {}), target_url: upstream };
  return copy;
}

/**
 * `isogate test-hook`: one request through one API's real chain, in a real isolate with the API's
 * limits, served by an in-process gateway on loopback whose upstream is a recorder. Prints the
 * request the upstream got (or the answer that short-circuited it), the session before and after,
 * the events fired and the API's log lines. Exit 1 when a hook failed (a MiddlewareError).
 */
export async function runTestHook(args: TestHookArgs): Promise<number> {
  if (!(HOOK_CHOICES as readonly string[]).includes(args.hook)) throw new UsageError(`--hook: one of ${HOOK_CHOICES.join(', ')}`);
  const def = readJson(args.api, '--api') as Record<string, unknown>;
  const req = readJson(args.request, '--request') as TestRequest;
  const session = args.session ? (readJson(args.session, '--session') as SessionState) : undefined;
  let config;
  try {
    config = loadGatewayConfig(args.conf);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  // The API's log lines (its middleware's console and the gateway's lines about it); the rest of
  // the run's logging is not shown.
  const logs: Record<string, unknown>[] = [];
  const apiId = String(def.api_id);
  const restoreLog = captureLogLines((line) => {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.api_id === apiId && entry.component !== 'access') logs.push(entry);
    } catch {
      // not a JSON line
    }
  });
  const upstreamSeen: { method: string; path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const upstream = http.createServer((r, res) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => {
      upstreamSeen.push({ method: r.method ?? '', path: r.url ?? '', headers: r.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"upstream":"isogate test-hook"}');
    });
  });
  await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const apps = mkdtempSync(join(tmpdir(), 'isogate-test-hook-'));
  const { Gateway } = await import('../gateway/gateway');
  writeFileSync(join(apps, `${apiId}.json`), JSON.stringify(definitionForRun(def, args.hook as HookChoice, upstreamUrl, session !== undefined)));
  const gateway = new Gateway({ ...config, app_path: apps, listen_address: '127.0.0.1', listen_port: 0, storage: { type: 'memory' }, enable_metrics: false, secret: undefined });
  const events: EventInput[] = [];
  const fire = gateway.events.fire.bind(gateway.events);
  gateway.events.fire = (e: EventInput) => {
    events.push(e);
    fire(e);
  };
  let result: Record<string, unknown>;
  try {
    const address = await gateway.start();
    const runtime = gateway.getApi(apiId);
    if (!runtime) throw new UsageError(`${args.api}: the API did not load: ${gateway.failedApis.map((f) => f.error).join('; ')}`);
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    if (session) {
      await gateway.store.set(SESSION_KEY, { ...session, org_id: runtime.spec.orgId });
      if (!Object.keys(headers).some((h) => h.toLowerCase() === runtime.spec.authHeaderName.toLowerCase())) headers[runtime.spec.authHeaderName] = SESSION_KEY;
    }
    const res = await fetch(`http://127.0.0.1:${address.port}${req.path ?? runtime.spec.listenPath}`, { method: req.method ?? 'GET', headers, body: req.body });
    const body = await res.text();
    const after = session ? await gateway.store.get(SESSION_KEY) : undefined;
    const sent = upstreamSeen[0];
    result = {
      api_id: apiId,
      hooks: args.hook,
      upstream_request: sent ?? null,
      response: { status: res.status, headers: Object.fromEntries(res.headers), body },
      short_circuit: sent === undefined,
      session: session ? { before: session, after: after ?? null, changed: changedFields(session, after) } : null,
      events: events.map((e) => ({ type: e.type, meta: e.meta })),
      logs: logs.map((l) => ({ level: l.level, msg: l.msg, ...(l.hook ? { hook: l.hook } : {}), ...(l.stack ? { stack: l.stack } : {}) })),
    };
  } finally {
    await gateway.stop(1000);
    upstream.close();
    rmSync(apps, { recursive: true, force: true });
    restoreLog();
  }
  const failed = (result.events as { type: string }[]).some((e) => e.type === 'MiddlewareError');
  process.stdout.write(args.json ? `${JSON.stringify(result, null, 2)}\n` : describe(result));
  return failed ? 1 : 0;
}

function changedFields(before: SessionState, after: SessionState | undefined): string[] {
  if (!after) return ['(deleted)'];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify((before as Record<string, unknown>)[k]) !== JSON.stringify((after as Record<string, unknown>)[k])).sort();
}

function describe(r: Record<string, any>): string {
  const lines: string[] = [];
  if (r.upstream_request) {
    const u = r.upstream_request;
    lines.push(`upstream request: ${u.method} ${u.path}`);
    for (const [k, v] of Object.entries(u.headers)) lines.push(`  ${k}: ${String(v)}`);
    if (u.body) lines.push(`  body: ${u.body}`);
  } else {
    lines.push(`short-circuit: ${r.response.status}`);
    lines.push(`  body: ${r.response.body}`);
  }
  lines.push(`response: ${r.response.status}`);
  if (r.session) lines.push(`session changes: ${r.session.changed.length ? r.session.changed.join(', ') : 'none'}`);
  lines.push(`events: ${r.events.length ? r.events.map((e: { type: string }) => e.type).join(', ') : 'none'}`);
  lines.push(`logs: ${r.logs.length ? '' : 'none'}`);
  for (const l of r.logs) lines.push(`  ${l.msg}`);
  return `${lines.join('\n')}\n`;
}
