import { NetError } from './errors';

/** RFC 9110 token: what a header name (and a method) may be made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A field value may not carry CR, LF or NUL (RFC 9110 §5.5): they would split the request. */
const BAD_VALUE = /[\r\n\0]/;

/**
 * Framing and hop-by-hop headers: the layer writes them (Node's client sets Host, Content-Length
 * and Connection from the URL, the body and the agent), so a plugin cannot smuggle a second
 * request or lie about the body's length. Dropped silently, as browsers do for fetch.
 */
const LAYER_OWNED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-connection', 'expect']);

export function checkMethod(method: string): string {
  if (!TOKEN.test(method)) throw new NetError('TypeError', `"${method}" is not a valid HTTP method`);
  const upper = method.toUpperCase();
  if (upper === 'CONNECT' || upper === 'TRACE' || upper === 'TRACK') throw new NetError('TypeError', `the ${upper} method is not allowed`);
  return upper;
}

/**
 * The headers to send, as `name → value` (same names, any case, joined with ", "): throws a
 * TypeError for a name that is not a token or a value with CR/LF/NUL; drops LAYER_OWNED ones.
 */
export function requestHeaders(pairs: readonly (readonly [string, string])[]): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Map<string, string>();
  for (const [name, raw] of pairs) {
    if (typeof name !== 'string' || !TOKEN.test(name)) throw new NetError('TypeError', `invalid header name ${JSON.stringify(String(name))}`);
    const value = String(raw);
    if (BAD_VALUE.test(value)) throw new NetError('TypeError', `invalid value for header "${name}": CR, LF and NUL are not allowed`);
    const lower = name.toLowerCase();
    if (LAYER_OWNED.has(lower)) continue;
    const key = seen.get(lower);
    if (key === undefined) {
      seen.set(lower, name);
      out[name] = value.trim();
    } else out[key] = `${out[key]}, ${value.trim()}`;
  }
  return out;
}

/** Remove `names` (any case) from `headers`, in place. */
export function dropHeaders(headers: Record<string, string>, names: readonly string[]): void {
  const lower = new Set(names.map((n) => n.toLowerCase()));
  for (const key of Object.keys(headers)) if (lower.has(key.toLowerCase())) delete headers[key];
}
