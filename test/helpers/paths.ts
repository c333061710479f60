// Where the repository is. Tests are compiled from test/ into dist/test/, so a path counted up
// from __dirname would differ between the source and the built file: every path to a fixture,
// an example or a built entry point starts here instead.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'isogate') return dir;
    if (dirname(dir) === dir) throw new Error(`no isogate package.json in or above ${from}`);
  }
}

export const repoRoot = findRepoRoot(__dirname);

/** `repoRoot` joined with `parts`. */
export const fromRoot = (...parts: string[]): string => join(repoRoot, ...parts);

/** The built CLI that every gateway test starts (`npm test` builds it first). */
export const CLI = fromRoot('dist', 'src', 'cli.js');
