// System (t): a keyless API whose definition asks for Tyk's header injection, a URL rewrite and
// a response header (src/transform), reported against (b), the same API without them: what the
// definition-driven steps cost per request.
import { apiDefinition } from './plugins.mjs';

export function transformsApi(apiId, listenPath, target) {
  return apiDefinition(apiId, listenPath, target, {
    enable_context_vars: true,
    version_data: {
      not_versioned: true,
      versions: {
        Default: {
          name: 'Default',
          global_headers: { 'X-Bench': 'global', 'X-Bench-Id': '$tyk_context.request_id' },
          global_response_headers: { 'X-Bench-Response': 'yes' },
          extended_paths: {
            url_rewrites: [{ path: '/{rest}', match_pattern: `${listenPath}(\\w+)`, rewrite_to: '/rewritten/$1' }],
          },
        },
      },
    },
  });
}
