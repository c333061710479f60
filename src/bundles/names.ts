import { createHash } from 'node:crypto';
import { extname } from 'node:path';

// `custom_middleware_bundle` names become a URL path under bundle_base_url and folder names under
// middleware_path/bundles: one rule for what a name may be, checked before either is built.

/** One path segment of a bundle name: a plain file or folder name (no `.`/`..`, no hidden files). */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._~+=@-]*$/;
const MAX_NAME = 255;

/** Why `name` cannot be a bundle name, or undefined when it can. */
export function bundleNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.length > MAX_NAME) return `is longer than ${MAX_NAME} characters`;
  if (name.startsWith('/')) return 'is absolute (give a name relative to bundle_base_url)';
  if (/^[a-z][a-z0-9+.-]*:/i.test(name)) return 'is a URL (give a name relative to bundle_base_url)';
  const bad = name.split('/').find((segment) => !SEGMENT.test(segment));
  if (bad !== undefined) {
    if (bad === '..' || bad === '.') return `contains "${bad}"`;
    return `has the segment ${JSON.stringify(bad)}: use letters, digits and . _ ~ + = @ - (not first)`;
  }
  return undefined;
}

/**
 * The bundle names of `custom_middleware_bundle` (Tyk 5.15+: comma-separated, loaded in order),
 * each checked. Throws a message for the key's error line.
 */
export function splitBundleNames(value: string): string[] {
  const names = value.split(',').map((n) => n.trim());
  for (const [i, name] of names.entries()) {
    const problem = bundleNameProblem(name);
    if (problem) throw new Error(names.length > 1 ? `bundle ${i + 1} (${JSON.stringify(name)}) ${problem}` : `${JSON.stringify(name)} ${problem}`);
  }
  const seen = new Map<string, string>();
  for (const name of names) {
    const sub = subFolder(name);
    const other = seen.get(sub);
    if (other !== undefined) throw new Error(other === name ? `${JSON.stringify(name)} is listed twice` : `${JSON.stringify(other)} and ${JSON.stringify(name)} would share the folder "${sub}"`);
    seen.set(sub, name);
  }
  return names;
}

/** Tyk's folder for an API's bundle(s): MD5 hex of `custom_middleware_bundle` as written. */
export function bundleFolderName(value: string): string {
  return createHash('md5').update(value).digest('hex');
}

/** Tyk's sub-folder for one of several bundles: the name without its extension, `/` as `__`. */
export function subFolder(name: string): string {
  return name.slice(0, name.length - extname(name).length).replace(/\//g, '__');
}
