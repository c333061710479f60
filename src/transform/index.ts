import type { ApiSpec } from '../config/api-spec';
import type { Step } from '../pipeline/request-state';
import { contextVarsStep } from './context-vars';
import { type CompiledHeaderTransforms, compileHeaderTransforms } from './header-transform';
import { compileMethodTransforms } from './method-transform';
import { compileUrlRewrites } from './url-rewrite';

/**
 * What an API definition asks of the request besides hooks and auth, compiled once at load, in
 * Tyk's places: context variables after the pre hooks; header transform, URL rewrite and method
 * transform after the key checks, before the post hooks; response headers before response hooks.
 */
export interface CompiledTransforms {
  /** After the pre hooks, before auth. */
  readonly afterPre: Step[];
  /** After the key checks (or the pre hooks of a keyless API), before the post hooks. */
  readonly beforePost: Step[];
  readonly responseHeaders?: CompiledHeaderTransforms['response'];
  /** Context variables read urlencoded form bodies, so the body is buffered. */
  readonly needsBody: boolean;
}

export function compileTransforms(spec: ApiSpec): CompiledTransforms {
  const headers = compileHeaderTransforms(spec);
  const contextVars = spec.definition.enable_context_vars === true;
  return {
    afterPre: contextVars ? [contextVarsStep()] : [],
    beforePost: [headers.request, compileUrlRewrites(spec), compileMethodTransforms(spec)].filter((s): s is Step => s !== undefined),
    responseHeaders: headers.response,
    needsBody: contextVars,
  };
}

export { parseLoopUrl, nextHop } from './loop';
export { warnUnhonouredKeys } from './unhonoured-keys';
