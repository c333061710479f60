import { normalisePath } from '../pipeline/url';

// Tyk's extended-path patterns (`ignored`, `virtual`, …), matched the way Tyk's exact matching
// does (`enable_path_prefix_matching` + `enable_path_suffix_matching`): the whole path after the
// listen path, segment by segment, never as a string prefix.

/** A literal piece of a pattern, normalised like request paths are, then escaped for a regex. */
function literal(piece: string): string {
  const normal = piece === '' ? '' : (normalisePath(`/${piece}`) ?? `/${piece}`).slice(1);
  return normal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `{name}` is one whole segment, `*` any characters within one segment (`/health*` matches
 * `/healthz`, not `/healthz/secret`), a trailing `/` is optional; other regex characters are
 * literal. Anchored at both ends.
 */
export function compilePathPattern(path: string): RegExp {
  const segments = path.replace(/^\/+/, '').replace(/\/+$/, '').split('/').filter((s, j, all) => s !== '' || all.length === 1);
  const body = segments
    .map((segment) => (/^\{[^/{}]*\}$/.test(segment) ? '[^/]+' : segment.split('*').map(literal).join('[^/]*')))
    .join('/');
  return new RegExp(body ? `^/${body}/?$` : '^/$');
}

/** The router's normalised request path with the API's listen path taken off (`/` at least). */
export function pathAfterListenPath(listenPath: string, requestPath: string): string {
  const prefix = listenPath.slice(0, -1);
  if (prefix && requestPath.startsWith(prefix)) return requestPath.slice(prefix.length) || '/';
  return requestPath;
}
