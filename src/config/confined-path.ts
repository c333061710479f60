import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';

// Confinement of the files the gateway reads and writes on a definition's or an upload's behalf:
// a path is judged by where it really lands, every symlink followed, never by its spelling.

/** Whether `path` is `root` or below it; both must already be real (resolved) paths. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The real path of `path`, every symlink followed. A path that does not exist yet (a file about
 * to be uploaded) is its deepest existing ancestor's real path plus the rest, so it is judged by
 * the folder it would be written into.
 */
export async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    const parent = dirname(path);
    if (parent === path) return path;
    return join(await realPathOf(parent), basename(path));
  }
}

/**
 * Why a relative path written in a definition (or a bundle) is refused before any lookup, or
 * undefined. `..` is refused even when it would come back inside: a path names a place under a
 * folder (`root`, as named in the message), plainly.
 */
export function relativePathProblem(path: string, root = 'middleware_path'): string | undefined {
  if (path === '') return 'is empty';
  if (path.includes('\0')) return 'contains a NUL character';
  if (path.includes('\\')) return 'contains a backslash (use "/")';
  if (isAbsolute(path)) return `is absolute (give a path relative to ${root})`;
  if (path.split('/').includes('..')) return `contains ".." (give a path inside ${root})`;
  return undefined;
}
