// The shape of Tyk's coprocess messages as the normaliser needs it: which fields are maps,
// lists, bytes, numbers. pbjs static code carries no reflection data, so the table is written
// out here; test/proto-compat.test.ts checks it field by field against a reflection load of
// proto/ so it cannot drift from the wire format.

export type ScalarKind = 'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'double' | 'enum';
export type FieldLabel = 'single' | 'repeated' | 'map';

export interface FieldSchema {
  readonly name: string;
  readonly label: FieldLabel;
  readonly kind: ScalarKind | MessageSchema;
}

export interface MessageSchema {
  /** Fully qualified proto name, e.g. `coprocess.MiniRequestObject`. */
  readonly name: string;
  readonly fields: readonly FieldSchema[];
}

type Spec = Record<string, ScalarKind | MessageSchema | [FieldLabel, ScalarKind | MessageSchema]>;

function message(name: string, spec: Spec): MessageSchema {
  const fields = Object.keys(spec).map((field): FieldSchema => {
    const entry = spec[field];
    return Array.isArray(entry) ? { name: field, label: entry[0], kind: entry[1] } : { name: field, label: 'single', kind: entry };
  });
  return { name: `coprocess.${name}`, fields };
}

export const ReturnOverridesSchema = message('ReturnOverrides', {
  response_code: 'int32',
  response_error: 'string',
  headers: ['map', 'string'],
  override_error: 'bool',
  response_body: 'string',
});

export const MiniRequestObjectSchema = message('MiniRequestObject', {
  headers: ['map', 'string'],
  set_headers: ['map', 'string'],
  delete_headers: ['repeated', 'string'],
  body: 'string',
  url: 'string',
  params: ['map', 'string'],
  add_params: ['map', 'string'],
  extended_params: ['map', 'string'],
  delete_params: ['repeated', 'string'],
  return_overrides: ReturnOverridesSchema,
  method: 'string',
  request_uri: 'string',
  scheme: 'string',
  raw_body: 'bytes',
});

export const HeaderSchema = message('Header', {
  key: 'string',
  values: ['repeated', 'string'],
});

export const ResponseObjectSchema = message('ResponseObject', {
  status_code: 'int32',
  raw_body: 'bytes',
  body: 'string',
  headers: ['map', 'string'],
  multivalue_headers: ['repeated', HeaderSchema],
});

const AccessSpecSchema = message('AccessSpec', {
  url: 'string',
  methods: ['repeated', 'string'],
});

const AccessDefinitionSchema = message('AccessDefinition', {
  api_name: 'string',
  api_id: 'string',
  versions: ['repeated', 'string'],
  allowed_urls: ['repeated', AccessSpecSchema],
});

export const SessionStateSchema = message('SessionState', {
  last_check: 'int64',
  allowance: 'double',
  rate: 'double',
  per: 'double',
  expires: 'int64',
  quota_max: 'int64',
  quota_renews: 'int64',
  quota_remaining: 'int64',
  quota_renewal_rate: 'int64',
  access_rights: ['map', AccessDefinitionSchema],
  org_id: 'string',
  oauth_client_id: 'string',
  oauth_keys: ['map', 'string'],
  basic_auth_data: message('BasicAuthData', { password: 'string', hash: 'string' }),
  jwt_data: message('JWTData', { secret: 'string' }),
  hmac_enabled: 'bool',
  hmac_secret: 'string',
  is_inactive: 'bool',
  apply_policy_id: 'string',
  data_expires: 'int64',
  monitor: message('Monitor', { trigger_limits: ['repeated', 'double'] }),
  enable_detailed_recording: 'bool',
  metadata: ['map', 'string'],
  tags: ['repeated', 'string'],
  alias: 'string',
  last_updated: 'string',
  id_extractor_deadline: 'int64',
  session_lifetime: 'int64',
  apply_policies: ['repeated', 'string'],
  certificate: 'string',
  max_query_depth: 'int64',
  key_id: 'string',
  post_expiry_action: 'string',
  post_expiry_grace_period: 'int64',
});

export const ObjectSchema = message('Object', {
  hook_type: 'enum',
  hook_name: 'string',
  request: MiniRequestObjectSchema,
  session: SessionStateSchema,
  metadata: ['map', 'string'],
  spec: ['map', 'string'],
  response: ResponseObjectSchema,
});

/** Every message the normaliser knows, for the compatibility test. */
export const ALL_SCHEMAS: readonly MessageSchema[] = (() => {
  const seen = new Map<string, MessageSchema>();
  const visit = (schema: MessageSchema): void => {
    if (seen.has(schema.name)) return;
    seen.set(schema.name, schema);
    for (const field of schema.fields) if (typeof field.kind === 'object') visit(field.kind);
  };
  visit(ObjectSchema);
  return [...seen.values()];
})();
