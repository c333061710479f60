// Query strings the way Go's net/url reads and writes them, for Tyk's JSVM `Params` (all values
// of each key) and for ExtendedParams, which append values: the shared host applier can only
// set and delete, so a request using ExtendedParams gets its final query computed here.

export type QueryValues = Record<string, string[]>;

function unescape(part: string): string | undefined {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** Go's url.ParseQuery: `&`-separated, `+` is a space; pairs that fail to decode are skipped. */
export function parseQuery(query: string): QueryValues {
  const out: QueryValues = Object.create(null);
  if (query === '') return out;
  for (const pair of query.split('&')) {
    // Go (1.17+) rejects semicolon separators: such a pair is dropped, not split.
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const key = unescape(eq < 0 ? pair : pair.slice(0, eq));
    const value = unescape(eq < 0 ? '' : pair.slice(eq + 1));
    if (key === undefined || value === undefined) continue;
    (out[key] ??= []).push(value);
  }
  return out;
}

interface WellFormed {
  toWellFormed(): string;
}

/** Go's url.QueryEscape: only A-Z a-z 0-9 - _ . ~ stay; space becomes `+`. */
function escape(text: string): string {
  return encodeURIComponent((text as unknown as WellFormed).toWellFormed())
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Go's url.Values.Encode: keys sorted, values in order. */
export function encodeQuery(values: QueryValues): string {
  const parts: string[] = [];
  for (const key of Object.keys(values).sort()) {
    for (const value of values[key]) parts.push(`${escape(key)}=${escape(value)}`);
  }
  return parts.join('&');
}

/** Split `url` (path + query, as Tyk shows it) at the first `?`. */
export function splitUrl(url: string): [path: string, query: string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}
