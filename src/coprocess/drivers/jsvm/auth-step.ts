import { carryOverQuota, readThrough, writeThrough } from '../../../auth/auth-cache';
import { isIgnoredPath } from '../../../auth/ignored-paths';
import { storageKey } from '../../../auth/key-hash';
import type { Step } from '../../../pipeline/request-state';
import { type AuthCheckDeps, callAuthHook } from '../../auth-check-step';
import { hookFailure } from '../../hook-step';
import { authResult, lifetimeOf } from './session-exchange';

/**
 * Tyk's JS auth (`ReturnAuthData`): no ID extractor, a failed call is a 500 like any JS
 * middleware, and the session is stored under the returned AuthValue. Without AuthValue the
 * session serves this request only, unstored (Tyk: no key id).
 */
export function jsvmAuthStep(deps: AuthCheckDeps): Step {
  const { spec, config, hook, ctx, cache, store } = deps;
  return {
    name: `auth_check:${hook.name}`,
    async run(state) {
      if (isIgnoredPath(spec, state.path)) return;
      const result = await callAuthHook(state, ctx, hook, 500, ctx.failureMessage);
      if (!result) return;
      let jsvm;
      try {
        jsvm = authResult(result);
      } catch (err) {
        throw hookFailure(state, ctx, hook, err);
      }
      if (!jsvm.authValue) {
        state.session = jsvm.session;
        return;
      }
      const key = storageKey(jsvm.authValue, config);
      const session = carryOverQuota(jsvm.session, await readThrough(cache, store, key));
      await writeThrough(cache, store, key, session, lifetimeOf(session, spec.sessionLifetime));
      state.session = session;
      state.sessionKey = key;
    },
  };
}
