import type { IdExtractorConfig } from '../../config/api-definition';
import { ConfigError } from '../../config/config-error';
import { generateToken, md5Hex } from '../token';
import { ExtractError } from './errors';
import type { ExtractInput } from './input';
import { compileRegex, regexMatcher } from './regex';
import { bodySource, formSource, headerSource, type SourceReader } from './sources';
import { compileXPath, xpathMatcher } from './xpath';

export { ExtractError } from './errors';
export type { ExtractInput } from './input';

export type ExtractFrom = 'header' | 'form' | 'body';
export type ExtractWith = 'value' | 'regex' | 'xpath';

export interface IdExtractorContext {
  apiId: string;
  /** The API's `org_id` ('' when absent): the prefix of the legacy cache key. */
  orgId: string;
  /** Gateway `hash_key_function` (with or without `hash_keys`, as Tyk): selects Tyk's base64 JSON key form. */
  hashKeyFunction?: string;
  /**
   * Gateway `auth_cache.id_extractor_scope`. "org" is Tyk's key, shared by every API of the org:
   * one API's auth_check approving an identity lets it skip the auth_check of all the others.
   * Anything else (the default "api") adds the API id, so each API's plugin decides for itself.
   */
  scope?: 'api' | 'org';
}

/** Compiled once per API load; `extract` and `cacheKey` run per request and do no I/O. */
export interface IdExtractor {
  readonly extractFrom: ExtractFrom;
  readonly extractWith: ExtractWith;
  /** The identity, never empty. Throws ExtractError: the gateway answers 400 `Authorization field missing`. */
  extract(input: ExtractInput): string;
  /**
   * The session id for an identity: generateToken(org_id, "<api_id>:" + md5hex(identity)), or
   * Tyk's generateToken(org_id, md5hex(identity)) with scope "org".
   */
  cacheKey(identity: string): string;
}

const EXTRACT_WITH: ReadonlySet<string> = new Set<ExtractWith>(['value', 'regex', 'xpath']);
const PREFIX = 'custom_middleware.id_extractor';

type Settings = NonNullable<IdExtractorConfig['extractor_config']>;

/**
 * Returns undefined when there is nothing to do: no config, `disabled`, or an `extract_with`
 * Tyk does not know (Tyk then calls the plugin on every request, and so do we). Anything else
 * that is wrong throws a ConfigError naming the API and the key, so the API is not served
 * half-configured. The caller decides whether the API uses coprocess auth at all.
 */
export function compileIdExtractor(
  cfg: IdExtractorConfig | undefined,
  ctx: IdExtractorContext,
): IdExtractor | undefined {
  if (!cfg || cfg.disabled === true) return undefined;
  if (typeof cfg.extract_with !== 'string' || !EXTRACT_WITH.has(cfg.extract_with)) return undefined;
  const extractWith = cfg.extract_with as ExtractWith;
  const fail = (key: string, problem: string): never => {
    throw new ConfigError(`api "${ctx.apiId}": ${PREFIX}.${key}: ${problem}`);
  };
  const settings: Settings = cfg.extractor_config ?? {};
  const required = (name: keyof Settings): string => {
    const value = settings[name];
    if (typeof value !== 'string' || value === '') {
      fail(`extractor_config.${name}`, `required (non-empty string) with extract_from "${cfg.extract_from}" and extract_with "${extractWith}"`);
    }
    return value as string;
  };

  const extractFrom = cfg.extract_from;
  let source: SourceReader;
  switch (extractFrom) {
    case 'header':
      source = headerSource(required('header_name'));
      break;
    case 'form':
      source = formSource(required('param_name'));
      break;
    case 'body':
      source = bodySource;
      break;
    default:
      // Tyk declares `querystring` but never implemented it: such a definition would share one
      // identity between all clients there, so it is refused here rather than copied.
      return fail('extract_from', `must be "header", "form" or "body", got ${JSON.stringify(extractFrom)}`);
  }

  let match: (text: string) => string;
  switch (extractWith) {
    case 'value':
      // Tyk extracts nothing for `value` from `body` and hashes "", merging every client into one
      // identity; here the whole body is the identity.
      match = (text) => {
        if (!text) throw new ExtractError('extracted value is empty');
        return text;
      };
      break;
    case 'regex': {
      const expression = required('regex_expression');
      const index = settings.regex_match_index ?? 0;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
        fail('extractor_config.regex_match_index', `must be a non-negative integer, got ${JSON.stringify(index)}`);
      }
      let regex: RegExp;
      try {
        regex = compileRegex(expression);
      } catch (err) {
        return fail('extractor_config.regex_expression', `invalid regular expression: ${(err as Error).message}`);
      }
      match = regexMatcher(regex, index);
      break;
    }
    case 'xpath': {
      const expression = required('xpath_expression');
      let compiled: ReturnType<typeof compileXPath>;
      try {
        compiled = compileXPath(expression);
      } catch (err) {
        return fail('extractor_config.xpath_expression', `invalid XPath expression: ${(err as Error).message}`);
      }
      match = xpathMatcher(compiled);
      break;
    }
  }

  const { orgId, hashKeyFunction } = ctx;
  // ":" cannot occur in an api_id (safe-names.ts), so the API's part of the id is unambiguous.
  const prefix = ctx.scope === 'org' ? '' : `${ctx.apiId}:`;
  return {
    extractFrom,
    extractWith,
    extract: (input) => match(source(input)),
    cacheKey: (identity) => generateToken(orgId, `${prefix}${md5Hex(identity)}`, hashKeyFunction),
  };
}
