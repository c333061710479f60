import type { ApiSpec, HookEntry } from '../config/api-spec';
import type { GatewayConfig } from '../config/gateway-config-types';
import { applyHookResult, buildHookObject, type HookOutcome } from './message';
import { handleOutcome, hookFailure, type HookStepContext } from './hook-step';
import { sessionFromProto } from './session-convert';
import { authResult, lifetimeOf } from './drivers/jsvm/session-exchange';
import { GatewayError, Messages } from '../pipeline/errors';
import { fireKeyFailure } from '../auth/key-failure';
import type { RequestState, Step } from '../pipeline/request-state';
import { type AuthCache, carryOverQuota, lookupIdentity, readThrough, writeThrough } from '../auth/auth-cache';
import { ExtractError, type IdExtractor } from '../auth/id-extractor';
import { isIgnoredPath } from '../auth/ignored-paths';
import { storageKey } from '../auth/key-hash';
import type { SessionState } from '../pipeline/session';
import type { SessionStore } from '../storage/session-store';

const EMPTY = Buffer.alloc(0);

export interface CoprocessAuthDeps {
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
 * auth_check with Tyk's ID extractor: a proven identity whose `id_extractor_deadline` is still
 * ahead is served from the LRU/store without entering the plugin; otherwise the plugin decides,
 * and the session it returns is stored under the extractor's key (or the token).
 */
export function coprocessAuthStep(deps: CoprocessAuthDeps): Step {
  const { spec, config, hook, ctx, cache, store } = deps;
  // Tyk's JS auth has no ID extractor, and a failed call is a 500 like any JS middleware.
  const extractor = ctx.tykJsvm ? undefined : deps.extractor;
  const failStatus = ctx.tykJsvm ? 500 : 403;
  const failMessage = ctx.tykJsvm ? ctx.failureMessage : Messages.keyNotAuthorised;
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
          state.session = found.fresh;
          state.sessionKey = cacheKey;
          return;
        }
        previous = found.previous;
      }

      let result;
      try {
        result = await ctx.dispatcher.dispatch(buildHookObject(state, hook, ctx.specMap), { signal: state.signal });
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
      if (state.finished) return;
      if (ctx.tykJsvm) {
        let jsvm;
        try {
          jsvm = authResult(result);
        } catch (err) {
          throw hookFailure(state, ctx, hook, err);
        }
        // Without AuthValue the session serves this request only, unstored (Tyk: no key id).
        if (!jsvm.authValue) {
          state.session = jsvm.session;
          return;
        }
        const key = storageKey(jsvm.authValue, config);
        const session = carryOverQuota(jsvm.session, await readThrough(cache, store, key));
        await writeThrough(cache, store, key, session, lifetimeOf(session, ctx.tykJsvm));
        state.session = session;
        state.sessionKey = key;
        return;
      }

      const metadata = result.metadata ?? {};
      const token = metadata.token || result.session?.metadata?.token;
      if (!result.session || !token) throw forbidden(state, cacheKey ?? '');
      const key = cacheKey ?? storageKey(token, config);
      let session = sessionFromProto(result.session, metadata);
      session.org_id = spec.orgId;
      if (!extractor) previous = await readThrough(cache, store, key);
      session = carryOverQuota(session, previous);
      const lifetime = session.session_lifetime && session.session_lifetime > 0 ? session.session_lifetime : spec.sessionLifetime;
      await writeThrough(cache, store, key, session, lifetime > 0 ? lifetime : 0);
      state.session = session;
      state.sessionKey = key;
    },
  };
}
