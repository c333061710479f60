import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ApiSpec } from '../config/api-spec';
import type { SessionState } from './session';

/** The upstream answer, buffered only when response hooks need to see it. */
export interface UpstreamResponse {
  status: number;
  /** Lowercase names, Node style (string or list of values). */
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Everything a request carries through the chain. Steps mutate it; the proxy step sends it on.
 * `path` (the listen path still in place, as Tyk shows it to plugins) and `query` (without `?`)
 * are split once by the router; a hook that rewrites the URL sets both.
 */
export interface RequestState {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly spec: ApiSpec;
  readonly clientIp: string;
  readonly scheme: 'http' | 'https';
  readonly requestUri: string;
  /** Aborted when the client disconnects before the response is complete. */
  readonly signal: AbortSignal;
  method: string;
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  /**
   * With `ignore_canonical_mime_header_key`: lowercase name → the spelling a plugin set it with,
   * which is the name the upstream gets (Node sends names as given).
   */
  headerNames?: Record<string, string>;
  /** The buffered request body; undefined while it still streams from `req`. */
  body?: Buffer;
  session?: SessionState;
  /** The store key the session lives under (the token, or the ID extractor's cache key). */
  sessionKey?: string;
  upstream?: UpstreamResponse;
  /** Tyk's `$tyk_context.*` values, taken once after the pre hooks when the API enables them (src/transform/context-vars.ts). */
  contextVars?: Record<string, ContextValue>;
  /**
   * What endpoint-level middleware matches once a URL rewrite or method transform changed the
   * request: the path and method before them (Tyk applies both only as the request leaves the chain).
   */
  endpoint?: { path: string; method: string };
  /** A `tyk://api/path` target (URL rewrite or a hook's url): the request continues on that API (src/transform/loop.ts). */
  loop?: LoopTarget;
  /** Internal loops already taken by this request, its limit and whether limits apply (Tyk's loop_limit, check_limits). */
  loops?: LoopState;
  /** An absolute URL a URL rewrite sends the request to, instead of the API's target (src/transform/url-rewrite.ts). */
  upstreamTarget?: URL;
  /** Set once a response has been written; the chain stops. */
  finished: boolean;
  /** performance.now() when the router handed the request to its API (metrics, access log). */
  readonly startedAt: number;
  /** Time the request waited in hook calls, ms (src/coprocess/hook-timing.ts). */
  hookMs: number;
  /** Time from sending upstream to its response headers, ms; unset if it never went upstream. */
  upstreamMs?: number;
  /** The W3C traceparent that goes upstream (pipeline/trace-context.ts), if any. */
  traceparent?: string;
}

/** A context variable: text, or a list (Tyk's `path_parts`, `request_data`). */
export type ContextValue = string | string[] | Record<string, string[]>;

export interface LoopTarget {
  /** `self`, an api_id or an API's looping name. */
  host: string;
  path: string;
  query: string;
}

export interface LoopState {
  level: number;
  limit: number;
  checkLimits: boolean;
}

/** A named step of an API's chain, built once at load. Ends the request by throwing GatewayError or setting `finished`. */
export interface Step {
  readonly name: string;
  run(state: RequestState): void | Promise<void>;
}
