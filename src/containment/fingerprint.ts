import { createHash } from 'node:crypto';

/**
 * Identity of an API's middleware: its files' names and code. A quarantine holds an API only
 * while it runs the middleware that aborted the worker; any change to the files lifts it.
 */
export function middlewareFingerprint(sources: readonly { filename: string; code: string }[]): string {
  const hash = createHash('sha256');
  for (const source of sources) hash.update(source.filename).update('\0').update(source.code).update('\0');
  return hash.digest('hex').slice(0, 16);
}
