/** JSON schema of the Tyk classic API definition keys isogate honours; other keys pass through. */
const middlewareEntry = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string' },
    path: { type: 'string' },
    require_session: { type: 'boolean' },
    raw_body_only: { type: 'boolean' },
    disabled: { type: 'boolean' },
  },
};

const hookList = { type: 'array', items: middlewareEntry };

/** `event_handlers`, the same shape in an API definition and in the gateway config. */
export const eventHandlersSchema = {
  type: 'object',
  properties: {
    events: {
      type: 'object',
      additionalProperties: {
        type: 'array',
        items: { type: 'object', required: ['handler_name'], properties: { handler_name: { type: 'string' }, handler_meta: { type: 'object' } } },
      },
    },
  },
};

const authConfig = {
  type: 'object',
  properties: {
    auth_header_name: { type: 'string' },
    use_param: { type: 'boolean' },
    param_name: { type: 'string' },
  },
};

export const apiDefinitionSchema = {
  type: 'object',
  required: ['api_id', 'proxy'],
  properties: {
    api_id: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9._~-]+$' },
    org_id: { type: 'string' },
    name: { type: 'string' },
    active: { type: 'boolean' },
    use_keyless: { type: 'boolean' },
    use_standard_auth: { type: 'boolean' },
    enable_coprocess_auth: { type: 'boolean' },
    custom_plugin_auth_enabled: { type: 'boolean' },
    auth: authConfig,
    auth_configs: { type: 'object', additionalProperties: authConfig },
    proxy: {
      type: 'object',
      required: ['listen_path', 'target_url'],
      properties: {
        listen_path: { type: 'string', pattern: '^/' },
        target_url: { type: 'string', pattern: '^https?://' },
        strip_listen_path: { type: 'boolean' },
        // Our extension: the API's request body limit in bytes (0 = use global_size_limit or the gateway's).
        max_body_bytes: { type: 'integer', minimum: 0 },
      },
    },
    custom_middleware: {
      type: 'object',
      properties: {
        driver: { enum: ['isolate', 'otto', 'javascript', 'grpc', 'python', 'lua', 'goplugin', ''] },
        pre: hookList,
        post_key_auth: hookList,
        post: hookList,
        response: hookList,
        auth_check: { type: 'object', properties: middlewareEntry.properties },
        id_extractor: {
          type: 'object',
          properties: {
            disabled: { type: 'boolean' },
            extract_from: { type: 'string' },
            extract_with: { type: 'string' },
            extractor_config: {
              type: 'object',
              properties: {
                header_name: { type: 'string' },
                param_name: { type: 'string' },
                regex_expression: { type: 'string' },
                regex_match_index: { type: 'integer', minimum: 0 },
                xpath_expression: { type: 'string' },
              },
            },
          },
        },
        limits: {
          type: 'object',
          additionalProperties: false,
          properties: {
            memory_limit_mb: { type: 'integer', minimum: 8 },
            hook_timeout_ms: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    custom_middleware_bundle: { type: 'string' },
    custom_middleware_bundle_disabled: { type: 'boolean' },
    disable_rate_limit: { type: 'boolean' },
    disable_quota: { type: 'boolean' },
    config_data: { type: 'object' },
    config_data_disabled: { type: 'boolean' },
    event_handlers: eventHandlersSchema,
    session_lifetime: { type: 'integer' },
    version_data: {
      type: 'object',
      properties: {
        versions: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            properties: {
              global_size_limit: { type: 'integer', minimum: 0 },
              extended_paths: {
                type: 'object',
                properties: {
                  ignored: {
                    type: 'array',
                    items: { type: 'object', required: ['path'], properties: { path: { type: 'string' }, method: { type: 'string' }, method_actions: { type: 'object' } } },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;
