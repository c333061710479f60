import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { logger } from '../log/logger';
import type { ApiDefinition } from './api-definition';
import { type ApiSpec, checkDefinition, compileApiSpec, normaliseListenPath } from './api-spec';
import type { BundleResolver, UploadOverride } from './bundle-resolver';
import { ConfigError } from './config-error';
import type { GatewayConfig } from './gateway-config';
import { resolveMiddlewareSources, type SourceOverlay, type SourcePolicy } from './middleware-sources';
import { resolveVirtualSpec } from './virtual-sources';
import { resolveJsvmExtras, withFileBasedMiddleware } from './jsvm-extras';

/** A definition file (or one API of it) that could not be loaded or built. */
export interface LoadFailure {
  file: string;
  /** When the file got far enough to name it. */
  apiId?: string;
  /** Names the file and the key. */
  error: string;
}

export interface LoadedDefinitions {
  specs: ApiSpec[];
  /** One per rejected file or API. */
  failures: LoadFailure[];
  /** Files that exist but could not be loaded: their APIs keep serving the previous version. */
  failedFiles: Set<string>;
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

/** Who serves a listen path now: a later file that claims it too is the one refused. */
export interface ServingPath {
  apiId: string;
  file: string;
}

/**
 * Read, check and compile one definition. Throws ConfigError naming the file and key. With a
 * bundle, its manifest supplies the middleware and its folder the files; a bundle that still has
 * to be downloaded is downloaded first (loadApiDefinitions does that apart, see `pending`).
 */
export async function buildSpec(given: ApiDefinition, file: string, config: GatewayConfig, drivers: SourcePolicy, overlay?: SourceOverlay, bundles?: BundleContext): Promise<ApiSpec> {
  const where = `${file} (api ${given.api_id})`;
  if (bundles && (await bundles.resolver.needsDownload(given, bundles.upload))) await bundles.resolver.download(given, where);
  const bundle = bundles ? await bundles.resolver.resolve(given, where, drivers, bundles.upload) : undefined;
  // A bundle's manifest replaces custom_middleware, folders in middleware_path included.
  const def = bundle ? given : await withFileBasedMiddleware(given, file, config, drivers);
  const baseDir = dirname(config.source);
  const sources = bundle ? bundle.sources : await resolveMiddlewareSources(def, file, config, baseDir, drivers, overlay);
  // What runs in the API's JSVM: its hooks' isolate when its driver is a JSVM one (files shared
  // with the hooks are then loaded once), else an isolate of its own (src/coprocess/drivers/jsvm).
  const driver = bundle ? bundle.customMiddleware.driver : def.custom_middleware?.driver;
  const jsvmDriver = Boolean(driver && drivers.runsJsvm?.(driver));
  const shared = jsvmDriver ? sources : [];
  const virtual = await resolveVirtualSpec(def, file, config, baseDir, shared);
  const extras = await resolveJsvmExtras(def, file, config, baseDir, [...shared, ...virtual.sources], (handlers) => jsvmDriver || handlers || virtual.endpoints.length > 0);
  return compileApiSpec(def, file, config, drivers, sources, bundle, { virtual, extras });
}

/**
 * With `middleware_load_failure: "serve_500"` (Tyk's way), an API whose middleware files could
 * not be read is still loaded, without them, to answer 500 (`middlewareFailure` says why). Not
 * for plugin bundles: Tyk does not load an API whose bundle fails. A definition that is wrong in
 * itself (target URL, listen path) still fails to load.
 */
function failedMiddlewareSpec(def: ApiDefinition, file: string, config: GatewayConfig, drivers: SourcePolicy, err: unknown): ApiSpec | undefined {
  if (config.middleware_load_failure !== 'serve_500') return undefined;
  if (def.custom_middleware_bundle && !def.custom_middleware_bundle_disabled) return undefined;
  const message = err instanceof ConfigError ? err.message : `${file}: ${(err as Error).message}`;
  let spec: ApiSpec;
  try {
    spec = compileApiSpec(def, file, config, drivers, []);
  } catch {
    return undefined;
  }
  const contentHash = createHash('sha256').update(spec.contentHash).update('\0failed\0').update(message).digest('hex');
  return { ...spec, middlewareFailure: message, contentHash };
}

/** An API a file claims: built (`spec`), or waiting for its bundle (`pending`). */
interface Claim {
  readonly apiId: string;
  readonly file: string;
  readonly listenPath: string;
  readonly spec?: ApiSpec;
  readonly pending?: Promise<ApiSpec>;
}

async function readJsonFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message.startsWith('ENOENT') ? 'not found' : `invalid JSON: ${(err as Error).message}`}`);
  }
}

export async function readDefinitionFile(file: string): Promise<ApiDefinition> {
  return checkDefinition(await readJsonFile(file), file);
}

/**
 * Load `app_path/*.json`. A broken file is reported and skipped; the others still load. Two
 * files with the same api_id: the later file name is refused. Two with the same listen path:
 * the API that serves it now (`serving`) keeps it, else the earlier file name; the other file
 * is refused, naming both.
 */
