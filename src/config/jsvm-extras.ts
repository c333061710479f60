import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { logger } from '../log/logger';
import type { MiddlewareSource } from './api-spec';
import type { ApiDefinition, MiddlewareDefinition } from './api-definition';
import { ConfigError } from './config-error';
import type { GatewayConfig } from './gateway-config';
import { apiMiddlewareDir, findMiddlewareFile, type SourcePolicy } from './middleware-sources';

type Source = MiddlewareSource;

/** What an API's JSVM runs besides its hooks and virtual endpoints. */
export interface JsvmExtras {
  /** `tyk_js_path`, first in every JSVM isolate (empty without it). */
  readonly core: readonly Source[];
  /** `eh_dynamic_handler` files (`handler_meta.path`) not already among the API's files. */
  readonly handlerSources: readonly Source[];
  /** The API has an enabled eh_dynamic_handler: it needs a JSVM even without hooks. */
  readonly usesHandlers: boolean;
}

export const NO_JSVM_EXTRAS: JsvmExtras = { core: [], handlerSources: [], usesHandlers: false };

/** `tyk_js_path`: read for every API whose isolate is a JSVM; a missing file fails the API, naming it. */
async function coreScript(config: GatewayConfig): Promise<Source[]> {
  if (!config.tyk_js_path) return [];
  try {
    return [{ filename: config.tyk_js_path, code: await readFile(config.tyk_js_path, 'utf8') }];
  } catch (err) {
    throw new ConfigError(`${config.source}: tyk_js_path: cannot read ${config.tyk_js_path}: ${(err as Error).message}`);
  }
}

function isPlain(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The files of the API's enabled eh_dynamic_handler entries, found like a hook's `path` (inside
 * middleware_path only). Bad entries are left to the event compiler, which names them.
 */
async function handlerFiles(def: ApiDefinition, file: string, config: GatewayConfig, baseDir: string, seen: Set<string>): Promise<{ sources: Source[]; uses: boolean }> {
  const where = `${file} (api ${def.api_id})`;
  const sources: Source[] = [];
  let uses = false;
  for (const [event, list] of Object.entries(def.event_handlers?.events ?? {})) {
    for (const [i, entry] of (list ?? []).entries()) {
      if (entry.handler_name !== 'eh_dynamic_handler' || !isPlain(entry.handler_meta) || entry.handler_meta.disabled === true) continue;
      uses = true;
      const path = entry.handler_meta.path;
      if (typeof path !== 'string' || path === '') continue;
      const found = await findMiddlewareFile(config, apiMiddlewareDir(config, def.api_id), baseDir, path, `${where}: event_handlers.events.${event}[${i}].handler_meta.path`);
      if (seen.has(found.path)) continue;
      seen.add(found.path);
      sources.push({ filename: found.path, code: await readFile(found.real, 'utf8') });
    }
  }
  return { sources, uses };
}

export async function resolveJsvmExtras(def: ApiDefinition, file: string, config: GatewayConfig, baseDir: string, loaded: readonly Source[], needsJsvm: (usesHandlers: boolean) => boolean): Promise<JsvmExtras> {
  const handlers = await handlerFiles(def, file, config, baseDir, new Set(loaded.map((s) => s.filename)));
  const core = needsJsvm(handlers.uses) ? await coreScript(config) : [];
  if (!handlers.uses && core.length === 0) return NO_JSVM_EXTRAS;
  return { core, handlerSources: handlers.sources, usesHandlers: handlers.uses };
}

// ---- File-based JSVM middleware (no definition entries), as Tyk loads it. ----

const FOLDERS = ['pre', 'auth', 'post_auth', 'post'] as const;
/** Tyk runs file-based middleware in its JSVM (otto) when the API names no driver. */
const FILE_BASED_DRIVER = 'otto';
type Folder = (typeof FOLDERS)[number];

async function jsFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile() && d.name.endsWith('.js')).map((d) => d.name).sort();
  } catch {
    return [];
  }
}

/** Tyk's entry for a file: the object name is the file name up to its first `.`; `_with_session` asks for the session. */
function entryFor(relPath: string, name: string): MiddlewareDefinition {
  const base = name.split('.')[0]!;
  return { name: base, path: relPath, require_session: base.endsWith('_with_session') };
}

/**
 * Tyk's file-based JSVM loading: `middleware_path/{pre,post}/*.js` for every API (gateway-wide,
 * first), then the API's own `middleware_path/{api_id}/{pre,auth,post_auth,post}/*.js`, each file
 * a hook without a definition entry, after the definition's own entries. An API with such files
 * and no driver gets `otto`; one whose driver is not a JSVM driver keeps its hooks, and the files
 * are skipped with a warning. Returns the definition to build (the same object when there are none).
 */
export async function withFileBasedMiddleware(def: ApiDefinition, file: string, config: GatewayConfig, drivers: SourcePolicy): Promise<ApiDefinition> {
  const found: Record<Folder, MiddlewareDefinition[]> = { pre: [], auth: [], post_auth: [], post: [] };
  let any = false;
  for (const folder of ['pre', 'post'] as const) {
    for (const name of await jsFiles(join(config.middleware_path, folder))) {
      found[folder].push(entryFor(`${folder}/${name}`, name));
      any = true;
    }
  }
  for (const folder of FOLDERS) {
    for (const name of await jsFiles(join(config.middleware_path, def.api_id, folder))) {
      found[folder].push(entryFor(`${def.api_id}/${folder}/${name}`, name));
      any = true;
    }
  }
  if (!any) return def;
  const cm = def.custom_middleware ?? {};
  if (cm.driver && !drivers.runsJsvm?.(cm.driver)) {
    logger.warn({ file, api_id: def.api_id }, `${file} (api ${def.api_id}): file-based JSVM middleware in middleware_path is not loaded: custom_middleware.driver is "${cm.driver}"`);
    return def;
  }
  const auth = found.auth.at(-1);
  return {
    ...def,
    custom_middleware: {
      ...cm,
      driver: cm.driver || FILE_BASED_DRIVER,
      pre: [...(cm.pre ?? []), ...found.pre],
      post_key_auth: [...(cm.post_key_auth ?? []), ...found.post_auth],
      post: [...(cm.post ?? []), ...found.post],
      ...(auth && !cm.auth_check?.name ? { auth_check: auth } : {}),
    },
  };
}
