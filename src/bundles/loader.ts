import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiDefinition } from '../config/api-definition';
import type { BundleInfo, BundleResolver, ResolvedBundle, UploadOverride } from '../config/bundle-resolver';
import { ConfigError } from '../config/config-error';
import type { GatewayConfig } from '../config/gateway-config';
import { confinedToMiddlewarePath, type SourcePolicy } from '../config/middleware-sources';
import { logger } from '../log/logger';
import { BundleError } from './errors';
import type { ExtractLimits } from './extract';
import { BUNDLE_FETCH_TIMEOUT_MS, bundleUrl, displayUrl, fetchBundle } from './fetch';
import { readManifest } from './manifest';
import { checkBundleSettings } from './settings';
import { type BundlePart, mergeMiddleware } from './merge';
import { bundleFolderName, splitBundleNames, subFolder } from './names';
import { TYK_BUNDLE_RETRY, withRetries } from './retry';
import { Slots } from './slots';
import { bundleSources } from './sources';
import { unpackVerified } from './unpack';
import { UploadStore } from './uploads';
import { type VerifyKey, verifyBundle } from './verify';

/** Bundle downloads at once, across all APIs (the timeout runs per download, not while waiting). */
const DOWNLOADS_AT_ONCE = 8;

/** Name shown for a bundle sent through `PUT /tyk/apis/{id}/bundle`. */
export const UPLOAD_NAME = '(upload)';

/** Whether `path` exists (any type). */
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Tyk's plugin bundles for the gateway. Layout under `middleware_path/bundles/`:
 * - `{md5(custom_middleware_bundle)}/` — a downloaded bundle (several: one sub-folder each, named
 *   as Tyk names them). It is reused without downloading while it exists, so a changed bundle
 *   needs a new name; it appears only complete (extracted beside it, verified, then renamed).
 * - `uploads/{api_id}/` — bundles sent to `PUT /tyk/apis/{id}/bundle` (see uploads.ts); an API's
 *   upload takes precedence over its `custom_middleware_bundle`.
 */
export class BundleLoader implements BundleResolver {
  readonly root: string;
  readonly uploads: UploadStore;
  private readonly key?: VerifyKey;
  private readonly limits: ExtractLimits;
  /** One download per bundle folder at a time; APIs and reloads that need it share it. */
  private readonly downloads = new Map<string, Promise<void>>();
  /** Folders this process just downloaded and deep-verified, until the load that uses them. */
  private readonly fresh = new Set<string>();
  private readonly stopping = new AbortController();
  private readonly fetching = new Slots(DOWNLOADS_AT_ONCE);

  constructor(private readonly config: GatewayConfig) {
    this.root = join(config.middleware_path, 'bundles');
    const key = checkBundleSettings(config);
    if (key) this.key = { key, label: `public_key_path (${config.public_key_path})` };
    this.limits = { maxEntries: config.bundle_options.max_entries, maxBytes: config.bundle_options.max_uncompressed_bytes };
    this.uploads = new UploadStore(join(this.root, 'uploads'), this.limits, this.key);
  }

  /** The checked names of the definition's bundles, or undefined when it takes none. */
  private names(def: ApiDefinition, where: string): string[] | undefined {
    if (def.custom_middleware_bundle_disabled === true || !def.custom_middleware_bundle) return undefined;
    try {
      return splitBundleNames(def.custom_middleware_bundle);
    } catch (err) {
      throw new ConfigError(`${where}: custom_middleware_bundle: ${(err as Error).message}`);
    }
  }

  private folder(def: ApiDefinition): string {
    return join(this.root, bundleFolderName(def.custom_middleware_bundle ?? ''));
  }

  async needsDownload(def: ApiDefinition, upload?: UploadOverride): Promise<boolean> {
    if (!this.config.enable_bundle_downloader || def.custom_middleware_bundle_disabled === true || !def.custom_middleware_bundle) return false;
    let names: string[] | undefined;
    try {
      names = this.names(def, '');
    } catch {
      return false; // resolve() reports the name problem
    }
    const uploaded = upload === undefined ? await this.uploads.current(def.api_id) : upload?.dir;
    if (!names || uploaded) return false;
    return !(await exists(this.folder(def)));
  }

  async download(def: ApiDefinition, where: string): Promise<void> {
    const names = this.names(def, where);
    if (!names) return;
    const folder = this.folder(def);
    let running = this.downloads.get(folder);
    if (!running) {
      running = this.fetchInto(names, folder).finally(() => this.downloads.delete(folder));
      this.downloads.set(folder, running);
    }
    return running.catch((err: Error) => {
      throw new ConfigError(`${where}: custom_middleware_bundle ${JSON.stringify(def.custom_middleware_bundle)}: ${err.message}`);
    });
  }

