import type { SessionState } from '../pipeline/session';

/**
 * Type checks for a Tyk session JSON body (`/tyk/keys`). Tyk decodes into a Go struct, so a
 * field of the wrong type fails the whole request; we do the same, but say which field. `null`
 * leaves a field unset, as Go's decoder does. Unknown fields are kept: they round-trip.
 */

type Kind = 'number' | 'integer' | 'boolean' | 'string' | 'string[]' | 'object';

const FIELDS: Record<string, Kind> = {
  rate: 'number',
  per: 'number',
  allowance: 'number',
  throttle_interval: 'number',
  last_check: 'integer',
  expires: 'integer',
  quota_max: 'integer',
  quota_remaining: 'integer',
  quota_renews: 'integer',
  quota_renewal_rate: 'integer',
  session_lifetime: 'integer',
  id_extractor_deadline: 'integer',
  data_expires: 'integer',
  max_query_depth: 'integer',
  throttle_retry_limit: 'integer',
  post_expiry_grace_period: 'integer',
  is_inactive: 'boolean',
  hmac_enabled: 'boolean',
  enable_detailed_recording: 'boolean',
  org_id: 'string',
  alias: 'string',
  apply_policy_id: 'string',
  last_updated: 'string',
  certificate: 'string',
  hmac_string: 'string',
  oauth_client_id: 'string',
  key_id: 'string',
  post_expiry_action: 'string',
  tags: 'string[]',
  apply_policies: 'string[]',
  access_rights: 'object',
  meta_data: 'object',
  oauth_keys: 'object',
  basic_auth_data: 'object',
  jwt_data: 'object',
  monitor: 'object',
};

const ARTICLE: Record<Kind, string> = {
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  string: 'a string',
  'string[]': 'an array of strings',
  object: 'an object',
};

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function fits(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isSafeInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'object':
      return isObject(value);
  }
}

export type SessionValidation = { ok: true; session: SessionState } | { ok: false; message: string };

/** Check `body` and return it as a session (the same object, with `null` fields removed). */
export function validateSessionBody(body: unknown): SessionValidation {
  if (!isObject(body)) return { ok: false, message: 'Request malformed' };
  for (const [field, kind] of Object.entries(FIELDS)) {
    const value = body[field];
    if (value === undefined) continue;
    if (value === null) {
      delete body[field];
      continue;
    }
    if (!fits(value, kind)) return { ok: false, message: `Request malformed: ${field} must be ${ARTICLE[kind]}` };
  }
  const rights = body.access_rights;
  if (isObject(rights)) {
    for (const [apiId, access] of Object.entries(rights)) {
      if (!isObject(access)) return { ok: false, message: `Request malformed: access_rights.${apiId} must be an object` };
      const versions = access.versions;
      if (versions !== undefined && versions !== null && !fits(versions, 'string[]')) {
        return { ok: false, message: `Request malformed: access_rights.${apiId}.versions must be an array of strings` };
      }
    }
  }
  return { ok: true, session: body as SessionState };
}