export async function loadApiDefinitions(config: GatewayConfig, drivers: SourcePolicy, serving: ReadonlyMap<string, ServingPath> = new Map(), bundles?: BundleContext): Promise<LoadedDefinitions> {
  const failures: LoadFailure[] = [];
  let names: string[] = [];
  try {
    names = (await readdir(config.app_path)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    failures.push({ file: config.app_path, error: `${config.app_path}: cannot read app_path: ${(err as Error).message}` });
  }
  const failedFiles = new Set<string>();
  const fail = (failure: LoadFailure) => {
    failures.push(failure);
    failedFiles.add(failure.file);
    logger.error({ file: failure.file, api_id: failure.apiId }, failure.error);
  };
  // Read and compile every file concurrently; duplicates are then settled in file-name order.
  const loaded = await Promise.all(names.map(async (name) => {
    const file = join(config.app_path, name);
    let apiId: string | undefined;
    try {
      const raw = await readJsonFile(file);
      const id = (raw as { api_id?: unknown } | null)?.api_id;
      if (typeof id === 'string') apiId = id;
      const def = checkDefinition(raw, file);
      if (def.active === false) {
        logger.info({ file, api_id: def.api_id }, 'API is inactive (active: false); not served');
        return { file };
      }
      if (bundles && (await bundles.resolver.needsDownload(def))) {
        const where = `${file} (api ${def.api_id})`;
        const pending = bundles.resolver.download(def, where).then(() => buildSpec(def, file, config, drivers, undefined, bundles));
        pending.catch(() => undefined); // settled by the gateway; never an unhandled rejection
        const claim: Claim = { apiId: def.api_id, file, listenPath: normaliseListenPath(def.proxy.listen_path, where), pending };
        return { file, claim };
      }
      let spec: ApiSpec;
      try {
        spec = await buildSpec(def, file, config, drivers, undefined, bundles);
      } catch (err) {
        const failed = failedMiddlewareSpec(def, file, config, drivers, err);
        if (!failed) throw err;
        spec = failed;
      }
      const claim: Claim = { apiId: spec.apiId, file, listenPath: spec.listenPath, spec };
      return { file, claim };
    } catch (err) {
      return { file, apiId, error: err instanceof ConfigError ? err.message : `${file}: ${(err as Error).message}` };
    }
  }));
  const byId = new Map<string, Claim>();
  for (const { file, apiId, claim, error } of loaded) {
    if (error !== undefined) fail({ file, apiId, error });
    if (!claim) continue;
    const sameId = byId.get(claim.apiId);
    if (sameId) fail({ file, apiId: claim.apiId, error: `${file}: api_id: "${claim.apiId}" is already defined in ${sameId.file}` });
    else byId.set(claim.apiId, claim);
  }
  // Listen paths: the current owner keeps its path if it still claims it, or if its file failed
  // to load (its running version keeps serving).
  const byPath = new Map<string, Claim[]>();
  for (const claim of byId.values()) {
    const list = byPath.get(claim.listenPath);
    if (list) list.push(claim);
    else byPath.set(claim.listenPath, [claim]);
  }
  const specs: ApiSpec[] = [];
  const pending: PendingSpec[] = [];
  for (const [listenPath, claimants] of byPath) {
    const owner = serving.get(listenPath);
    const ownerStays = owner && failedFiles.has(owner.file) && !claimants.some((c) => c.apiId === owner.apiId);
    const winner = ownerStays ? undefined : (claimants.find((c) => c.apiId === owner?.apiId) ?? claimants[0]!);
    for (const claim of claimants) {
      if (claim === winner) {
        if (claim.spec) specs.push(claim.spec);
        if (claim.pending) pending.push({ apiId: claim.apiId, file: claim.file, spec: claim.pending });
        continue;
      }
      const holder = winner ? `${winner.file} (api ${winner.apiId})` : `${owner!.file} (api ${owner!.apiId}), which keeps serving it`;
      fail({ file: claim.file, apiId: claim.apiId, error: `${claim.file}: proxy.listen_path: "${listenPath}" is already used by ${holder}` });
    }
  }
  return { specs, failures, failedFiles, pending };
}