  /** Fetch every bundle of the list, extract and verify each, then move the whole folder into place. */
  private async fetchInto(names: string[], folder: string): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const tmp = join(this.root, `.tmp-${randomBytes(8).toString('hex')}`);
    const signal = this.stopping.signal;
    const options = { timeoutMs: BUNDLE_FETCH_TIMEOUT_MS, maxBytes: this.config.bundle_options.max_download_bytes, insecureSkipVerify: this.config.bundle_insecure_skip_verify, signal };
    try {
      // allSettled: every extraction is finished before the folder is renamed or removed.
      const results = await Promise.allSettled(names.map(async (name) => {
        const url = bundleUrl(this.config.bundle_base_url!, name);
        logger.info({ bundle: name, url: displayUrl(url) }, 'downloading plugin bundle');
        const zip = await withRetries(() => this.fetching.run(() => fetchBundle(url, options)), TYK_BUNDLE_RETRY, signal, (err, waitMs) => {
          logger.warn({ bundle: name, url: displayUrl(url), retry_in_ms: waitMs }, `bundle download failed, retrying: ${err.message}`);
        });
        const dest = names.length > 1 ? join(tmp, subFolder(name)) : tmp;
        try {
          const { verified } = await unpackVerified(zip, dest, this.limits, this.key, signal);
          logger.info({ bundle: name, checksum: verified.checksum, signature_verified: verified.signatureVerified }, 'plugin bundle downloaded and verified');
        } catch (err) {
          throw new BundleError(names.length > 1 ? `${name}: ${(err as Error).message}` : (err as Error).message);
        }
      }));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      try {
        await rename(tmp, folder);
        this.fresh.add(folder);
      } catch (err) {
        // Another process put the same bundle in place first: theirs is as good as ours.
        if (!(await exists(join(folder)))) throw err;
      }
    } finally {
      // Gone on failure (Tyk deletes a bundle that fails verification), or already renamed.
      await rm(tmp, { recursive: true, force: true });
    }
  }

  async resolve(def: ApiDefinition, where: string, drivers: SourcePolicy, upload?: UploadOverride): Promise<ResolvedBundle | undefined> {
    if (def.custom_middleware_bundle_disabled === true) return undefined;
    const uploaded = upload === undefined ? await this.uploads.current(def.api_id) : upload?.dir;
    const names = uploaded ? [UPLOAD_NAME] : this.names(def, where);
    if (!names) return undefined;
    const label = uploaded ? 'the uploaded bundle' : `custom_middleware_bundle ${JSON.stringify(def.custom_middleware_bundle)}`;
    const root = uploaded ?? this.folder(def);
    if (!uploaded && !(await exists(root))) {
      const why = this.config.enable_bundle_downloader ? 'has not been downloaded' : 'is not on disk and enable_bundle_downloader is off';
      throw new ConfigError(`${where}: ${label}: ${why} (${root})`);
    }
    // The code an API runs lies inside middleware_path, symlinks followed, as for every middleware file.
    await confinedToMiddlewarePath(this.config, root, `${where}: ${label}: the folder ${root}`);
    // Just downloaded: deep-verified moments ago (the on-disk rules below may check less).
    let verified = this.fresh.delete(root);
    try {
      const parts: BundlePart[] = [];
      let checked = true;
      for (const name of names) {
        const sub = names.length > 1 ? subFolder(name) : '';
        const dir = sub ? join(root, sub) : root;
        const manifest = await readManifest(dir);
        const result = await verifyBundle(dir, manifest, { mode: 'existing', key: this.key, skipExisting: this.config.skip_verify_existing_plugin_bundle }).catch((err: Error) => {
          throw new BundleError(names.length > 1 ? `${name}: ${err.message}` : err.message);
        });
        checked &&= result.checked;
        parts.push({ name, sub, manifest });
      }
      verified ||= checked;
      const middleware = mergeMiddleware(parts);
      const driver = middleware.driver ?? '';
      const sources = drivers.needsSources(driver)
        ? await bundleSources({ driver, drivers, readRoot: root, nameRoot: root, parts, middleware, signedOnly: Boolean(this.key) })
        : [];
      const info: BundleInfo = {
        name: uploaded ? UPLOAD_NAME : def.custom_middleware_bundle!,
        origin: uploaded ? 'upload' : 'download',
        dir: root,
        checksums: parts.map((p) => p.manifest.checksum),
        signed: parts.every((p) => p.manifest.signature !== ''),
        verified,
      };
      return { customMiddleware: middleware, sources, info };
    } catch (err) {
      if (!(err instanceof BundleError)) throw err;
      const keep = uploaded ? '' : ` (the folder ${root} is kept as it is; delete it, or rename the bundle, to download it again)`;
      throw new ConfigError(`${where}: ${label}: ${err.message}${keep}`);
    }
  }

  /** Remove extraction folders left by a process that died mid-download (older than an hour). */
  async sweep(): Promise<void> {
    let names: string[] = [];
    try {
      names = (await readdir(this.root)).filter((n) => n.startsWith('.tmp-'));
    } catch {
      return;
    }
    const cutoff = Date.now() - 3_600_000;
    for (const name of names) {
      const path = join(this.root, name);
      const info = await stat(path).catch(() => undefined);
      if (info && info.mtimeMs < cutoff) await rm(path, { recursive: true, force: true });
    }
  }

  /** Cancel downloads and extractions in progress (the gateway is stopping). */
  close(): void {
    this.stopping.abort();
  }
}
