import type { ApiSpec } from '../config/api-spec';
import { ConfigError } from '../config/config-error';
import { compilePathPattern, pathAfterListenPath } from '../config/path-pattern';
import type { RewriteTrigger, StringRegex, UrlRewrite } from '../config/transform-schema';
import { logger } from '../log/logger';
import { GatewayError, Messages } from '../pipeline/errors';
import { canonicalHeaderName } from '../pipeline/headers';
import type { ContextValue, RequestState, Step } from '../pipeline/request-state';
import { joinUrl, normalisePath, splitUrl } from '../pipeline/url';
import { compileLinear } from './linear-regex';
import { parseLoopUrl } from './loop';
import { servedVersion } from './served-version';
import { compileTemplate, render, type Template } from './tyk-vars';

/**
 * Tyk's URL rewrite (`extended_paths.url_rewrites`), one step after the header transform. The
 * first entry whose `path` and `method` match the request picks the rewrite. `match_pattern`
 * is matched against the request URI as the client sent it (listen path and query included; if
 * it does not match, against its percent-decoded form); `triggers` may pick another `rewrite_to`
 * (`on: any` fires on the first matching option, `all` needs every option; the first trigger
 * that fires wins); then `$N` is replaced by the pattern's groups and `$tyk_meta.*` /
 * `$tyk_context.*` by their values (query-escaped). A pattern that does not match leaves the URL.
 *
 * Where the result may point:
 * - a relative path or `/path`: the API's own upstream. Dot segments are resolved first
 *   (pipeline/url.ts), so `..` never climbs above the target's base path.
 * - `tyk://self/...` or `tyk://<api>/...`: an internal loop (loop.ts).
 * - `http(s)://host/...`: Tyk proxies there. isogate does only when that scheme and host are
 *   written literally in the definition's `rewrite_to`; a host that came from the request
 *   (a group, a variable) is refused with 500 and a log line, so request data cannot send a
 *   request to a host the operator did not name.
 * Patterns run in bounded time (linear-regex.ts): no input can make one backtrack without end.
 */

interface Option {
  readonly name: string;
  readonly rx: RegExp;
  readonly reverse: boolean;
}

interface Trigger {
  readonly any: boolean;
  readonly headers: readonly Option[];
  readonly query: readonly Option[];
  readonly pathParts: readonly Option[];
  readonly sessionMeta: readonly Option[];
  readonly context: readonly Option[];
  readonly payload?: Option;
  readonly rewriteTo: string;
}

interface Rewrite {
  readonly pattern: RegExp;
  readonly method?: string;
  readonly match: RegExp;
  readonly rewriteTo: string;
  readonly triggers: readonly Trigger[];
  /** Each rewrite target's variables, split once (tyk-vars.ts). */
  readonly templates: ReadonlyMap<string, Template>;
  /** The origins this entry's rewrite targets write literally: the only hosts it may send to. */
  readonly origins: ReadonlySet<string>;
  readonly where: string;
}

