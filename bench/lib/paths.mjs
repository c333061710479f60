import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/lib → ../..). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BENCH_DIR = join(ROOT, 'bench');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

/**
 * The built gateway being measured: this checkout's dist/, or another build given with
 * `--dist DIR` (run.mjs passes it on to child processes through the environment), so that two
 * builds can be compared on the same machine with the same harness.
 */
export function distDir() {
  return process.env.ISOGATE_BENCH_DIST || join(ROOT, 'dist');
}

export function cliPath() {
  return join(distDir(), 'src', 'cli.js');
}
