import { logger } from '../log/logger';
import { GatewayError, loopTooDeep, Messages } from '../pipeline/errors';
import type { LoopState, LoopTarget, RequestState } from '../pipeline/request-state';
import { normalisePath } from '../pipeline/url';
import { HEADER_NAME_TOKEN } from '../protocol/header-names';

/**
 * Tyk's internal loop: a URL rewrite (or a hook's url) of `tyk://self/path` or
 * `tyk://<api_id or API name>/path` continues the request on that API's whole chain instead of
 * proxying it, without the router. As Tyk: at most 5 loops per request (`loop_limit=N` in the
 * first loop's query sets another limit, once; at most MAX_LOOP_LIMIT), more answer 500 `Loop level too deep...`; a
 * `method=X` query parameter sets the method; rate limits and quotas are not counted again on a
 * looped request unless `check_limits=true`; only the loop URL's own query goes on.
 *
 * Our rule on top of Tyk's: a loop stays inside the API's organisation. A target of another
 * org_id answers exactly as an unknown one (500 `Can't detect loop target`), so a tenant can
 * neither reach nor discover another tenant's APIs by name.
 */

export const DEFAULT_LOOP_LIMIT = 5;
/**
 * Our cap on `loop_limit` (Tyk has none). The loop URL's query can come from the request (a
 * rewrite group), and each loop runs a whole chain on the event loop: a client asking for a
 * million loops must not hold the process.
 */
export const MAX_LOOP_LIMIT = 100;
const LOOP_URL = /^tyk:\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/i;

/** Tyk's LoopingUrl: a host that is an API name gets its non-alphanumeric runs as `-`. */
export function loopingName(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, '-');
}

/** The loop target of a `tyk://` URL, undefined for any other URL; throws when its path is unusable. */
export function parseLoopUrl(url: string): LoopTarget | undefined {
  const m = LOOP_URL.exec(url);
  if (!m) return undefined;
  const path = normalisePath(m[2] || '/');
  if (path === undefined) throw new GatewayError(500, Messages.loopTargetUnknown);
  return { host: loopingName(m[1]!), path, query: (m[3] ?? '').replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c)) };
}

/** What the loop needs of an API runtime. */
export interface LoopApi {
  readonly spec: { readonly apiId: string; readonly orgId: string };
}

/**
 * Decide the next hop of a looping request: its target API, and the state the target's chain
 * starts from. `find` looks an API up by id or looping name.
 */
export function nextHop<A extends LoopApi>(state: RequestState, current: A, find: (host: string) => A | undefined): { target: A; loops: LoopState; method: string } {
  const loop = state.loop!;
  const loops: LoopState = state.loops ? { ...state.loops } : { level: 0, limit: 0, checkLimits: false };
  const limit = loops.limit || DEFAULT_LOOP_LIMIT;
  if (loops.level > limit) throw new GatewayError(500, loopTooDeep(limit));
  const params = new URLSearchParams(loop.query);
  const target = loop.host.toLowerCase() === 'self' ? current : find(loop.host);
  if (!target || target.spec.orgId !== current.spec.orgId) {
    if (target) logger.warn({ api_id: current.spec.apiId, loop_target: target.spec.apiId }, `internal loop to api ${target.spec.apiId} refused: it belongs to another organisation`);
    throw new GatewayError(500, Messages.loopTargetUnknown);
  }
  if (!loops.limit) loops.limit = Math.min(MAX_LOOP_LIMIT, Math.max(0, Number.parseInt(params.get('loop_limit') ?? '', 10) || 0));
  loops.checkLimits = params.get('check_limits') === 'true';
  loops.level++;
  const override = params.get('method');
  const method = override && HEADER_NAME_TOKEN.test(override) ? override : state.method;
  return { target, loops, method };
}
