/** A request target split once, at the router, into the path and the query string (without `?`). */
export interface SplitUrl {
  path: string;
  query: string;
}

export function splitUrl(url: string): SplitUrl {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

export function joinUrl(path: string, query: string): string {
  return query ? `${path}?${query}` : path;
}

/** First value of one query parameter, or undefined. */
export function queryParam(query: string, name: string): string | undefined {
  if (!query) return undefined;
  return new URLSearchParams(query).get(name) ?? undefined;
}

/** First value of each query parameter, as Tyk hands `params` to plugins. */
export function firstValueParams(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!query) return out;
  for (const [k, v] of new URLSearchParams(query)) if (!(k in out)) out[k] = v;
  return out;
}

/**
 * The request target as the router reads it: origin-form (`/path?query`) as is, absolute-form
 * (`http://host/path?query`, which RFC 9112 §3.2.2 says a server must accept) reduced to its
 * path and query. Undefined for anything else (`*`, authority-form): the caller answers 400.
 */
export function requestTarget(url: string): SplitUrl | undefined {
  if (url.charCodeAt(0) === 0x2f) return splitUrl(url);
  const authority = /^https?:\/\/[^/?#]*/i.exec(url);
  if (!authority) return undefined;
  const rest = url.slice(authority[0].length);
  return splitUrl(rest.charCodeAt(0) === 0x2f ? rest : `/${rest}`);
}

const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;
const HEX2 = /^[0-9A-Fa-f]{2}$/;

/** ASCII codes that may stand in a path as they are: unreserved, sub-delims, ':', '@', '/'. */
const PLAIN = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/") PLAIN[c.charCodeAt(0)] = 1;

/**
 * The common case, in one pass (about half the cost of two regex tests, bench row (b) runs it
 * on every request): a path of plain characters without a dot segment is already normal.
 */
function isNormal(path: string): boolean {
  if (path.charCodeAt(0) !== 0x2f) return false;
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c >= 128 || PLAIN[c] === 0) return false;
    if (c === 0x2e && path.charCodeAt(i - 1) === 0x2f) {
      let end = i + 1;
      if (path.charCodeAt(end) === 0x2e) end++;
      if (end === path.length || path.charCodeAt(end) === 0x2f) return false;
    }
  }
  return true;
}

/** RFC 3986 §2.3 unreserved bytes: an escape of one of these is decoded (§6.2.2.2). */
function isUnreserved(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x2e || byte === 0x5f || byte === 0x7e;
}

/** pchar (§3.3) without '%', plus '/': what may stand in a path unescaped. */
const PATH_CHARS = new Set("!$&'()*+,;=:@/-._~");
function isPathChar(c: string, code: number): boolean {
  return isUnreserved(code) || PATH_CHARS.has(c);
}

/** RFC 3986 §5.2.4 remove_dot_segments, on a path that starts with '/'. Empty segments are kept. */
function removeDotSegments(path: string): string {
  const input = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < input.length; i++) {
    const segment = input[i]!;
    if (segment === '.' || segment === '..') {
      if (segment === '..') out.pop();
      if (i === input.length - 1) out.push('');
    } else out.push(segment);
  }
  return `/${out.join('/')}`;
}

/**
 * The one path normalisation (RFC 3986 §6.2.2), done once per request by the router and again
 * on a URL a plugin returns: escapes of unreserved characters are decoded once, other escapes
 * upper-cased, characters that may not stand in a path (`\`, `"`, `#`, non-ASCII, ...) are
 * escaped, then dot segments are removed. `%2F` stays an escape, so it never separates
 * segments. Listen paths, ignored paths and auth decisions all see this path, and it is exactly
 * what the upstream receives. Undefined when the path does not start with '/', has a broken
 * escape or a control character: the caller answers 400 (or, for a plugin's URL, Middleware error).
 */
export function normalisePath(path: string): string | undefined {
  if (isNormal(path)) return path;
  if (path.charCodeAt(0) !== 0x2f) return undefined;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    const code = path.charCodeAt(i);
    if (c === '%') {
      const hex = path.slice(i + 1, i + 3);
      if (!HEX2.test(hex)) return undefined;
      const byte = parseInt(hex, 16);
      out += isUnreserved(byte) ? String.fromCharCode(byte) : `%${hex.toUpperCase()}`;
      i += 2;
    } else if (code < 0x20 || code === 0x7f) {
      return undefined; // control characters (CR, LF, NUL, ...) are refused, as Go's URL parser does
    } else if (code < 0x80) {
      out += isPathChar(c, code) ? c : `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
    } else {
      // Only a plugin's URL gets here (Node's parser refuses raw non-ASCII request targets): UTF-8, escaped.
      const char = String.fromCodePoint(path.codePointAt(i)!);
      try {
        out += encodeURIComponent(char);
      } catch {
        return undefined; // a lone surrogate
      }
      i += char.length - 1;
    }
  }
  return DOT_SEGMENT.test(out) ? removeDotSegments(out) : out;
}
