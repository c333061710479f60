import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { logger } from '../log/logger';
import type { ApiDefinition } from './api-definition';
import { type ApiSpec, checkDefinition, compileApiSpec, normaliseListenPath } from './api-spec';
import type { BundleResolver, UploadOverride } from './bundle-resolver';
import { ConfigError } from './config-error';
import type { GatewayConfig } from './gateway-config';
import { resolveMiddlewareSources, type SourceOverlay, type SourcePolicy } from './middleware-sources';

export interface LoadedDefinitions {
  specs: ApiSpec[];
  /** One line per rejected file or API, naming the file and key. */
  errors: string[];
  /** Files that exist but could not be loaded: their APIs keep serving the previous version. */
  failedFiles: Set<string>;
  /** The same failures by API id, where the definition itself could be read. */
  failedApis: Map<string, string>;
  /**
   * APIs whose bundle is being downloaded: each settles on its own, so that a slow bundle server
   * holds up only its own APIs (the gateway swaps them in as they arrive).
   */
  pending: PendingSpec[];
}

export interface PendingSpec {
  readonly apiId: string;
  readonly file: string;
  /** Resolves once the bundle is downloaded and the spec compiled; rejects with the reason. */
  readonly spec: Promise<ApiSpec>;
}

/** Plugin bundles, when the gateway has them (tests of config alone run without). */
export interface BundleContext {
  readonly resolver: BundleResolver;
  /** A pending change to the API's uploaded bundle (`PUT /tyk/apis/{id}/bundle`). */
  readonly upload?: UploadOverride;
}

/**
 * Read, check and compile one definition. Throws ConfigError naming the file and key. With a
 * bundle, its manifest supplies the middleware and its folder the files; a bundle that still has
 * to be downloaded is downloaded first (loadApiDefinitions does that apart, see `pending`).
 */
export async function buildSpec(def: ApiDefinition, file: string, config: GatewayConfig, drivers: SourcePolicy, overlay?: SourceOverlay, bundles?: BundleContext): Promise<ApiSpec> {
  const where = `${file} (api ${def.api_id})`;
  if (bundles && (await bundles.resolver.needsDownload(def, bundles.upload))) await bundles.resolver.download(def, where);
  const bundle = bundles ? await bundles.resolver.resolve(def, where, drivers, bundles.upload) : undefined;
  const sources = bundle ? bundle.sources : await resolveMiddlewareSources(def, file, config, dirname(config.source), drivers, overlay);
  return compileApiSpec(def, file, config, sources, bundle);
}

export async function readDefinitionFile(file: string): Promise<ApiDefinition> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message.startsWith('ENOENT') ? 'not found' : `invalid JSON: ${(err as Error).message}`}`);
  }
  return checkDefinition(raw, file);
}

/** Load `app_path/*.json`. A broken file is reported and skipped; the others still load. */
export async function loadApiDefinitions(config: GatewayConfig, drivers: SourcePolicy, bundles?: BundleContext): Promise<LoadedDefinitions> {
  const errors: string[] = [];
  let names: string[] = [];
  try {
    names = (await readdir(config.app_path)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    errors.push(`${config.app_path}: cannot read app_path: ${(err as Error).message}`);
  }
  const specs: ApiSpec[] = [];
  const failedFiles = new Set<string>();
  const byId = new Map<string, string>();
  const byPath = new Map<string, string>();
  // Read and compile every file concurrently; duplicates are then settled in file-name order.
  const failedApis = new Map<string, string>();
  const pending: PendingSpec[] = [];
  const message = (file: string, err: unknown): string => (err instanceof ConfigError ? err.message : `${file}: ${(err as Error).message}`);
  const loaded = await Promise.all(names.map(async (name) => {
    const file = join(config.app_path, name);
    let def: ApiDefinition | undefined;
    try {
      def = await readDefinitionFile(file);
      if (def.active === false) {
        logger.info({ file, api_id: def.api_id }, 'API is inactive (active: false); not served');
        return { file };
      }
      const key = { apiId: def.api_id, listenPath: normaliseListenPath(def.proxy.listen_path) };
      if (bundles && (await bundles.resolver.needsDownload(def))) {
        const ready = def;
        const spec = bundles.resolver.download(ready, `${file} (api ${ready.api_id})`).then(() => buildSpec(ready, file, config, drivers, undefined, bundles));
        spec.catch(() => undefined); // settled by the gateway; never an unhandled rejection
        return { file, key, pending: spec };
      }
      return { file, key, spec: await buildSpec(def, file, config, drivers, undefined, bundles) };
    } catch (err) {
      return { file, apiId: def?.api_id ?? (err instanceof ConfigError ? err.apiId : undefined), error: message(file, err) };
    }
  }));
  for (const entry of loaded) {
    const { file, key } = entry;
    let problem = entry.error;
    if (key) {
      const sameId = byId.get(key.apiId);
      const samePath = byPath.get(key.listenPath);
      if (sameId) problem = `${file}: api_id: "${key.apiId}" is already defined in ${sameId}`;
      else if (samePath) problem = `${file}: proxy.listen_path: "${key.listenPath}" is already used by ${samePath}`;
      else {
        byId.set(key.apiId, file);
        byPath.set(key.listenPath, file);
        if (entry.spec) specs.push(entry.spec);
        if (entry.pending) pending.push({ apiId: key.apiId, file, spec: entry.pending });
      }
    }
    if (problem) {
      errors.push(problem);
      failedFiles.add(file);
      if (entry.apiId) failedApis.set(entry.apiId, problem);
      logger.error({ file }, problem);
    }
  }
  return { specs, errors, failedFiles, failedApis, pending };
}
