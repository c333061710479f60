import type { SessionState } from '../pipeline/session';
import type { ProtoSessionState } from './dispatcher';

/** Tyk session JSON → proto SessionState: meta_data values become strings (non-strings JSON-encoded). */
export function sessionToProto(s: SessionState): ProtoSessionState {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.meta_data ?? {})) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  const accessRights: ProtoSessionState['access_rights'] = {};
  for (const [id, a] of Object.entries(s.access_rights ?? {})) {
    accessRights[id] = { api_name: a.api_name ?? '', api_id: a.api_id ?? id, versions: a.versions ?? [], allowed_urls: (a.allowed_urls ?? []).map((u) => ({ url: u.url, methods: u.methods ?? [] })) };
  }
  return {
    last_check: s.last_check ?? 0,
    allowance: s.allowance ?? 0,
    rate: s.rate ?? 0,
    per: s.per ?? 0,
    expires: s.expires ?? 0,
    quota_max: s.quota_max ?? 0,
    quota_renews: s.quota_renews ?? 0,
    quota_remaining: s.quota_remaining ?? 0,
    quota_renewal_rate: s.quota_renewal_rate ?? 0,
    access_rights: accessRights,
    org_id: s.org_id ?? '',
    oauth_client_id: s.oauth_client_id ?? '',
    oauth_keys: s.oauth_keys ?? {},
    basic_auth_data: { password: s.basic_auth_data?.password ?? '', hash: s.basic_auth_data?.hash_type ?? '' },
    jwt_data: { secret: s.jwt_data?.secret ?? '' },
    hmac_enabled: s.hmac_enabled ?? false,
    hmac_secret: s.hmac_string ?? '',
    is_inactive: s.is_inactive ?? false,
    apply_policy_id: s.apply_policy_id ?? '',
    data_expires: s.data_expires ?? 0,
    monitor: { trigger_limits: s.monitor?.trigger_limits ?? [] },
    enable_detailed_recording: s.enable_detailed_recording ?? false,
    metadata,
    tags: s.tags ?? [],
    alias: s.alias ?? '',
    last_updated: s.last_updated ?? '',
    id_extractor_deadline: s.id_extractor_deadline ?? 0,
    session_lifetime: s.session_lifetime ?? 0,
    apply_policies: s.apply_policies ?? [],
    certificate: s.certificate ?? '',
    max_query_depth: s.max_query_depth ?? 0,
    key_id: s.key_id ?? '',
  };
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0) || 0);

/** proto SessionState → Tyk session JSON; `extraMeta` (Object.metadata) is merged into meta_data. */
export function sessionFromProto(p: ProtoSessionState, extraMeta?: Record<string, string> | null): SessionState {
  const accessRights: SessionState['access_rights'] = {};
  for (const [id, a] of Object.entries(p.access_rights ?? {})) {
    accessRights[id] = { api_name: a.api_name ?? '', api_id: a.api_id || id, versions: a.versions ?? [], allowed_urls: (a.allowed_urls ?? []).map((u) => ({ url: u.url ?? '', methods: u.methods ?? [] })) };
  }
  return {
    last_check: num(p.last_check),
    allowance: num(p.allowance),
    rate: num(p.rate),
    per: num(p.per),
    expires: num(p.expires),
    quota_max: num(p.quota_max),
    quota_renews: num(p.quota_renews),
    quota_remaining: num(p.quota_remaining),
    quota_renewal_rate: num(p.quota_renewal_rate),
    access_rights: accessRights,
    org_id: p.org_id ?? '',
    oauth_client_id: p.oauth_client_id ?? '',
    oauth_keys: { ...(p.oauth_keys ?? {}) },
    basic_auth_data: { password: p.basic_auth_data?.password ?? '', hash_type: p.basic_auth_data?.hash ?? '' },
    jwt_data: { secret: p.jwt_data?.secret ?? '' },
    hmac_enabled: p.hmac_enabled ?? false,
    hmac_string: p.hmac_secret ?? '',
    is_inactive: p.is_inactive ?? false,
    apply_policy_id: p.apply_policy_id ?? '',
    apply_policies: [...(p.apply_policies ?? [])],
    data_expires: num(p.data_expires),
    monitor: { trigger_limits: [...(p.monitor?.trigger_limits ?? [])] },
    enable_detailed_recording: p.enable_detailed_recording ?? false,
    meta_data: { ...(p.metadata ?? {}), ...(extraMeta ?? {}) },
    tags: [...(p.tags ?? [])],
    alias: p.alias ?? '',
    last_updated: p.last_updated ?? '',
    id_extractor_deadline: num(p.id_extractor_deadline),
    session_lifetime: num(p.session_lifetime),
    certificate: p.certificate ?? '',
    max_query_depth: num(p.max_query_depth),
    key_id: p.key_id ?? '',
  };
}
