import type { ApiSpec } from '../config/api-spec';
import { pathAfterListenPath } from '../config/path-pattern';

/**
 * Tyk's `ignored` extended paths skip auth. `requestPath` is the router's normalised path
 * (src/pipeline/url.ts), matched after the listen path, whole segments only (config/api-spec.ts).
 */
export function isIgnoredPath(spec: ApiSpec, requestPath: string, method: string): boolean {
  if (spec.ignoredPaths.length === 0) return false;
  const path = pathAfterListenPath(spec.listenPath, requestPath);
  return spec.ignoredPaths.some((entry) => (!entry.methods || entry.methods.has(method)) && entry.pattern.test(path));
}
