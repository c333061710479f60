import { JSVM_SPEC } from '../../src/protocol/jsvm';
import type { Plain } from './values';

/**
 * Tyk's `config` argument: `{OrgID, APIID, config_data}`, config_data decoded; with
 * `config_data_disabled` Tyk leaves config_data out altogether.
 */
export function configOf(spec: Record<string, string> | null | undefined): Plain {
  const config: Plain = { OrgID: spec?.OrgID ?? '', APIID: spec?.APIID ?? '' };
  if (spec?.[JSVM_SPEC.configDataDisabled] === '1') return config;
  const data = spec?.config_data;
  config.config_data = data ? (JSON.parse(data) as unknown) : {};
  return config;
}
