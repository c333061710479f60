import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { logger } from '../log/logger';
import type { ApiDefinition } from './api-definition';
import { type ApiSpec, checkDefinition, compileApiSpec } from './api-spec';
import { ConfigError } from './config-error';
import type { GatewayConfig } from './gateway-config';
import { resolveMiddlewareSources, type SourceOverlay, type SourcePolicy } from './middleware-sources';

export interface LoadedDefinitions {
  specs: ApiSpec[];
  /** One line per rejected file or API, naming the file and key. */
  errors: string[];
  /** Files that exist but could not be loaded: their APIs keep serving the previous version. */
  failedFiles: Set<string>;
}

/** Read, check and compile one definition. Throws ConfigError naming the file and key. */
export async function buildSpec(def: ApiDefinition, file: string, config: GatewayConfig, drivers: SourcePolicy, overlay?: SourceOverlay): Promise<ApiSpec> {
  const sources = await resolveMiddlewareSources(def, file, config, dirname(config.source), drivers, overlay);
  return compileApiSpec(def, file, config, sources);
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
export async function loadApiDefinitions(config: GatewayConfig, drivers: SourcePolicy): Promise<LoadedDefinitions> {
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
  const loaded = await Promise.all(names.map(async (name) => {
    const file = join(config.app_path, name);
    try {
      const def = await readDefinitionFile(file);
      if (def.active === false) {
        logger.info({ file, api_id: def.api_id }, 'API is inactive (active: false); not served');
        return { file };
      }
      return { file, spec: await buildSpec(def, file, config, drivers) };
    } catch (err) {
      return { file, error: err instanceof ConfigError ? err.message : `${file}: ${(err as Error).message}` };
    }
  }));
  for (const { file, spec, error } of loaded) {
    let message = error;
    if (spec) {
      const sameId = byId.get(spec.apiId);
      const samePath = byPath.get(spec.listenPath);
      if (sameId) message = `${file}: api_id: "${spec.apiId}" is already defined in ${sameId}`;
      else if (samePath) message = `${file}: proxy.listen_path: "${spec.listenPath}" is already used by ${samePath}`;
      else {
        byId.set(spec.apiId, file);
        byPath.set(spec.listenPath, file);
        specs.push(spec);
      }
    }
    if (message) {
      errors.push(message);
      failedFiles.add(file);
      logger.error({ file }, message);
    }
  }
  return { specs, errors, failedFiles };
}
