import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { ApiDefinition } from './api-definition';
import type { MiddlewareSource } from './api-spec';
import { ConfigError } from './config-error';
import type { GatewayConfig } from './gateway-config';

/** JavaScript middleware (isolate, JSVM drivers): the default kind of middleware file. */
export const MIDDLEWARE_FILE = /\.(m?js)$/;
/** Every kind of middleware file a driver may load (a driver's `sourceFiles` is one of these). */
export const ANY_MIDDLEWARE_FILE = /\.(m?js|py)$/;

/** Folder of an API's uploaded middleware files. */
export function apiMiddlewareDir(config: GatewayConfig, apiId: string): string {
  return join(config.middleware_path, apiId);
}

/** What the loader needs to know of drivers (src/coprocess/drivers implements it). */
export interface SourcePolicy {
  /** Whether hooks of this `custom_middleware.driver` come from middleware files. */
  needsSources(driver: string): boolean;
  /** Which files of the API's folder are this driver's middleware (default MIDDLEWARE_FILE). */
  sourceFiles?(driver: string): RegExp | undefined;
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
  return [...names].filter((n) => pattern.test(n)).sort().map((n) => join(apiDir, n));
}

/**
 * The files an API's isolate loads: every uploaded file in `middleware_path/{api_id}/` (sorted),
 * then each entry `path`, looked up in the API's folder, then `middleware_path/`, then the
 * config's folder (Tyk definitions often say `middleware/x.js` relative to the gateway).
 */
export async function resolveMiddlewareSources(def: ApiDefinition, file: string, config: GatewayConfig, baseDir: string, drivers: SourcePolicy, overlay?: SourceOverlay): Promise<MiddlewareSource[]> {
  const cm = def.custom_middleware;
  if (cm?.driver && !drivers.needsSources(cm.driver)) return [];
  const apiDir = apiMiddlewareDir(config, def.api_id);
  const pattern = (cm?.driver && drivers.sourceFiles?.(cm.driver)) || MIDDLEWARE_FILE;
  const files = await listApiDir(apiDir, pattern, overlay);
  const lists = [cm?.pre, cm?.post_key_auth, cm?.post, cm?.response, cm?.auth_check ? [cm.auth_check] : []];
  for (const [kind, list] of ['pre', 'post_key_auth', 'post', 'response', 'auth_check'].map((k, i) => [k, lists[i]] as const)) {
    for (const [i, entry] of (list ?? []).entries()) {
      if (!entry?.path || entry.disabled) continue;
      const candidates = isAbsolute(entry.path) ? [entry.path] : [join(apiDir, entry.path), join(config.middleware_path, entry.path), resolve(baseDir, entry.path)];
      let found: string | undefined;
      for (const c of candidates) if (await exists(c, overlay)) { found = c; break; }
      if (!found) {
        const key = kind === 'auth_check' ? 'custom_middleware.auth_check.path' : `custom_middleware.${kind}[${i}].path`;
        throw new ConfigError(`${file} (api ${def.api_id}): ${key}: file "${entry.path}" not found (looked in ${candidates.join(', ')})`);
      }
      if (!files.includes(found)) files.push(found);
    }
  }
  return Promise.all(files.map(async (f) => ({ filename: f, code: overlay?.get(f) ?? (await readFile(f, 'utf8')) })));
}
