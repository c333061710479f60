import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { writeFileAtomic } from '../storage/atomic-file';
import { bundleChecksum, signBundle } from './digest';
import { BundleError } from './errors';
import { loadPrivateKey } from './keys';
import { buildProblems, hookEntries, MANIFEST, parseManifest } from './manifest';
import { fileInBundle, normaliseBundlePath } from './paths';

export interface BuildOptions {
  /** `-m`, default `manifest.json`; `file_list` paths are relative to its folder. */
  readonly manifestPath: string;
  /** `-o`, default `bundle.zip`. */
  readonly outputPath: string;
  /** `-k`: PEM RSA private key to sign with. */
  readonly privateKeyPath?: string;
  /** `-y`: build without a signature. */
  readonly skipSigning: boolean;
}

export interface BuildResult {
  readonly output: string;
  readonly files: readonly string[];
  readonly checksum: string;
  readonly signed: boolean;
}

/** Entries get one fixed time, so the same inputs always give the same zip (reproducible builds). */
const ZIP_TIME = new Date(1980, 0, 2);
const FILE_MODE = 0o100644 << 16;

/**
 * `isogate bundle build`, as `tyk bundle build`: check the manifest (a driver, at least one hook,
 * every hook `path` among `file_list`), compute the checksum over `file_list` in order, sign it
 * with `-k`, and zip manifest.json with the listed files.
 */
export async function buildBundle(options: BuildOptions): Promise<BuildResult> {
  const manifestPath = resolve(options.manifestPath);
  const base = dirname(manifestPath);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (err) {
    throw new BundleError(`${manifestPath}: cannot read the manifest: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const prefix = (message: string) => `${manifestPath}: ${message.startsWith(`${MANIFEST}: `) ? message.slice(MANIFEST.length + 2) : message}`;
  let manifest;
  try {
    manifest = parseManifest(text);
  } catch (err) {
    throw new BundleError(prefix((err as Error).message));
  }
  const problems = buildProblems(manifest);
  const listed = new Set(manifest.file_list.map(normaliseBundlePath));
  for (const { key, path } of hookEntries(manifest.custom_middleware)) {
    if (path && !listed.has(normaliseBundlePath(path))) problems.push(`${key}.path: ${JSON.stringify(path)} is not in file_list (a bundle holds manifest.json and the file_list files only)`);
  }
  if (problems.length > 0) throw new BundleError(`${manifestPath}: ${problems.join('; ')}`);
  if (!options.skipSigning && !options.privateKeyPath) throw new BundleError('no private key: give -k private.pem to sign the bundle, or -y to build it unsigned');

  const files: Zippable = {};
  for (const [i, rel] of manifest.file_list.entries()) {
    let real: string;
    try {
      real = await fileInBundle(base, rel, `file_list[${i}]`);
    } catch (err) {
      throw new BundleError(prefix((err as Error).message));
    }
    files[normaliseBundlePath(rel)] = [await readFile(real), { mtime: ZIP_TIME, os: 3, attrs: FILE_MODE }];
  }
  if (files[MANIFEST]) throw new BundleError(`${manifestPath}: file_list: must not list ${MANIFEST} (it is not covered by the checksum)`);
  const signed = !options.skipSigning;
  const { checksum, signature } = signed
    ? await signBundle(base, manifest.file_list, loadPrivateKey(options.privateKeyPath!))
    : { checksum: await bundleChecksum(base, manifest.file_list), signature: '' };
  // The user's manifest as written, with the two computed fields filled in.
  const written = { ...(JSON.parse(text) as Record<string, unknown>), checksum, signature };
  const zip = zipSync({ [MANIFEST]: [Buffer.from(`${JSON.stringify(written, null, 2)}\n`), { mtime: ZIP_TIME, os: 3, attrs: FILE_MODE }], ...files }, { level: 6 });
  const output = resolve(options.outputPath);
  await writeFileAtomic(output, zip);
  return { output, files: Object.keys(files), checksum, signed };
}
