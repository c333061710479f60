import type { ApiSpec } from '../config/api-spec';
import { ConfigError } from '../config/config-error';
import type { LoadFailure } from '../config/load-apps';
import type { EventBus } from '../events';
import { GatewayError } from '../pipeline/errors';
import type { Step } from '../pipeline/request-state';
import { ApiRuntime } from './api-runtime';

/**
 * The API's middleware could not be loaded: a hook file missing or not compiling, a hook name
 * not defined, a driver unknown, switched off or misconfigured. Tyk loads such an API and
 * answers 500 at request time; `driverUnavailable` is Tyk's "driver not loaded" case, whose
 * message is `Internal Server Error` whatever the driver. A ConfigError: where the middleware
 * is being changed (uploads), it is bad input, answered 400 with the message.
 */
export class MiddlewareLoadError extends ConfigError {
  constructor(message: string, readonly driverUnavailable: boolean, override readonly cause?: unknown) {
    super(message);
    this.name = 'MiddlewareLoadError';
  }
}

/** The only step of such an API: 500 with Tyk's message. The request never reaches the upstream. */
function failedStep(message: string): Step {
  return {
    name: 'failed-middleware',
    run() {
      throw new GatewayError(500, message);
    },
  };
}

/**
 * A "failed middleware" runtime (gateway config `middleware_load_failure: "serve_500"`, the
 * default): the route is kept so clients get Tyk's 500 rather than a 404, `failure` says why in
 * /tyk/reload and /tyk/apis/{id}/runtime. No dispatcher, no isolate, no event handlers: nothing
 * of the broken middleware runs, and nothing is proxied unchecked (fail closed).
 */
export function failedMiddlewareRuntime(spec: ApiSpec, generation: number, failure: LoadFailure, message: string, events: EventBus): ApiRuntime {
  return new ApiRuntime(spec, generation, [failedStep(message)], [], false, events.compileApiHandlers(spec.apiId, spec.orgId, undefined), undefined, [], failure);
}
