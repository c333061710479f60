import { transform, type TransformFailure } from 'esbuild';
import { ConfigError } from './config-error';
import { rememberSourceMap } from '../coprocess/source-maps';

/** A TypeScript middleware file: compiled at load, types stripped, imports left as written. */
export const TYPESCRIPT_FILE = /\.ts$/;

/**
 * The code an isolate runs for middleware file `filename`: TypeScript is compiled with esbuild
 * (transform only: one file, no bundling, no type check) and its source map kept host-side so
 * that stack traces of its runtime errors are logged with TypeScript lines (source-maps.ts).
 * Anything else is returned as it is. A compile error is a ConfigError naming file:line:col,
 * which an upload answers as 400 and a reload reports for that API.
 */
export async function middlewareCode(filename: string, code: string): Promise<string> {
  if (!TYPESCRIPT_FILE.test(filename)) return code;
  try {
    const out = await transform(code, { loader: 'ts', sourcefile: filename, sourcemap: 'external', target: 'es2022', logLevel: 'silent' });
    rememberSourceMap(filename, out.map);
    return out.code;
  } catch (err) {
    const first = (err as TransformFailure).errors?.[0];
    if (!first) throw err;
    const at = first.location ? `${filename}:${first.location.line}:${first.location.column + 1}` : filename;
    throw new ConfigError(`${at}: does not compile: ${first.text}`);
  }
}
