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

/** A named step of an API's chain, built once at load. Ends the request by throwing GatewayError or setting `finished`. */
export interface Step {
  readonly name: string;
  run(state: RequestState): void | Promise<void>;
}
