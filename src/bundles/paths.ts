import { lstat, realpath } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { isInside, relativePathProblem } from '../config/confined-path';
import { BundleError } from './errors';

// Paths inside a bundle: zip entry names, `file_list` entries and hook `path`s. The gateway's rule
// for relative paths (config/confined-path.ts), plus what only archives bring: any control
// character (CR/LF as well as NUL), a Windows drive, an empty segment.

/** Why `path` cannot name a file inside a bundle, or undefined when it can. */
export function bundlePathProblem(path: string): string | undefined {
  const problem = relativePathProblem(path, 'the bundle');
  if (problem) return problem;
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'contains a control character (NUL, CR, LF, ...)';
  if (/^[A-Za-z]:/.test(path)) return 'is absolute (a drive letter)';
  if (path.split('/').slice(0, -1).includes('')) return 'has an empty segment ("//")';
  return undefined;
}

/** `./a/./b.js` → `a/b.js`; the path must have passed bundlePathProblem. */
export function normaliseBundlePath(path: string): string {
  return posix.normalize(path).replace(/^(\.\/)+/, '');
}

/**
 * The real path of the regular file `rel` under `root`, which must stay inside `root` with every
 * symlink followed. `what` names the key in the error (e.g. `file_list[2]`). Callers checking many
 * files pass `realRoot` (root's real path) once.
 */
export async function fileInBundle(root: string, rel: string, what: string, realRoot?: string): Promise<string> {
  const problem = bundlePathProblem(rel);
  if (problem) throw new BundleError(`${what}: ${JSON.stringify(rel)} ${problem}`);
  let real: string;
  try {
    [real, realRoot] = await Promise.all([realpath(join(root, normaliseBundlePath(rel))), realRoot ?? realpath(root)]);
  } catch {
    throw new BundleError(`${what}: ${JSON.stringify(rel)} is not in the bundle`);
  }
  if (!isInside(realRoot, real)) throw new BundleError(`${what}: ${JSON.stringify(rel)} resolves outside the bundle folder`);
  if (!(await lstat(real)).isFile()) throw new BundleError(`${what}: ${JSON.stringify(rel)} is not a file`);
  return real;
}
