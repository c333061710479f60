import type { ApiSpec } from '../config/api-spec';
import { compilePathPattern, pathAfterListenPath } from '../config/path-pattern';
import type { Step } from '../pipeline/request-state';
import { servedVersion } from './served-version';

/**
 * Tyk's method transform (`extended_paths.method_transforms`), after the URL rewrite: the first
 * entry whose path and method match the request as the client sent it sends it upstream with
 * `to_method` (upper-cased, as Tyk). Post hooks see the new method.
 */
export function compileMethodTransforms(spec: ApiSpec): Step | undefined {
  const list = (servedVersion(spec.definition)?.version.extended_paths?.method_transforms ?? []).filter((m) => !m.disabled);
  if (list.length === 0) return undefined;
  const entries = list.map((m) => ({ pattern: compilePathPattern(m.path), method: m.method ? m.method.toUpperCase() : undefined, to: m.to_method.toUpperCase() }));
  return {
    name: 'method_transform',
    run(state) {
      const at = state.endpoint ?? state;
      const relative = pathAfterListenPath(state.spec.listenPath, at.path);
      const entry = entries.find((e) => (!e.method || e.method === at.method) && e.pattern.test(relative));
      if (!entry) return;
      state.endpoint ??= { path: state.path, method: state.method };
      state.method = entry.to;
    },
  };
}
