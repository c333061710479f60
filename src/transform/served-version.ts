import type { ApiDefinition } from '../config/api-definition';

type Version = NonNullable<NonNullable<ApiDefinition['version_data']>['versions']>[string];

/**
 * The version whose header, rewrite and method settings apply: `default_version` when it names
 * one, else the first listed (isogate serves one version per API; see README, Tyk compatibility).
 */
export function servedVersion(def: ApiDefinition): { name: string; version: Version } | undefined {
  const versions = def.version_data?.versions ?? {};
  const wanted = def.version_data?.default_version;
  const name = wanted && versions[wanted] ? wanted : Object.keys(versions)[0];
  return name === undefined ? undefined : { name, version: versions[name]! };
}