/** `scheme://host` written literally at the start of a rewrite target, if any. */
function literalOrigin(rewriteTo: string): string | undefined {
  const m = /^(https?):\/\/([^/?#$]+)(?=[/?#]|$)/i.exec(rewriteTo);
  if (!m) return undefined;
  try {
    return new URL(`${m[1]}://${m[2]}`).origin;
  } catch {
    return undefined;
  }
}

function options(map: Record<string, StringRegex> | null | undefined, where: string): Option[] {
  return Object.entries(map ?? {}).map(([name, o]) => ({ name, rx: compileLinear(o.match_rx, `${where}.${name}.match_rx`), reverse: o.reverse === true }));
}

function compileTrigger(t: RewriteTrigger, where: string): Trigger {
  const o = t.options ?? {};
  return {
    any: t.on === 'any',
    headers: options(o.header_matches, `${where}.options.header_matches`),
    query: options(o.query_val_matches, `${where}.options.query_val_matches`),
    pathParts: options(o.path_part_matches, `${where}.options.path_part_matches`),
    sessionMeta: options(o.session_meta_matches, `${where}.options.session_meta_matches`),
    context: options(o.request_context_matches, `${where}.options.request_context_matches`),
    payload: o.payload_matches?.match_rx
      ? { name: 'payload', rx: compileLinear(o.payload_matches.match_rx, `${where}.options.payload_matches.match_rx`), reverse: o.payload_matches.reverse === true }
      : undefined,
    rewriteTo: t.rewrite_to,
  };
}

/** Tyk's StringRegexMap: a match (or, with `reverse`, no match) of one value. */
function test(option: Option, value: string): RegExpExecArray | [] | undefined {
  const m = option.rx.exec(value);
  if (option.reverse) return m ? undefined : [];
  return m ?? undefined;
}

/** Tyk keeps what triggers matched as context variables: `trigger-<n>-<name>[-<i>]`, groups as `-<g>`. */
function remember(vars: Record<string, ContextValue>, match: RegExpExecArray | [], key: string): void {
  if (match.length === 0) return;
  vars[key] = match[0]!;
  for (let g = 1; g < match.length; g++) vars[`${key}-${g - 1}`] = match[g] ?? '';
}

/** One option map: `any` needs one matching value, otherwise as many matches as options (Tyk's count). */
function checkValues(list: readonly Option[], values: (o: Option) => string[], key: (o: Option, i: number, count: number) => string, vars: Record<string, ContextValue>, any: boolean): boolean {
  let count = 0;
  for (const option of list) {
    const vs = values(option);
    for (let i = 0; i < vs.length; i++) {
      const m = test(option, vs[i]!);
      if (!m) continue;
      remember(vars, m, key(option, i, count));
      count++;
    }
  }
  return count > 0 && (any || list.length <= count);
}

function headerValues(state: RequestState, name: string): string[] {
  const v = state.headers[name.toLowerCase()];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function fired(t: Trigger, n: number, state: RequestState, vars: Record<string, ContextValue>): boolean {
  const checks: (() => boolean)[] = [];
  if (t.headers.length) checks.push(() => checkValues(t.headers, (o) => headerValues(state, o.name), (o, i) => `trigger-${n}-${canonicalHeaderName(o.name)}-${i}`, vars, t.any));
  if (t.query.length) {
    const params = new URLSearchParams(state.query);
    checks.push(() => checkValues(t.query, (o) => params.getAll(o.name), (o, i) => `trigger-${n}-${o.name}-${i}`, vars, t.any));
  }
  if (t.pathParts.length) checks.push(() => checkValues(t.pathParts, () => state.path.split('/'), (o, _i, count) => `trigger-${n}-${o.name}-${count}`, vars, t.any));
  if (t.sessionMeta.length && state.session) {
    const meta = state.session.meta_data ?? {};
    checks.push(() => checkValues(t.sessionMeta, (o) => (typeof meta[o.name] === 'string' ? [meta[o.name] as string] : []), (o) => `trigger-${n}-${o.name}`, vars, t.any));
  }
  if (t.context.length) checks.push(() => checkValues(t.context, (o) => (typeof vars[o.name] === 'string' ? [vars[o.name] as string] : []), (o) => `trigger-${n}-${o.name}`, vars, t.any));
  if (t.payload) {
    const payload = t.payload;
    checks.push(() => {
      const m = test(payload, (state.body ?? Buffer.alloc(0)).toString('utf8'));
      if (m) remember(vars, m, `trigger-${n}-payload`);
      return m !== undefined;
    });
  }
  // Tyk counts a session-meta option only when there is a session: without one it cannot fire.
  const total = [t.headers, t.query, t.pathParts, t.sessionMeta, t.context].filter((l) => l.length > 0).length + (t.payload ? 1 : 0);
  let passed = 0;
  for (const check of checks) {
    if (!check()) continue;
    passed++;
    if (t.any) return true;
  }
  return !t.any && passed === total;
}

/** `$0`..`$N` of the pattern's first match; an index it does not have gives "". */
function substituteGroups(target: string, groups: RegExpExecArray): string {
  return target.replace(/\$(\d+)/g, (_m, i: string) => groups[Number(i)] ?? '');
}

function decodedOrUndefined(uri: string): string | undefined {
  if (!uri.includes('%')) return undefined;
  try {
    return decodeURI(uri).replace(/%2F/gi, '/');
  } catch {
    return undefined;
  }
}

function templateFor(entry: Rewrite, text: string): Template {
  return entry.templates.get(text) ?? compileTemplate(text);
}

/** The rewritten URL as Tyk computes it (before deciding where it points). */
function rewrite(entry: Rewrite, state: RequestState): string | undefined {
  let rewriteTo = entry.rewriteTo;
  if (entry.triggers.length > 0) {
    // Triggers keep their matches as context variables, even where context variables are off.
    const vars = (state.contextVars ??= {});
    for (let n = 0; n < entry.triggers.length; n++) {
      if (fired(entry.triggers[n]!, n, state, vars)) {
        rewriteTo = entry.triggers[n]!.rewriteTo;
        break;
      }
    }
  }
  const uri = joinUrl(state.path, state.query);
  let groups = entry.match.exec(uri);
  if (!groups) {
    const decoded = decodedOrUndefined(uri);
    if (decoded !== undefined) groups = entry.match.exec(decoded);
  }
  if (!groups) return undefined;
  // Groups go into the definition's own text only: a group holding `$tyk_meta.x` stays literal.
  return render(templateFor(entry, rewriteTo), state, true, (text) => substituteGroups(text, groups!));
}

function refuse(state: RequestState, entry: Rewrite, result: string, why: string): never {
  logger.warn({ api_id: state.spec.apiId, rewrite: entry.where, result: result.slice(0, 200) }, `URL rewrite refused: ${why}`);
  throw new GatewayError(500, Messages.rewriteRefused);
}

/** Point the request where the rewrite says. */
function applyResult(state: RequestState, entry: Rewrite, result: string): void {
  const loop = parseLoopUrl(result);
  if (loop) {
    state.loop = loop;
    return;
  }
  let local = result;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(result)) {
    let url: URL | undefined;
    try {
      url = new URL(result);
    } catch {
      url = undefined;
    }
    if (!url || !entry.origins.has(url.origin)) refuse(state, entry, result, 'the result names a scheme or host that the API definition does not write literally');
    state.upstreamTarget = url;
    local = url.pathname + url.search;
  } else if (!local.startsWith('/')) local = `/${local}`;
  const next = splitUrl(local);
  const path = normalisePath(next.path);
  if (path === undefined) refuse(state, entry, result, 'the result is not a valid path');
  state.endpoint ??= { path: state.path, method: state.method };
  state.path = path;
  state.query = next.query.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c));
  if (state.upstreamTarget) state.upstreamTarget = new URL(joinUrl(path, state.query), state.upstreamTarget.origin);
}

