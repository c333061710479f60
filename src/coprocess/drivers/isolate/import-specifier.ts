import { posix } from 'node:path';
import { MiddlewareSourceError } from './source-error';

/**
 * Where an import statement in `code` names `specifier`: the first line holding it as a string
 * literal after `import`/`export`/`from`, else the first line holding it quoted at all. V8's
 * resolve callback reports no position, and the author wants the line.
 */
export function importPosition(code: string, specifier: string): { line: number; column: number } | undefined {
  const lines = code.split('\n');
  let fallback: { line: number; column: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    for (const quote of ["'", '"', '`']) {
      const at = lines[i]!.indexOf(`${quote}${specifier}${quote}`);
      if (at < 0) continue;
      const position = { line: i + 1, column: at + 1 };
      if (/\b(import|export|from)\b/.test(lines[i]!.slice(0, at))) return position;
      fallback ??= position;
    }
  }
  return fallback;
}

function refuse(from: string, code: string, specifier: string, why: string): MiddlewareSourceError {
  const at = importPosition(code, specifier);
  const where = at ? `${from}:${at.line}:${at.column}` : from;
  return new MiddlewareSourceError(`${where}: cannot import ${JSON.stringify(specifier)}: ${why}`, from, at?.line, at?.column);
}

/**
 * The file a module imports, as a key of the API's files: only a relative path ("./util.js",
 * "./lib/x.mjs") that stays inside the importing file's folder. Bare names ("lodash"), URLs
 * ("https://…", "node:fs", "data:…"), absolute paths and anything that climbs out with ".." are a
 * MiddlewareSourceError at the import's line: there is no package resolution, network or
 * filesystem inside an isolate, and one API never reaches another's files.
 */
export function importTarget(from: string, code: string, specifier: string, normalise: (path: string) => string): string {
  if (/[\0\\\r\n]/.test(specifier)) return thrown(refuse(from, code, specifier, 'NUL, backslash and line breaks are not allowed in a module path'));
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier)) return thrown(refuse(from, code, specifier, 'URLs are not importable (no network or built-in modules in an isolate); bundle the code into this API\'s files'));
  if (specifier.startsWith('/')) return thrown(refuse(from, code, specifier, 'absolute paths are not importable; use a path relative to this file ("./util.js")'));
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) {
    return thrown(refuse(from, code, specifier, 'bare module names are not importable (no packages in an isolate): bundle the package into this API\'s files, or import one of them with "./"'));
  }
  const base = posix.dirname(normalise(from));
  const target = normalise(posix.join(base, specifier));
  const inside = posix.relative(base, target);
  if (inside.startsWith('..') || posix.isAbsolute(inside)) return thrown(refuse(from, code, specifier, 'it leaves the folder of this API\'s middleware'));
  return target;
}

/** A refusal naming a file this API does not have. */
export function missingImport(from: string, code: string, specifier: string, why: string): MiddlewareSourceError {
  return refuse(from, code, specifier, why);
}

function thrown(error: Error): never {
  throw error;
}
