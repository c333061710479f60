/** Tyk's session JSON (user.SessionState), snake_case as stored and as served by /tyk/keys. */
export interface AccessDefinition {
  api_name?: string;
  api_id?: string;
  versions?: string[];
  allowed_urls?: { url: string; methods?: string[] }[];
}

export interface SessionState {
  last_check?: number;
  allowance?: number;
  rate?: number;
  per?: number;
  expires?: number;
  quota_max?: number;
  quota_renews?: number;
  quota_remaining?: number;
  quota_renewal_rate?: number;
  access_rights?: Record<string, AccessDefinition>;
  org_id?: string;
  oauth_client_id?: string;
  oauth_keys?: Record<string, string>;
  basic_auth_data?: { password?: string; hash_type?: string };
  jwt_data?: { secret?: string };
  hmac_enabled?: boolean;
  hmac_string?: string;
  is_inactive?: boolean;
  apply_policy_id?: string;
  apply_policies?: string[];
  data_expires?: number;
  monitor?: { trigger_limits?: number[] };
  enable_detailed_recording?: boolean;
  meta_data?: Record<string, unknown>;
  tags?: string[];
  alias?: string;
  last_updated?: string;
  id_extractor_deadline?: number;
  session_lifetime?: number;
  certificate?: string;
  max_query_depth?: number;
  key_id?: string;
  post_expiry_action?: string;
  post_expiry_grace_period?: number;
  [extra: string]: unknown;
}
