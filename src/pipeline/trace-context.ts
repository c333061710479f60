import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/ §3.2): `version-traceid-parentid-flags`,
 * lowercase hex. Version ff is invalid, and an all-zero trace or parent id too. A later version
 * may append fields after a `-`; we forward what version 00 defines, as the spec asks of a
 * party that knows only 00.
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[\x21-\x7e]*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_PARENT = '0'.repeat(16);
/** Longer than any sensible header: not even looked at. */
const MAX_LENGTH = 512;

/** The canonical version-00 form of a valid `traceparent`, or undefined for anything else. */
export function parseTraceparent(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_LENGTH) return undefined;
  const m = TRACEPARENT.exec(value);
  if (!m) return undefined;
  const [, version, traceId, parentId, flags, rest] = m;
  if (version === 'ff' || traceId === ZERO_TRACE || parentId === ZERO_PARENT) return undefined;
  if (version === '00' && rest !== undefined) return undefined;
  return `00-${traceId}-${parentId}-${flags}`;
}

/** A new trace: random ids, sampled flag unset (the upstream's tracer decides). */
export function newTraceparent(): string {
  const bytes = randomBytes(24);
  return `00-${bytes.toString('hex', 0, 16)}-${bytes.toString('hex', 16, 24)}-00`;
}

/**
 * The request's trace context, settled once before any step runs: a valid `traceparent` goes on
 * upstream (normalised), an invalid one is removed together with its `tracestate` (§3.3: state
 * without a valid parent must not travel), and with `generate` a request without one starts a
 * trace. Returns the traceparent that goes upstream, if any (hooks get it as
 * `metadata.traceparent`, gRPC plugin servers as call metadata).
 */
export function settleTraceContext(headers: IncomingHttpHeaders, generate: boolean): string | undefined {
  const given = headers.traceparent;
  if (given === undefined) {
    if (!generate) return undefined;
    delete headers.tracestate;
    return (headers.traceparent = newTraceparent());
  }
  const valid = parseTraceparent(given);
  if (valid === undefined) {
    delete headers.traceparent;
    delete headers.tracestate;
    if (!generate) return undefined;
    return (headers.traceparent = newTraceparent());
  }
  headers.traceparent = valid;
  return valid;
}
