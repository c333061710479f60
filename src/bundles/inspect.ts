import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { SourcePolicy } from '../config/middleware-sources';
import { BundleError } from './errors';
import type { ExtractLimits } from './extract';
import { loadPublicKey } from './keys';
import { hookEntries, type Manifest } from './manifest';
import { bundleSources } from './sources';
import { unpackVerified } from './unpack';
import type { Verified } from './verify';

export interface InspectResult {
  readonly manifest: Manifest;
  readonly verified: Verified;
  /** The files an isolate would load from it. */
  readonly sources: readonly string[];
}

/**
 * `isogate bundle verify`: what a gateway would decide about this zip as a fresh download, with
 * `keyPath` standing for its `public_key_path`: extraction under the same caps, checksum,
 * signature, and every file the API would load (as `drivers` say) present inside the bundle.
 * Throws BundleError with the reason.
 */
export async function inspectBundle(file: string, keyPath: string | undefined, limits: ExtractLimits & { maxDownloadBytes: number }, drivers: SourcePolicy): Promise<InspectResult> {
  const path = resolve(file);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new BundleError(`${path}: no such file`);
  if (info.size > limits.maxDownloadBytes) throw new BundleError(`${path}: ${info.size} bytes, more than bundle_options.max_download_bytes (${limits.maxDownloadBytes})`);
  const key = keyPath ? { key: loadPublicKey(keyPath, '--key'), label: `--key (${keyPath})` } : undefined;
  const zip = await readFile(path);
  const dir = await mkdtemp(join(tmpdir(), 'isogate-bundle-'));
  try {
    const { manifest, verified } = await unpackVerified(zip, join(dir, 'bundle'), limits, key);
    const driver = manifest.custom_middleware.driver ?? '';
    const sources = drivers.needsSources(driver)
      ? await bundleSources({ driver, drivers, readRoot: join(dir, 'bundle'), nameRoot: '', parts: [{ name: file, sub: '', manifest }], middleware: manifest.custom_middleware, signedOnly: Boolean(key) })
      : [];
    return { manifest, verified, sources: sources.map((s) => s.filename) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One line per hook: `pre: addHeader (mw.js)`. */
export function describeHooks(manifest: Manifest): string[] {
  return hookEntries(manifest.custom_middleware).map(({ key, name, path }) => `${key.replace(/^custom_middleware\./, '')}: ${name ?? ''}${path ? ` (${path})` : ''}`);
}
