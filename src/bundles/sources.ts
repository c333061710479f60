import { readFile, realpath } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { CustomMiddleware } from '../config/api-definition';
import type { MiddlewareSource } from '../config/api-spec';
import type { SourcePolicy } from '../config/middleware-sources';
import { MIDDLEWARE_FILE } from '../config/safe-names';
import { BundleError } from './errors';
import { middlewareCode } from '../config/typescript';
import { HOOK_LISTS } from './manifest';
import type { BundlePart } from './merge';
import { fileInBundle, normaliseBundlePath } from './paths';

export interface SourceOptions {
  /** The manifest's `custom_middleware.driver`, and what the drivers say of its files. */
  readonly driver: string;
  readonly drivers: SourcePolicy;
  /** Where the bundle is read from. */
  readonly readRoot: string;
  /** Where it lives once installed: the folder the isolate's file names (and stack traces) show. */
  readonly nameRoot: string;
  readonly parts: readonly BundlePart[];
  readonly middleware: CustomMiddleware;
  /**
   * With `public_key_path` set, only files the signature covers may run: a hook `path` must be
   * listed in its bundle's `file_list` (Tyk does not check this; manifest.json itself is unsigned).
   */
  readonly signedOnly: boolean;
}

/**
 * The files an API loads from its bundle, as it would from its own folder (middleware-sources.ts):
 * the top-level files of the driver's kind (its `sourceFiles`, JavaScript by default) — those
 * listed in each bundle's `file_list`, in order — then each enabled hook's `path` not already among
 * them. Files in sub-folders load only by a hook `path`, except for a driver whose files find each
 * other by module name (Lua's `require "vendor.util"`, as Tyk puts the bundle on `package.path`):
 * it gets every listed file of its kind. Python imports them itself (the bundle's folder is on its
 * `sys.path`, as in Tyk). Every file must really lie inside the bundle folder.
 */
export async function bundleSources(options: SourceOptions): Promise<MiddlewareSource[]> {
  const { driver, drivers } = options;
  const kind = (driver && drivers.sourceFiles?.(driver)) || MIDDLEWARE_FILE;
  const nested = Boolean(driver && drivers.requiresByName?.(driver));
  const listed = new Set<string>();
  const order: { rel: string; key: string }[] = [];
  for (const part of options.parts) {
    for (const [i, entry] of part.manifest.file_list.entries()) {
      const inBundle = normaliseBundlePath(entry);
      const rel = posix.join(part.sub, inBundle);
      listed.add(rel);
      if ((nested || !inBundle.includes('/')) && kind.test(inBundle) && !order.some((o) => o.rel === rel)) order.push({ rel, key: options.parts.length > 1 ? `${part.name}: file_list[${i}]` : `file_list[${i}]` });
    }
  }
  // Manifest paths were checked as written when the manifest was read (manifest.ts).
  const cm = options.middleware;
  const hooks = [...HOOK_LISTS.flatMap((list) => (cm[list] ?? []).map((e, i) => ({ e, key: `custom_middleware.${list}[${i}].path` }))), ...(cm.auth_check ? [{ e: cm.auth_check, key: 'custom_middleware.auth_check.path' }] : [])];
  for (const { e, key } of hooks) {
    if (!e.path || e.disabled) continue;
    const rel = normaliseBundlePath(e.path);
    if (options.signedOnly && !listed.has(rel)) throw new BundleError(`${key}: ${JSON.stringify(e.path)} is not in file_list, so the signature does not cover it (public_key_path is set)`);
    if (!order.some((o) => o.rel === rel)) order.push({ rel, key });
  }
  const realRoot = await realpath(options.readRoot);
  return Promise.all(order.map(async ({ rel, key }) => {
    const real = await fileInBundle(options.readRoot, rel, key, realRoot);
    const filename = join(options.nameRoot, rel);
    return { filename, code: await middlewareCode(filename, await readFile(real, 'utf8')) };
  }));
}
