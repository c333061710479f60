import type { EventHandlersSection } from '../events/event';

/** `tyk.conf`-style gateway config after defaults are applied and paths resolved. */
export interface GatewayConfig {
  /** The file it came from, or "<default>"; every error message names it. */
  source: string;
  listen_address: string;
  listen_port: number;
  secret?: string;
  app_path: string;
  middleware_path: string;
  /** Redis: `timeout` is seconds for a connect or command (Tyk's `storage.timeout`, default 5). */
  storage:
    | { type: 'memory' }
    | { type: 'redis'; host: string; port?: number; username?: string; password?: string; database?: number; timeout?: number };
  hash_keys: boolean;
  hash_key_function?: string;
  min_token_length: number;
  enable_jsvm: boolean;
  jsvm_timeout: number;
  jsvm_http_allow?: string[];
  coprocess_options: {
    enable_coprocess: boolean;
    coprocess_grpc_server?: string;
    grpc_recv_max_size?: number;
    grpc_send_max_size?: number;
    grpc_authority?: string;
  };
  isolate_options: {
    memory_limit_mb: number;
    hook_timeout_ms: number;
    max_body_bytes: number;
    max_upload_bytes: number;
    /** WebAssembly inside isolates (per API: `limits.allow_wasm`). */
    allow_wasm: boolean;
    /** Guest output budgets per API (token buckets inside the isolate); per API: `limits.*`. */
    log_lines_per_s: number;
    events_per_s: number;
    /** How often an API whose output was dropped gets its one summary warning. */
    output_report_interval_s: number;
  };
  auth_cache: { max_entries: number; max_bytes: number };
  event_handlers?: EventHandlersSection;
  enable_bundle_downloader: boolean;
  bundle_base_url?: string;
  public_key_path?: string;
  node_secret?: string;
  /** Tyk: accept cluster notifications without a valid signature. */
  allow_insecure_configs: boolean;
  health_check_endpoint_name: string;
  hide_generator_header: boolean;
  proxy_timeout_ms: number;
}
