import { type Static, Type } from '@sinclair/typebox';
import { EventHandlersSectionSchema } from '../events/event';
import { CacheOptionsSchema, VirtualMetaSchema } from './virtual-endpoint';

// One schema per shape: the JSON schema ajv checks and the TypeScript type are the same object.

/** Names of the hook lists in `custom_middleware`, as Tyk spells them. */
export type HookKind = 'pre' | 'auth_check' | 'post_key_auth' | 'post' | 'response';

const Bool = () => Type.Optional(Type.Boolean());
const Str = () => Type.Optional(Type.String());

/** One entry of a hook list in `custom_middleware` (Tyk's MiddlewareDefinition). */
export const MiddlewareDefinitionSchema = Type.Object({
  name: Type.String(),
  path: Str(),
  require_session: Bool(),
  raw_body_only: Bool(),
  disabled: Bool(),
});
export type MiddlewareDefinition = Static<typeof MiddlewareDefinitionSchema>;

const HookList = () => Type.Optional(Type.Array(MiddlewareDefinitionSchema));

export const IdExtractorConfigSchema = Type.Object({
  disabled: Bool(),
  extract_from: Str(),
  extract_with: Str(),
  extractor_config: Type.Optional(Type.Object({
    header_name: Str(),
    param_name: Str(),
    regex_expression: Str(),
    regex_match_index: Type.Optional(Type.Integer({ minimum: 0 })),
    xpath_expression: Str(),
  })),
});
export type IdExtractorConfig = Static<typeof IdExtractorConfigSchema>;

/** Per-API isolate limits: our extension of `custom_middleware`. */
export const IsolateLimitsSchema = Type.Object({
  memory_limit_mb: Type.Optional(Type.Integer({ minimum: 8 })),
  hook_timeout_ms: Type.Optional(Type.Integer({ minimum: 1 })),
  /** WebAssembly in this API's isolate; overrides isolate_options.allow_wasm. */
  allow_wasm: Bool(),
  /** Guest output budgets (sandbox/globals/output-budget.ts); override isolate_options.*. */
  log_lines_per_s: Type.Optional(Type.Number({ minimum: 0 })),
  events_per_s: Type.Optional(Type.Number({ minimum: 0 })),
}, { additionalProperties: false });
export type IsolateLimits = Static<typeof IsolateLimitsSchema>;

export const CustomMiddlewareSchema = Type.Object({
  /** Checked against the registered drivers when the API is built (src/coprocess/drivers). */
  driver: Str(),
  pre: HookList(),
  post_key_auth: HookList(),
  post: HookList(),
  response: HookList(),
  // Tyk allows an auth_check entry without a name (a disabled placeholder).
  auth_check: Type.Optional(Type.Partial(MiddlewareDefinitionSchema)),
  id_extractor: Type.Optional(IdExtractorConfigSchema),
  limits: Type.Optional(IsolateLimitsSchema),
});
export type CustomMiddleware = Static<typeof CustomMiddlewareSchema>;

const AuthConfigSchema = Type.Object({
  auth_header_name: Str(),
  use_param: Bool(),
  param_name: Str(),
});

const VersionSchema = Type.Object({
  name: Str(),
  /** Tyk's request body limit of the API in bytes; 0 = unset. */
  global_size_limit: Type.Optional(Type.Integer({ minimum: 0 })),
  extended_paths: Type.Optional(Type.Object({
    ignored: Type.Optional(Type.Array(Type.Object({ path: Type.String(), method: Str(), method_actions: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }))),
    virtual: Type.Optional(Type.Array(VirtualMetaSchema)),
  })),
});

/** A Tyk classic API definition, the keys isogate honours. Unknown keys pass through, ignored. */
export const ApiDefinitionSchema = Type.Object({
  // Its characters are checked by safe-names.ts (in checkDefinition): the one rule for api ids.
  api_id: Type.String({ minLength: 1 }),
  org_id: Str(),
  name: Str(),
  active: Bool(),
  use_keyless: Bool(),
  use_standard_auth: Bool(),
  enable_coprocess_auth: Bool(),
  custom_plugin_auth_enabled: Bool(),
  auth: Type.Optional(AuthConfigSchema),
  auth_configs: Type.Optional(Type.Record(Type.String(), AuthConfigSchema)),
  proxy: Type.Object({
    listen_path: Type.String({ pattern: '^/' }),
    target_url: Type.String({ pattern: '^https?://' }),
    strip_listen_path: Bool(),
    /** Our extension: the API's request body limit in bytes (0 = global_size_limit or the gateway's). */
    max_body_bytes: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
  custom_middleware: Type.Optional(CustomMiddlewareSchema),
  /**
   * Bundle file name(s) under the gateway's `bundle_base_url`, comma-separated for several. No
   * control characters (they would reach a URL and a log line); the full name rule is applied
   * when the bundle is loaded (src/bundles/names.ts), with a message naming the problem.
   */
  custom_middleware_bundle: Type.Optional(Type.String({ maxLength: 2048, pattern: '^[^\\u0000-\\u001f\\u007f]*$' })),
  custom_middleware_bundle_disabled: Bool(),
  disable_rate_limit: Bool(),
  disable_quota: Bool(),
  config_data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  config_data_disabled: Bool(),
  event_handlers: Type.Optional(EventHandlersSectionSchema),
  session_lifetime: Type.Optional(Type.Integer()),
  cache_options: Type.Optional(CacheOptionsSchema),
  version_data: Type.Optional(Type.Object({
    not_versioned: Bool(),
    default_version: Str(),
    versions: Type.Optional(Type.Record(Type.String(), VersionSchema)),
  })),
});
export type ApiDefinition = Static<typeof ApiDefinitionSchema>;
