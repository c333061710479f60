import type { ApiSpec } from '../config/api-spec';
import type { EventBus } from '../events';
import { ApiRuntime } from '../gateway/api-runtime';
import { GatewayError, Messages } from '../pipeline/errors';
import type { Step } from '../pipeline/request-state';
import { logger } from '../log/logger';
import type { QuarantineEntry } from './quarantine';

/** How often a quarantined API that keeps getting traffic says so in the log. */
const LOG_EVERY_MS = 10_000;

/** The only step of a quarantined API: 503 with Tyk's error body; the isolate is never entered. */
function quarantineStep(apiId: string): Step {
  let refused = 0;
  let loggedAt = 0;
  return {
    name: 'quarantine',
    run() {
      refused++;
      const now = Date.now();
      if (now - loggedAt >= LOG_EVERY_MS) {
        logger.warn({ api_id: apiId, refused }, `api ${apiId} is quarantined: answered 503 to ${refused} requests since the last line`);
        loggedAt = now;
        refused = 0;
      }
      throw new GatewayError(503, Messages.quarantined);
    },
  };
}

/**
 * The runtime of a quarantined API: its route stays (so clients get a clear 503 rather than a
 * 404), no dispatcher, no isolate, no event handlers.
 */
export function quarantinedRuntime(spec: ApiSpec, generation: number, entry: QuarantineEntry, events: EventBus): ApiRuntime {
  logger.error(
    { api_id: spec.apiId, quarantine: entry },
    `api ${spec.apiId} is quarantined: ${entry.reason}; it answers 503 until its middleware changes or DELETE /tyk/apis/${spec.apiId}/quarantine`,
  );
  return new ApiRuntime(spec, generation, [quarantineStep(spec.apiId)], [], false, events.compileApiHandlers(spec.apiId, spec.orgId, undefined));
}
