import type { ApiSpec, HookEntry } from '../config/api-spec';
import type { GatewayConfig } from '../config/gateway-config';
import { type AuthCache, carryOverQuota, lookupIdentity, readThrough, writeThrough } from '../auth/auth-cache';
import { ExtractError, type IdExtractor } from '../auth/id-extractor';
import { isIgnoredPath } from '../auth/ignored-paths';
import { fireKeyFailure } from '../auth/key-failure';
import { storageKey } from '../auth/key-hash';
import { ForeignKeyError, type OwnKey, orgMayUse, ownedBy, resolveOwnKey, stampOrg } from '../auth/key-org';
import { GatewayError, Messages } from '../pipeline/errors';
import type { RequestState, Step } from '../pipeline/request-state';
import type { SessionState } from '../pipeline/session';
import type { SessionStore } from '../storage/session-store';
import type { CoprocessObject } from './dispatcher';
import { dispatchHook, handleOutcome, hookFailure, type HookStepContext } from './hook-step';
import { applyHookResult, buildHookObject, type HookOutcome } from './message';
import { sessionFromProto } from './session-convert';

const EMPTY = Buffer.alloc(0);

export interface AuthCheckDeps {
  spec: ApiSpec;
  config: GatewayConfig;
  hook: HookEntry;
  ctx: HookStepContext;
  extractor?: IdExtractor;
  cache: AuthCache;
  /** The raw store: the LRU is managed here explicitly (read-through, write-through). */
  store: SessionStore;
}

/**
 * Call the auth_check hook and apply its result. Undefined when return_overrides answered the
 * request. A failed call answers `failStatus`/`failMessage`; a result that cannot be applied, 500.
 */
export async function callAuthHook(state: RequestState, ctx: HookStepContext, hook: HookEntry, failStatus: number, failMessage: string): Promise<CoprocessObject | undefined> {
  let result: CoprocessObject;
  try {
    result = await dispatchHook(state, ctx, hook, buildHookObject(state, hook, ctx.specMap));
  } catch (err) {
    throw hookFailure(state, ctx, hook, err, failStatus, failMessage);
  }
  let outcome: HookOutcome;
  try {
    outcome = applyHookResult(state, result);
  } catch (err) {
    throw hookFailure(state, ctx, hook, err);
  }
  handleOutcome(state, ctx, outcome);
  return state.finished ? undefined : result;
}

/**
 * The metadata an auth_check returned, less the `traceparent` the gateway handed it (message.ts):
 * returned metadata becomes the session's meta_data, and a request's trace id is not the key's.
 */
function withoutTraceparent(metadata: Record<string, string>, sent: string | undefined): Record<string, string> {
  if (sent === undefined || metadata.traceparent !== sent) return metadata;
  const { traceparent: _, ...rest } = metadata;
  return rest;
}

/** A session or key of another org than the API's (auth/key-org.ts): AuthFailure, 403 as for an unknown key. */
export function otherOrgRefusal(deps: Pick<AuthCheckDeps, 'spec' | 'ctx'>, state: RequestState, key: string): GatewayError {
  fireKeyFailure(deps.ctx.events, 'AuthFailure', deps.spec, state, key);
  return new GatewayError(403, Messages.accessDisallowed);
}

/**
 * Where the session for a plugin's token (or JS AuthValue) is stored: a key of the API's org,
 * never another org's (auth/key-org.ts), with what that key holds now.
 */
export async function ownPluginKey(deps: AuthCheckDeps, state: RequestState, token: string): Promise<OwnKey> {
  try {
    return await resolveOwnKey(token, deps.spec.orgId, deps.config, (k) => readThrough(deps.cache, deps.store, k));
  } catch (err) {
    if (err instanceof ForeignKeyError) throw otherOrgRefusal(deps, state, token);
    throw err;
  }
}

/**
 * auth_check with Tyk's ID extractor: a proven identity whose `id_extractor_deadline` is still
 * ahead is served from the LRU/store without entering the plugin; otherwise the plugin decides,
 * and the session it returns is stored under the extractor's key (or the token).
 * Keys belong to the API's org (auth/key-org.ts): the session is stamped with it, the token names
 * a key of this org only, and a session of another org is refused.
 */
export function authCheckStep(deps: AuthCheckDeps): Step {
  const { spec, config, hook, ctx, cache, store, extractor } = deps;
  const forbidden = (state: RequestState, key: string): GatewayError => {
    fireKeyFailure(ctx.events, 'AuthFailure', spec, state, key);
    return new GatewayError(403, Messages.forbidden);
  };
  return {
    name: `auth_check:${hook.name}`,
    async run(state) {
      if (isIgnoredPath(spec, state.path, state.method)) return;
      let cacheKey: string | undefined;
      let previous: SessionState | undefined;
      if (extractor) {
        let identity: string;
        try {
          identity = extractor.extract({ headers: state.headers, query: state.query, method: state.method, body: state.body ?? EMPTY });
        } catch (err) {
          if (err instanceof ExtractError) throw new GatewayError(400, Messages.authFieldMissing);
          throw err;
        }
        // Stored like any key: hashed with `hash_keys`, so /tyk/keys/{key} finds and evicts it.
        cacheKey = storageKey(extractor.cacheKey(identity), config);
        const found = await lookupIdentity(cache, store, cacheKey, Math.floor(Date.now() / 1000));
        if (found.fresh) {
          if (!orgMayUse(found.fresh, spec.orgId)) throw otherOrgRefusal(deps, state, cacheKey);
          state.session = found.fresh;
          state.sessionKey = cacheKey;
          return;
        }
        previous = found.previous;
      }

      const result = await callAuthHook(state, ctx, hook, 403, Messages.keyNotAuthorised);
      if (!result) return;
      const metadata = withoutTraceparent(result.metadata ?? {}, state.traceparent);
      const token = metadata.token || result.session?.metadata?.token;
      if (!result.session || !token) throw forbidden(state, cacheKey ?? '');
      let key: string;
      if (cacheKey !== undefined) {
        // The extractor's name is fixed: it can only be refused if another org holds it.
        if (previous && !ownedBy(previous, spec.orgId)) throw otherOrgRefusal(deps, state, cacheKey);
        key = cacheKey;
      } else {
        const own = await ownPluginKey(deps, state, token);
        key = own.storedKey;
        previous = own.previous;
      }
      let session = sessionFromProto(result.session, metadata);
      stampOrg(session, spec.orgId);
      session = carryOverQuota(session, previous);
      const lifetime = session.session_lifetime && session.session_lifetime > 0 ? session.session_lifetime : spec.sessionLifetime;
      await writeThrough(cache, store, key, session, lifetime > 0 ? lifetime : 0);
      state.session = session;
      state.sessionKey = key;
    },
  };
}
