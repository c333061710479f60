// The private contract between the host side of the JSVM driver (src/coprocess/drivers/jsvm/:
// its session exchange and auth step) and the sandbox's `jsvm` adapter (sandbox/jsvm/). Imported by both sides: it
// must stay free of Node APIs.

/**
 * Object.metadata keys that carry Tyk session JSON verbatim. Tyk JSVM plugins see and return
 * the session as JSON (`meta_data` values of any JSON type); the proto SessionState would turn
 * every meta_data value into a string. JSVM plugins never see Object.metadata itself, so the
 * map is free to carry these.
 */
export const JSVM_METADATA = {
  /** host → guest: the request's session (post/post_key_auth hooks with `require_session`);
   *  guest → host (auth_check): the session returned through ReturnAuthData. */
  session: 'isogate.jsvm.session',
  /** guest → host: the returned SessionMeta, present only when it differs from meta_data. */
  sessionMeta: 'isogate.jsvm.session_meta',
  /** guest → host (auth_check): the top-level AuthValue, the key the session is stored under. */
  authValue: 'token',
} as const;

/**
 * Spec-map keys only the JSVM adapter reads (JSVM plugins never see the spec map itself: they get
 * Tyk's `config` argument built from it).
 */
export const JSVM_SPEC = {
  /** Present ("1") when the API sets `config_data_disabled`: Tyk's `config` then has no config_data at all. */
  configDataDisabled: 'isogate.jsvm.config_data_disabled',
} as const;

/** Names of the host functions a JSVM isolate may call (sandbox/jsvm/globals.ts). */
export const JSVM_HOST_FUNCTIONS = {
  httpRequest: 'TykMakeHttpRequest',
  getKeyData: 'TykGetKeyData',
  setKeyData: 'TykSetKeyData',
} as const;

/**
 * The HookType of a virtual endpoint call (Tyk's `Unknown`, 0, which no hook of Tyk's uses):
 * `hook_name` is the function, `request` the request, the session under JSVM_METADATA.session
 * when the endpoint has `use_session`. The guest answers with `response` (status, headers, body)
 * and, when it differs from the session's meta_data, JSVM_METADATA.sessionMeta.
 */
export const JSVM_VIRTUAL_HOOK_TYPE = 0;
