import type { Plain } from './values';

/** Tyk's `config` argument: `{OrgID, APIID, config_data}`, config_data decoded. */
export function configOf(spec: Record<string, string> | null | undefined): Plain {
  const data = spec?.config_data;
  return { OrgID: spec?.OrgID ?? '', APIID: spec?.APIID ?? '', config_data: data ? (JSON.parse(data) as unknown) : {} };
}
