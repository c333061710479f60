import type { KeyObject } from 'node:crypto';
import { checkBundle } from './digest';
import { BundleError } from './errors';
import type { Manifest } from './manifest';

export interface VerifyKey {
  readonly key: KeyObject;
  /** Named in errors: the gateway's `public_key_path` or the CLI's `--key`. */
  readonly label: string;
}

/**
 * - `fresh`: a bundle just downloaded or uploaded (Tyk's "deep verify"): the checksum always
 *   matches, and with a key a signature is required and must verify.
 * - `existing`: a bundle already on disk (Tyk's "partial verify"): nothing when
 *   `skip_verify_existing_plugin_bundle`; otherwise as fresh when the manifest is signed. Unlike
 *   Tyk, a gateway with a key also refuses an unsigned bundle on disk: with `public_key_path`
 *   set, no unsigned code runs, whoever put the folder there.
 */
export type VerifyMode = 'fresh' | 'existing';

export interface VerifyOptions {
  readonly mode: VerifyMode;
  readonly key?: VerifyKey;
  readonly skipExisting?: boolean;
}

export interface Verified {
  /** False when the rules above skipped the check. */
  readonly checked: boolean;
  readonly checksum: string;
  readonly signed: boolean;
  /** The signature verified with the key. */
  readonly signatureVerified: boolean;
}

/** Go's base64.StdEncoding is strict; Node's decoder is not, so the alphabet is checked first. */
function decodeSignature(signature: string): Buffer {
  if (signature.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(signature)) throw new BundleError('invalid signature: not standard base64');
  return Buffer.from(signature, 'base64');
}

/** Verify the extracted bundle at `root` against its manifest. Throws BundleError with Tyk's reason. */
export async function verifyBundle(root: string, manifest: Manifest, options: VerifyOptions): Promise<Verified> {
  const signed = manifest.signature !== '';
  const { key } = options;
  if (options.mode === 'existing' && (options.skipExisting || (!signed && !key))) {
    return { checked: false, checksum: manifest.checksum, signed, signatureVerified: false };
  }
  if (key && !signed) throw new BundleError("Bundle isn't signed");
  const signature = key ? decodeSignature(manifest.signature) : undefined;
  const { checksum, signatureOk } = await checkBundle(root, manifest.file_list, key?.key, signature);
  if (checksum !== manifest.checksum) {
    throw new BundleError(`invalid checksum (manifest.json says ${JSON.stringify(manifest.checksum)}, the files in file_list hash to "${checksum}")`);
  }
  if (key && !signatureOk) throw new BundleError(`invalid signature: it does not verify with ${key.label}`);
  return { checked: true, checksum, signed, signatureVerified: Boolean(key) };
}
