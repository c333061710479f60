// The names that become file names: an API's id (`app_path/{api_id}.json`,
// `middleware_path/{api_id}/`) and an uploaded middleware file's name. Each has ONE rule, checked
// here and nowhere else, by every management route, every definition body and every file loaded
// from app_path. Express decodes `%2F`, `%2e` and `%00` in route params before they arrive, so
// the rule is applied to the decoded text: a name is one path segment and can never be `.`/`..`.

/** Tyk's ids are hex or slugs; the set is also safe in a URL path, a Redis key and a file name. */
const API_ID = /^[A-Za-z0-9._~-]{1,128}$/;

/** Why `apiId` cannot be an API id, or undefined when it can. */
export function apiIdProblem(apiId: unknown): string | undefined {
  if (typeof apiId !== 'string' || apiId === '') return 'must be a non-empty string';
  if (!API_ID.test(apiId)) return 'must be 1 to 128 of the characters A-Z a-z 0-9 . _ ~ -';
  // A leading dot covers "." and ".." (the folder itself or its parent) and hidden files.
  if (apiId.startsWith('.') || apiId.includes('..')) return 'must not start with "." or contain ".."';
  return undefined;
}

/**
 * Why `id` cannot be a policy id, or undefined when it can: the api_id rule, as policy ids travel
 * the same ways (a URL path of /tyk/policies/{id}, log lines, session JSON).
 */
export function policyIdProblem(id: unknown): string | undefined {
  return apiIdProblem(id);
}

/** A JS script or module, or TypeScript (compiled at load): the isolate and JSVM drivers' kind (the default). */
export const MIDDLEWARE_FILE = /\.(m?js|ts)$/;
/** Every kind of middleware file: JavaScript or TypeScript, Python (driver `python`) or Lua (driver `lua`), each driver's `sourceFiles`. */
export const ANY_MIDDLEWARE_FILE = /\.(m?js|ts|py|lua)$/;
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/**
 * Why `name` cannot be an uploaded middleware file's name, or undefined when it can. The name
 * may not start with a dot (no hidden or temporary files).
 */
export function middlewareFileProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || !FILE_NAME.test(name) || name.includes('..') || !ANY_MIDDLEWARE_FILE.test(name)) {
    return 'use letters, digits, ".", "_" or "-" (not first, no ".."), ending in .js, .mjs, .ts, .py or .lua';
  }
  return undefined;
}
