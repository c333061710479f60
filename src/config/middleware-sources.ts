import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { ApiDefinition } from './api-definition';
import type { MiddlewareSource } from './api-spec';
import { ConfigError } from './config-error';
import { isInside, realPathOf, relativePathProblem } from './confined-path';
import type { GatewayConfig } from './gateway-config';
import { MIDDLEWARE_FILE, middlewareFileProblem } from './safe-names';
import { middlewareCode } from './typescript';

/** Folder of an API's uploaded middleware files (`api_id` is checked by safe-names.ts). */
export function apiMiddlewareDir(config: GatewayConfig, apiId: string): string {
  return join(config.middleware_path, apiId);
}

/** What the loader needs to know of drivers (src/coprocess/drivers implements it). */
export interface SourcePolicy {
  /** Whether hooks of this `custom_middleware.driver` come from middleware files. */
  needsSources(driver: string): boolean;
  /** Which files of the API's folder are this driver's middleware (default MIDDLEWARE_FILE). */
  sourceFiles?(driver: string): RegExp | undefined;
  /** Its files find each other by module name (Lua's `require`): a bundle loads all it lists. */
  requiresByName?(driver: string): boolean;
  /** The driver's hook timeout when the API sets none (default isolate_options.hook_timeout_ms). */
  defaultHookTimeoutMs?(driver: string, config: GatewayConfig): number | undefined;
  /** Whether the driver's hooks run in a Tyk JSVM, which then also runs the API's virtual endpoints and JSVM event handlers. */
  runsJsvm?(driver: string): boolean;
}

/**
 * The real path of `path`, which must land inside `middleware_path` once every symlink is
 * followed; otherwise a ConfigError naming `what`. The one check for every middleware file the
 * gateway reads, lists, writes or deletes.
 */
export async function confinedToMiddlewarePath(config: GatewayConfig, path: string, what: string): Promise<string> {
  const [root, real] = await Promise.all([realPathOf(config.middleware_path), realPathOf(path)]);
  if (!isInside(root, real)) throw new ConfigError(`${what}: resolves to ${real}, outside middleware_path (${root})`);
  return real;
}

/** The API's upload folder, refused when it is (or sits under) a symlink out of middleware_path. */
export async function confinedApiDir(config: GatewayConfig, apiId: string, where: string): Promise<string> {
  const dir = apiMiddlewareDir(config, apiId);
  await confinedToMiddlewarePath(config, dir, `${where}: the upload folder middleware_path/${apiId}/`);
  return dir;
}

/**
 * Pending changes to middleware files (absolute path → new code, or null for a deletion): an
 * upload is validated against the sources it *would* produce before anything touches the disk.
 */
export type SourceOverlay = ReadonlyMap<string, string | null>;

async function exists(path: string, overlay?: SourceOverlay): Promise<boolean> {
  const pending = overlay?.get(path);
  if (pending !== undefined) return pending !== null;
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function listApiDir(apiDir: string, pattern: RegExp, overlay?: SourceOverlay): Promise<string[]> {
  const names = new Set<string>();
  try {
    for (const name of await readdir(apiDir)) names.add(name);
  } catch {
    // No uploads for this API yet.
  }
  for (const [path, code] of overlay ?? []) {
    if (dirname(path) !== apiDir) continue;
    if (code === null) names.delete(basename(path));
    else names.add(basename(path));
  }
  return [...names].filter((n) => !middlewareFileProblem(n) && pattern.test(n)).sort().map((n) => join(apiDir, n));
}

/**
 * A file a definition names by a relative `path` (a hook's, a virtual endpoint's): looked up in
 * the API's folder, then `middleware_path/`, then the config's folder (Tyk definitions often say
 * `middleware/x.js`). Refused, with `what` (file and key) named, when the path is absolute or has
 * `..`, NUL or `\`, when it is not found, or when it really lies outside `middleware_path`.
 * `path` is the logical path (the isolate's file name), `real` the one to read.
 */
export async function findMiddlewareFile(config: GatewayConfig, apiDir: string, baseDir: string, path: string, what: string, overlay?: SourceOverlay): Promise<{ path: string; real: string }> {
  const problem = relativePathProblem(path);
  if (problem) throw new ConfigError(`${what}: ${JSON.stringify(path)} ${problem}`);
  const candidates = [join(apiDir, path), join(config.middleware_path, path), resolve(baseDir, path)];
  let found: string | undefined;
  for (const c of candidates) if (await exists(c, overlay)) { found = c; break; }
  if (!found) throw new ConfigError(`${what}: file "${path}" not found (looked in ${candidates.join(', ')})`);
  return { path: found, real: await confinedToMiddlewarePath(config, found, `${what}: ${JSON.stringify(path)}`) };
}

/**
 * The files an API's isolate loads: every uploaded file in `middleware_path/{api_id}/` (sorted),
 * then each entry `path`, looked up in the API's folder, then `middleware_path/`, then the
 * config's folder (Tyk definitions often say `middleware/x.js` relative to the gateway). Wherever
 * it is found, a file must really lie inside `middleware_path` (symlinks followed): an entry path
 * that is absolute or has `..`, NUL or `\` is refused, and so is one found through the config's
 * folder or a symlink elsewhere — another tenant's files, or the host's, are never loaded.
 */
export async function resolveMiddlewareSources(def: ApiDefinition, file: string, config: GatewayConfig, baseDir: string, drivers: SourcePolicy, overlay?: SourceOverlay): Promise<MiddlewareSource[]> {
  const cm = def.custom_middleware;
  if (cm?.driver && !drivers.needsSources(cm.driver)) return [];
  const where = `${file} (api ${def.api_id})`;
  const apiDir = await confinedApiDir(config, def.api_id, where);
  const pattern = (cm?.driver && drivers.sourceFiles?.(cm.driver)) || MIDDLEWARE_FILE;
  const files = await listApiDir(apiDir, pattern, overlay);
  /** Logical path (the overlay's key, the isolate's file name) → real path to read. */
  const real = new Map<string, string>();
  for (const f of files) real.set(f, await confinedToMiddlewarePath(config, f, `${where}: middleware_path/${def.api_id}/${basename(f)}`));
  const lists = [cm?.pre, cm?.post_key_auth, cm?.post, cm?.response, cm?.auth_check ? [cm.auth_check] : []];
  for (const [kind, list] of ['pre', 'post_key_auth', 'post', 'response', 'auth_check'].map((k, i) => [k, lists[i]] as const)) {
    for (const [i, entry] of (list ?? []).entries()) {
      if (!entry?.path || entry.disabled) continue;
      const key = kind === 'auth_check' ? 'custom_middleware.auth_check.path' : `custom_middleware.${kind}[${i}].path`;
      const found = await findMiddlewareFile(config, apiDir, baseDir, entry.path, `${where}: ${key}`, overlay);
      if (real.has(found.path)) continue;
      real.set(found.path, found.real);
      files.push(found.path);
    }
  }
  return Promise.all(files.map(async (f) => ({ filename: f, code: await middlewareCode(f, overlay?.get(f) ?? (await readFile(real.get(f)!, 'utf8'))) })));
}
