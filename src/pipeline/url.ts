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
