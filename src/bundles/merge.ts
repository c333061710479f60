import { posix } from 'node:path';
import type { CustomMiddleware, MiddlewareDefinition } from '../config/api-definition';
import { BundleError } from './errors';
import { HOOK_LISTS, type Manifest } from './manifest';
import { normaliseBundlePath } from './paths';

/** One bundle of an API's list, extracted in `sub` (a folder relative to the API's bundle root; '' alone). */
export interface BundlePart {
  readonly name: string;
  readonly sub: string;
  readonly manifest: Manifest;
}

function rebase<T extends { path?: string }>(entry: T, sub: string): T {
  return sub && entry.path ? { ...entry, path: posix.join(sub, normaliseBundlePath(entry.path)) } : entry;
}

/**
 * The API's middleware from its bundles' manifests, in order (Tyk 5.15 rules): hook lists are
 * concatenated, at most one bundle has an `auth_check`, every driver is the same, the first
 * `id_extractor` wins (as does the first `limits`, our extension). Paths are rebased onto the
 * API's bundle root, so each hook still resolves inside its own bundle's folder.
 */
export function mergeMiddleware(parts: readonly BundlePart[]): CustomMiddleware {
  if (parts.length === 1) return parts[0]!.manifest.custom_middleware;
  const merged: CustomMiddleware = {};
  let authFrom: string | undefined;
  let driverFrom: string | undefined;
  for (const { name, sub, manifest } of parts) {
    const cm = manifest.custom_middleware;
    const driver = cm.driver ?? '';
    if (driverFrom === undefined) {
      driverFrom = name;
      if (driver) merged.driver = driver;
    } else if (driver !== (merged.driver ?? '')) {
      throw new BundleError(`custom_middleware.driver: ${JSON.stringify(driverFrom)} says ${JSON.stringify(merged.driver ?? '')} but ${JSON.stringify(name)} says ${JSON.stringify(driver)} (the bundles of one API must use one driver)`);
    }
    for (const list of HOOK_LISTS) {
      const entries = cm[list];
      if (entries?.length) merged[list] = [...(merged[list] ?? []), ...entries.map((e: MiddlewareDefinition) => rebase(e, sub))];
    }
    if (cm.auth_check?.name) {
      if (authFrom !== undefined) throw new BundleError(`custom_middleware.auth_check: both ${JSON.stringify(authFrom)} and ${JSON.stringify(name)} have one (at most one bundle of an API may)`);
      authFrom = name;
      merged.auth_check = rebase(cm.auth_check, sub);
    }
    if (cm.id_extractor && merged.id_extractor === undefined) merged.id_extractor = cm.id_extractor;
    if (cm.limits && merged.limits === undefined) merged.limits = cm.limits;
  }
  return merged;
}
