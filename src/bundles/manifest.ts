import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { type CustomMiddleware, CustomMiddlewareSchema } from '../config/api-definition';
import { compileSchema } from '../config/schema-validator';
import { BundleError } from './errors';
import { bundlePathProblem } from './paths';

export const MANIFEST = 'manifest.json';

/** Tyk's bundle manifest; `custom_middleware` has the API definition's shape. */
export const ManifestSchema = Type.Object({
  file_list: Type.Array(Type.String(), { default: [] }),
  custom_middleware: Type.Object(CustomMiddlewareSchema.properties, { default: {} }),
  checksum: Type.String({ default: '' }),
  signature: Type.String({ default: '' }),
});
export type Manifest = Static<typeof ManifestSchema>;

const validate = compileSchema<Manifest>(ManifestSchema);

/** Check parsed manifest JSON; errors name the key (`manifest.json: custom_middleware.pre.0.name: ...`). */
export function checkManifest(raw: unknown): Manifest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new BundleError(`${MANIFEST}: must be a JSON object`);
  const result = validate(structuredClone(raw));
  if (!result.ok) throw new BundleError(`${MANIFEST}: ${result.errors.join('; ')}`);
  const manifest = result.value;
  // Paths are checked as written, before anything normalises them: `a/../../x` never becomes `x`.
  for (const [i, rel] of manifest.file_list.entries()) {
    const problem = bundlePathProblem(rel);
    if (problem) throw new BundleError(`${MANIFEST}: file_list[${i}]: ${JSON.stringify(rel)} ${problem}`);
  }
  for (const { key, path } of hookEntries(manifest.custom_middleware, true)) {
    const problem = path === undefined ? undefined : bundlePathProblem(path);
    if (problem) throw new BundleError(`${MANIFEST}: ${key}.path: ${JSON.stringify(path)} ${problem}`);
  }
  return manifest;
}

export function parseManifest(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BundleError(`${MANIFEST}: invalid JSON: ${(err as Error).message}`);
  }
  return checkManifest(raw);
}

/** The manifest at the root of an extracted bundle folder. */
export async function readManifest(dir: string): Promise<Manifest> {
  const path = join(dir, MANIFEST);
  try {
    if (!(await lstat(path)).isFile()) throw new BundleError(`${MANIFEST}: is not a file`);
  } catch (err) {
    if (err instanceof BundleError) throw err;
    throw new BundleError(`${MANIFEST}: missing from the bundle`);
  }
  return parseManifest(await readFile(path, 'utf8'));
}

type HookListKey = 'pre' | 'post_key_auth' | 'post' | 'response';
export const HOOK_LISTS: readonly HookListKey[] = ['pre', 'post_key_auth', 'post', 'response'];

/**
 * Every hook entry with the key it sits under (`custom_middleware.pre[0]`), auth_check last. A
 * nameless auth_check (Tyk's placeholder) counts only with `withPlaceholders`.
 */
export function hookEntries(cm: CustomMiddleware, withPlaceholders = false): { key: string; path?: string; name?: string }[] {
  const out: { key: string; path?: string; name?: string }[] = [];
  for (const list of HOOK_LISTS) for (const [i, entry] of (cm[list] ?? []).entries()) out.push({ key: `custom_middleware.${list}[${i}]`, path: entry.path, name: entry.name });
  if (cm.auth_check && (cm.auth_check.name || withPlaceholders)) out.push({ key: 'custom_middleware.auth_check', path: cm.auth_check.path, name: cm.auth_check.name });
  return out;
}

/**
 * What `tyk bundle build` refuses: a manifest without a driver or without any hook. Returns the
 * problems, each naming the key.
 */
export function buildProblems(manifest: Manifest): string[] {
  const problems: string[] = [];
  const cm = manifest.custom_middleware;
  if (!cm.driver) problems.push('custom_middleware.driver: is required (e.g. "isolate", "otto", "grpc")');
  if (hookEntries(cm).length === 0) problems.push('custom_middleware: has no hooks (give at least one of pre, post_key_auth, post, response, auth_check)');
  return problems;
}
