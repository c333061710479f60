import { type Static, Type } from '@sinclair/typebox';

// Tyk's virtual endpoints (`version_data.versions.*.extended_paths.virtual`) and the cache
// options they use: one schema per shape, the TypeScript type derived from it.

/** A JS identifier: the function is looked up by this name in the API's JSVM. */
const FUNCTION_NAME = '^[A-Za-z_$][A-Za-z0-9_$]*$';

/** One `virtual` entry (Tyk's VirtualMeta). */
export const VirtualMetaSchema = Type.Object({
  path: Type.String(),
  method: Type.Optional(Type.String()),
  response_function_name: Type.String({ pattern: FUNCTION_NAME }),
  function_source_type: Type.Union([Type.Literal('file'), Type.Literal('blob')]),
  /** `file`: a path relative to middleware_path (or the config's folder); `blob`: base64 JavaScript. */
  function_source_uri: Type.String(),
  use_session: Type.Optional(Type.Boolean()),
  proxy_on_error: Type.Optional(Type.Boolean()),
  /** The function's answers are cached (cache_options say for how long and which codes). */
  cache_results: Type.Optional(Type.Boolean()),
  disabled: Type.Optional(Type.Boolean()),
});
export type VirtualMeta = Static<typeof VirtualMetaSchema>;

/** Tyk's `cache_options`, the keys virtual endpoints honour. */
export const CacheOptionsSchema = Type.Object({
  enable_cache: Type.Optional(Type.Boolean()),
  /** Seconds an answer stays cached; Tyk's default is 60. */
  cache_timeout: Type.Optional(Type.Integer({ minimum: 0 })),
  cache_all_safe_requests: Type.Optional(Type.Boolean()),
  /** Only these statuses are cached; empty: any below 500. */
  cache_response_codes: Type.Optional(Type.Array(Type.Integer({ minimum: 100, maximum: 599 }))),
  /** Request headers whose values are part of the cache key. */
  cache_by_headers: Type.Optional(Type.Array(Type.String())),
});
export type CacheOptions = Static<typeof CacheOptionsSchema>;
