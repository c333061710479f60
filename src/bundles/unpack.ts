import { mkdir } from 'node:fs/promises';
import { type ExtractLimits, extractZip } from './extract';
import { type Manifest, readManifest } from './manifest';
import { type Verified, type VerifyKey, verifyBundle } from './verify';

/**
 * A fresh bundle (downloaded, uploaded, or given to `isogate bundle verify`): extract the zip (which
 * is consumed, see extractZip) into the new folder `dest`, read its manifest and verify it as Tyk's "deep verify" does. Throws
 * BundleError with the reason; the caller deletes `dest` on failure.
 */
export async function unpackVerified(zip: Uint8Array, dest: string, limits: ExtractLimits, key: VerifyKey | undefined, signal?: AbortSignal): Promise<{ manifest: Manifest; verified: Verified }> {
  await mkdir(dest, { recursive: true });
  await extractZip(zip, dest, limits, signal);
  const manifest = await readManifest(dest);
  const verified = await verifyBundle(dest, manifest, { mode: 'fresh', key });
  return { manifest, verified };
}
