import type { IncomingHttpHeaders } from 'node:http';

import { canonicalHeaderName as canonical } from '../protocol/header-names';

const canonicalCache = new Map<string, string>();

/** Go's CanonicalMIMEHeaderKey, memoised: the host names every request header this way for plugins. */
export function canonicalHeaderName(name: string): string {
  let out = canonicalCache.get(name);
  if (out === undefined) {
    out = canonical(name);
    if (canonicalCache.size < 10000) canonicalCache.set(name, out);
  }
  return out;
}

/** First value of each header under its canonical name, plus `Host`, as Tyk sends them. */
export function firstValueHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    out[canonicalHeaderName(name)] = Array.isArray(value) ? (value[0] ?? '') : value;
  }
  return out;
}

/** First value of a header; lowercase names as Node gives them, with a case-insensitive fallback for maps built elsewhere. */
export function headerValue(headers: Record<string, string | string[] | undefined>, lowerName: string): string | undefined {
  let value = headers[lowerName];
  if (value === undefined) {
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() === lowerName) {
        value = headers[name];
        break;
      }
    }
  }
  return Array.isArray(value) ? value[0] : value;
}

/** Connection-scoped headers a proxy must not forward (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Headers that frame or scope a message: the gateway sets these itself, never a plugin. */
export function isFramingHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return HOP_BY_HOP.has(lower) || lower === 'content-length';
}

export function stripHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  const listed = headers.connection;
  const extra = listed ? new Set(String(listed).toLowerCase().split(',').map((s) => s.trim())) : undefined;
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || extra?.has(name)) continue;
    out[name] = headers[name];
  }
  return out;
}
