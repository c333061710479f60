// Types for isogate middleware authors (driver `isolate`). Reference this file from a
// middleware project (`/// <reference path="isogate.d.ts" />` or `"types"` in tsconfig) to get
// the hook signatures and the globals every API isolate provides. Objects use the coprocess
// protobuf field names, exactly as Tyk's gRPC and Python plugins see them.

/// <reference path="web.d.ts" />

declare namespace Isogate {
  /** Header and query maps: canonical names (`Content-Type`), first value only. */
  type StringMap = Record<string, string>;

  interface ReturnOverrides {
    /** -1 (or 0): continue the chain; >= 400 without override_error: Tyk error body; other: answer raw. */
    response_code: number;
    response_error: string;
    headers: StringMap;
    override_error: boolean;
    response_body: string;
  }

  interface MiniRequestObject {
    /** Request headers as received (plus `Host`). Read-only: change them with set_headers/delete_headers. */
    headers: StringMap;
    set_headers: StringMap;
    delete_headers: string[];
    /**
     * The body as text when it is valid UTF-8 (decoded on first read). Input only, as in Tyk:
     * assign `raw_body` to change the body.
     */
    body: string;
    /** Path and query, listen path not stripped; assign to rewrite. */
    url: string;
    params: StringMap;
    add_params: StringMap;
    extended_params: StringMap;
    delete_params: string[];
    return_overrides: ReturnOverrides;
    method: string;
    request_uri: string;
    scheme: string;
    /** The body bytes. Assigning a string stores its UTF-8 encoding. */
    raw_body: Uint8Array | string;
  }

  interface Header {
    key: string;
    values: string[];
  }

  interface ResponseObject {
    status_code: number;
    raw_body: Uint8Array | string;
    /** Upstream body as text when valid UTF-8. Input only: assign `raw_body` to change it. */
    body: string;
    headers: StringMap;
    multivalue_headers: Header[];
  }

  interface AccessSpec {
    url: string;
    methods: string[];
  }

  interface AccessDefinition {
    api_name: string;
    api_id: string;
    versions: string[];
    allowed_urls: AccessSpec[];
  }

  /** Tyk's session in coprocess form; int64 fields are plain numbers (unix seconds, counters). */
  interface SessionState {
    last_check: number;
    allowance: number;
    rate: number;
    per: number;
    expires: number;
    quota_max: number;
    quota_renews: number;
    quota_remaining: number;
    quota_renewal_rate: number;
    access_rights: Record<string, AccessDefinition>;
    org_id: string;
    oauth_client_id: string;
    oauth_keys: StringMap;
    basic_auth_data: { password: string; hash: string } | null;
    jwt_data: { secret: string } | null;
    hmac_enabled: boolean;
    hmac_secret: string;
    is_inactive: boolean;
    apply_policy_id: string;
    data_expires: number;
    monitor: { trigger_limits: number[] } | null;
    enable_detailed_recording: boolean;
    /** auth_check: set `token` here or in the hook's `metadata` to authenticate. */
    metadata: StringMap;
    tags: string[];
    alias: string;
    last_updated: string;
    /** Unix seconds until which the ID extractor may reuse this session without calling auth_check. */
    id_extractor_deadline: number;
    session_lifetime: number;
    apply_policies: string[];
    certificate: string;
    max_query_depth: number;
    key_id: string;
    post_expiry_action: string;
    post_expiry_grace_period: number;
  }

  /** The API's spec map; `config_data` is the API's config_data as JSON text. */
  interface Spec {
    OrgID: string;
    APIID: string;
    bundle_hash: string;
    config_data?: string;
    [key: string]: string | undefined;
  }

  interface HookResult {
    request?: Partial<MiniRequestObject>;
    session?: Partial<SessionState> | null;
    metadata?: StringMap;
  }

  type Awaitable<T> = T | Promise<T>;

  /**
   * `pre`, `post_key_auth`, `post`, `auth_check`. Change the objects in place, or return
   * replacements. pre and auth_check receive an empty session; it is sent back only if filled in
   * (auth_check: always).
   */
  type RequestHook = (
    request: MiniRequestObject,
    session: SessionState,
    metadata: StringMap,
    spec: Spec,
  ) => Awaitable<void | HookResult | MiniRequestObject>;

  /** `response` hooks: change `response` in place, or return a response object or `{ response }`. */
  type ResponseHook = (
    request: MiniRequestObject,
    response: ResponseObject,
    session: SessionState,
    metadata: StringMap,
    spec: Spec,
  ) => Awaitable<void | Partial<ResponseObject> | { response: Partial<ResponseObject>; session?: Partial<SessionState>; metadata?: StringMap }>;

  /** A gateway event, as Tyk's event handlers see it. */
  interface EventMessage {
    Type: string;
    Meta: Record<string, unknown>;
    TimeStamp: string;
  }

  /** `cp_dynamic_handler` handlers, like Tyk JSVM's `fn(event, context)`. */
  type EventHandler = (event: EventMessage, spec: { APIID: string; OrgID: string }) => Awaitable<void>;
}

/** Log at info level to the gateway log, tagged with the API id. */
declare function log(message: unknown): void;

declare const console: {
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  trace(...args: unknown[]): void;
};

/** Standard padded base64 of a string's UTF-8 bytes (or of the bytes given). */
declare function b64enc(input: string | Uint8Array | ArrayBuffer): string;
/** Decode standard base64 (padded or not) to text, or to bytes with `'bytes'`; undefined if invalid. */
declare function b64dec(input: string): string | undefined;
declare function b64dec(input: string, as: 'bytes'): Uint8Array | undefined;
/** Unpadded base64 (Go's RawStdEncoding), as Tyk's JSVM offers. */
declare function rawb64enc(input: string | Uint8Array | ArrayBuffer): string;
declare function rawb64dec(input: string): string | undefined;
declare function rawb64dec(input: string, as: 'bytes'): Uint8Array | undefined;

/** Fire a gateway event (fire-and-forget); a non-string payload is sent as JSON. */
declare function TykTriggerEvent(name: string, payload?: unknown): void;

/** UTF-8 only. */
declare class TextEncoder {
  readonly encoding: 'utf-8';
  encode(input?: string): Uint8Array;
  encodeInto(input: string, dest: Uint8Array): { read: number; written: number };
}

/** UTF-8 only; `fatal`, `ignoreBOM` and `{ stream: true }` behave as in the WHATWG standard. */
declare class TextDecoder {
  constructor(label?: 'utf-8' | 'utf8', options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: 'utf-8';
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: ArrayBuffer | ArrayBufferView, options?: { stream?: boolean }): string;
}
