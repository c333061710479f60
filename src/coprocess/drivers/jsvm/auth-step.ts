import { carryOverQuota, writeThrough } from '../../../auth/auth-cache';
import { isIgnoredPath } from '../../../auth/ignored-paths';
import { stampOrg } from '../../../auth/key-org';
import type { Step } from '../../../pipeline/request-state';
import { type AuthCheckDeps, callAuthHook, ownPluginKey } from '../../auth-check-step';
import { hookFailure } from '../../hook-step';
import { authResult, lifetimeOf } from './session-exchange';

/**
 * Tyk's JS auth (`ReturnAuthData`): no ID extractor, a failed call is a 500 like any JS
 * middleware, and the session is stored under the returned AuthValue. Without AuthValue the
 * session serves this request only, unstored (Tyk: no key id). Either way the session belongs to
 * the API's org, and an AuthValue names a key of that org only (auth/key-org.ts).
 */
export function jsvmAuthStep(deps: AuthCheckDeps): Step {
  const { spec, hook, ctx, cache, store } = deps;
  return {
    name: `auth_check:${hook.name}`,
    async run(state) {
      if (isIgnoredPath(spec, state.path, state.method)) return;
      const result = await callAuthHook(state, ctx, hook, 500, ctx.failureMessage);
      if (!result) return;
      let jsvm;
      try {
        jsvm = authResult(result);
      } catch (err) {
        throw hookFailure(state, ctx, hook, err);
      }
      stampOrg(jsvm.session, spec.orgId);
      if (!jsvm.authValue) {
        state.session = jsvm.session;
        return;
      }
      const own = await ownPluginKey(deps, state, jsvm.authValue);
      const session = carryOverQuota(jsvm.session, own.previous);
      await writeThrough(cache, store, own.storedKey, session, lifetimeOf(session, spec.sessionLifetime));
      state.session = session;
      state.sessionKey = own.storedKey;
    },
  };
}