export function compileUrlRewrites(spec: ApiSpec): Step | undefined {
  const served = servedVersion(spec.definition);
  const list: UrlRewrite[] = (served?.version.extended_paths?.url_rewrites ?? []).filter((r) => !r.disabled);
  if (list.length === 0) return undefined;
  const base = `${spec.file} (api ${spec.apiId}): version_data.versions.${served!.name}.extended_paths.url_rewrites`;
  const entries: Rewrite[] = list.map((r, i) => {
    const where = `${base}[${i}]`;
    const origins = new Set<string>();
    const triggers = (r.triggers ?? []).map((t, j) => compileTrigger(t, `${where}.triggers[${j}]`));
    for (const text of [r.rewrite_to, ...triggers.map((t) => t.rewriteTo)]) {
      const origin = literalOrigin(text);
      if (origin) origins.add(origin);
      else if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text) && !/^tyk:\/\//i.test(text) && !/^\$/.test(text)) {
        throw new ConfigError(`${where}: rewrite_to ${JSON.stringify(text)}: only http(s)://host and tyk:// targets are supported`);
      }
    }
    const templates = new Map([r.rewrite_to, ...triggers.map((t) => t.rewriteTo)].map((text) => [text, compileTemplate(text)]));
    return { pattern: compilePathPattern(r.path), method: r.method ? r.method.toUpperCase() : undefined, match: compileLinear(r.match_pattern, `${where}.match_pattern`), rewriteTo: r.rewrite_to, triggers, templates, origins, where };
  });
  return {
    name: 'url_rewrite',
    run(state) {
      const at = state.endpoint ?? state;
      const relative = pathAfterListenPath(state.spec.listenPath, at.path);
      const entry = entries.find((e) => (!e.method || e.method === at.method) && e.pattern.test(relative));
      if (!entry) return;
      const result = rewrite(entry, state);
      if (result !== undefined) applyResult(state, entry, result);
    },
  };
}
