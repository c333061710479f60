import type { EventHandlersSection } from '../events/event';

/** One entry of a hook list in `custom_middleware` (Tyk's MiddlewareDefinition). */
export interface MiddlewareDefinition {
  name: string;
  path?: string;
  require_session?: boolean;
  raw_body_only?: boolean;
  disabled?: boolean;
}

export interface IdExtractorConfig {
  disabled?: boolean;
  extract_from?: string;
  extract_with?: string;
  extractor_config?: {
    header_name?: string;
    param_name?: string;
    regex_expression?: string;
    regex_match_index?: number;
    xpath_expression?: string;
  };
}

/** Per-API isolate limits: our extension of `custom_middleware`. */
export interface IsolateLimits {
  memory_limit_mb?: number;
  hook_timeout_ms?: number;
}

export type MiddlewareDriver = 'isolate' | 'otto' | 'javascript' | 'grpc' | (string & {});

export interface CustomMiddleware {
  driver?: MiddlewareDriver;
  pre?: MiddlewareDefinition[];
  post_key_auth?: MiddlewareDefinition[];
  post?: MiddlewareDefinition[];
  response?: MiddlewareDefinition[];
  auth_check?: MiddlewareDefinition;
  id_extractor?: IdExtractorConfig;
  limits?: IsolateLimits;
}

/** A Tyk classic API definition, the keys isogate honours. Unknown keys are kept and ignored. */
export interface ApiDefinition {
  api_id: string;
  org_id?: string;
  name?: string;
  active?: boolean;
  use_keyless?: boolean;
  use_standard_auth?: boolean;
  enable_coprocess_auth?: boolean;
  custom_plugin_auth_enabled?: boolean;
  auth?: { auth_header_name?: string; use_param?: boolean; param_name?: string };
  auth_configs?: Record<string, { auth_header_name?: string; use_param?: boolean; param_name?: string }>;
  proxy: { listen_path: string; target_url: string; strip_listen_path?: boolean; max_body_bytes?: number };
  custom_middleware?: CustomMiddleware;
  custom_middleware_bundle?: string;
  custom_middleware_bundle_disabled?: boolean;
  disable_rate_limit?: boolean;
  disable_quota?: boolean;
  config_data?: Record<string, unknown>;
  config_data_disabled?: boolean;
  event_handlers?: EventHandlersSection;
  session_lifetime?: number;
  version_data?: {
    not_versioned?: boolean;
    default_version?: string;
    versions?: Record<string, { name?: string; global_size_limit?: number; extended_paths?: { ignored?: { path: string; method?: string; method_actions?: Record<string, unknown> }[] } }>;
  };
  [extra: string]: unknown;
}
