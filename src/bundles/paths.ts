import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, sep } from 'node:path';
import { BundleError } from './errors';

// Paths inside a bundle: zip entry names, `file_list` entries and hook `path`s. A path names a
// place under the bundle folder, plainly; it is judged by its spelling first and, when read, by
// where it really lands.

/** Why `path` cannot name a file inside a bundle, or undefined when it can. */
export function bundlePathProblem(path: string): string | undefined {
  if (path === '') return 'is empty';
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'contains a control character (NUL, CR, LF, ...)';
  if (path.includes('\\')) return 'contains a backslash (use "/")';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'is absolute';
  const segments = path.split('/');
  if (segments.includes('..')) return 'contains ".."';
  if (segments.slice(0, -1).includes('')) return 'has an empty segment ("//")';
  return undefined;
}

/** `./a/./b.js` → `a/b.js`; the path must have passed bundlePathProblem. */
export function normaliseBundlePath(path: string): string {
  return posix.normalize(path).replace(/^(\.\/)+/, '');
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * The real path of the regular file `rel` under `root`, which must stay inside `root` with every
 * symlink followed. `what` names the key in the error (e.g. `file_list[2]`).
 */
export async function fileInBundle(root: string, rel: string, what: string): Promise<string> {
  const problem = bundlePathProblem(rel);
  if (problem) throw new BundleError(`${what}: ${JSON.stringify(rel)} ${problem}`);
  const path = join(root, normaliseBundlePath(rel));
  let real: string;
  let realRoot: string;
  try {
    [real, realRoot] = await Promise.all([realpath(path), realpath(root)]);
  } catch {
    throw new BundleError(`${what}: ${JSON.stringify(rel)} is not in the bundle`);
  }
  if (!inside(realRoot, real)) throw new BundleError(`${what}: ${JSON.stringify(rel)} resolves outside the bundle folder`);
  if (!(await lstat(real)).isFile()) throw new BundleError(`${what}: ${JSON.stringify(rel)} is not a file`);
  return real;
}
