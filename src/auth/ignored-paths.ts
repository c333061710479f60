import type { ApiSpec } from '../config/api-spec';

/**
 * Tyk's `ignored` extended paths skip auth. `requestPath` is the router's normalised path
 * (src/pipeline/url.ts), matched after the listen path, whole segments only (config/api-spec.ts).
 */
export function isIgnoredPath(spec: ApiSpec, requestPath: string, method: string): boolean {
  if (spec.ignoredPaths.length === 0) return false;
  let path = requestPath;
  const prefix = spec.listenPath.slice(0, -1);
  if (prefix && path.startsWith(prefix)) path = path.slice(prefix.length) || '/';
  return spec.ignoredPaths.some((entry) => (!entry.methods || entry.methods.has(method)) && entry.pattern.test(path));
}
