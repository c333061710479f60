import type { ApiSpec } from '../config/api-spec';

/** Tyk's `ignored` extended paths skip auth; they are matched against the path after the listen path. */
export function isIgnoredPath(spec: ApiSpec, requestPath: string): boolean {
  if (spec.ignoredPaths.length === 0) return false;
  let path = requestPath;
  const prefix = spec.listenPath.slice(0, -1);
  if (prefix && path.startsWith(prefix)) path = path.slice(prefix.length) || '/';
  return spec.ignoredPaths.some((re) => re.test(path));
}
