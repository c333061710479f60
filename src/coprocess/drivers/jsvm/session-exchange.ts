import type { SessionState } from '../../../pipeline/session';
import type { HookEntry } from '../../../config/api-spec';
import type { RequestState } from '../../../pipeline/request-state';
import type { SessionStore } from '../../../storage/session-store';
import { type CoprocessObject, DispatchError } from '../../dispatcher';
import type { SessionExchange } from '../../hook-step';
import { JSVM_METADATA } from '../../../protocol/jsvm';


function parseSession(json: string, what: string): SessionState {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new DispatchError(`the JSVM ${what} is not JSON`, 'bad_result');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DispatchError(`the JSVM ${what} is not an object`, 'bad_result');
  return value as SessionState;
}

/**
 * Before the call: Tyk gives JS plugins the session (as Tyk session JSON, meta_data types
 * intact) only in post and post_key_auth hooks with `require_session`; every other hook gets an
 * empty session. The proto session the builder attached is not needed by the JSVM adapter.
 */
function shareSession(object: CoprocessObject, state: RequestState, hook: HookEntry): void {
  delete object.session;
  delete object.metadata;
  if (state.session && hook.require_session && (hook.kind === 'post' || hook.kind === 'post_key_auth')) {
    object.metadata = { [JSVM_METADATA.session]: JSON.stringify(state.session) };
  }
}

/** TTL a saved session gets: its own `session_lifetime`, else the API's; 0 = none. */
export function lifetimeOf(session: SessionState, apiLifetime: number): number {
  const own = session.session_lifetime;
  const lifetime = typeof own === 'number' && own > 0 ? own : apiLifetime;
  return lifetime > 0 ? lifetime : 0;
}

/**
 * After the call, when the request goes on: a SessionMeta that differs from meta_data (the
 * adapter sends it only then) replaces meta_data entirely, and the session is saved under its
 * key. A session without a key (JS auth without AuthValue) changes for this request only.
 */
async function saveSessionMeta(state: RequestState, hook: HookEntry, result: CoprocessObject, store: SessionStore, apiLifetime: number): Promise<void> {
  if (!hook.require_session || (hook.kind !== 'post' && hook.kind !== 'post_key_auth')) return;
  await saveReturnedSessionMeta(state, result, store, apiLifetime);
}

/**
 * The SessionMeta a JSVM call returned (sent only when it differs from meta_data) replaces the
 * request session's meta_data, and the session is saved under its key: post hooks with
 * `require_session`, virtual endpoints with `use_session`.
 */
export async function saveReturnedSessionMeta(state: RequestState, result: CoprocessObject, store: SessionStore, apiLifetime: number): Promise<void> {
  const json = result.metadata?.[JSVM_METADATA.sessionMeta];
  if (json === undefined || !state.session) return;
  let meta: unknown;
  try {
    meta = JSON.parse(json);
  } catch {
    throw new DispatchError('the JSVM SessionMeta is not JSON', 'bad_result');
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new DispatchError('the JSVM SessionMeta is not an object', 'bad_result');
  // A new object: the one in hand may be shared with the auth cache.
  const session: SessionState = { ...state.session, meta_data: meta as Record<string, unknown> };
  state.session = session;
  if (!state.sessionKey) return;
  // A key deleted meanwhile stays deleted (the limiter's write-back follows the same rule).
  const ttl = lifetimeOf(session, apiLifetime);
  if (store.setIfExists) await store.setIfExists(state.sessionKey, session, ttl);
  else await store.set(state.sessionKey, session, ttl);
}

/** Tyk JSVM session semantics for one API; `store` is the LRU-backed store /tyk/keys uses. */
export function jsvmSessionExchange(store: SessionStore, apiLifetime: number): SessionExchange {
  return {
    share: shareSession,
    save: (state, hook, result) => saveSessionMeta(state, hook, result, store, apiLifetime),
  };
}

/**
 * What a JS auth hook returned: the session (ReturnAuthData's, or Tyk's empty session when it
 * returned none) and the AuthValue it is to be stored under, if any.
 */
export function authResult(result: CoprocessObject): { session: SessionState; authValue?: string } {
  const json = result.metadata?.[JSVM_METADATA.session];
  const session = json ? parseSession(json, 'Session') : {};
  const authValue = result.metadata?.[JSVM_METADATA.authValue] || undefined;
  return { session, authValue };
}
