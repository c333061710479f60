import type { ApiSpec } from '../../config/api-spec';
import type { GatewayConfig } from '../../config/gateway-config-types';
import type { EventSink } from '../../events/event';
import { logger } from '../../log/logger';
import type { Dispatcher } from '../dispatcher';
import { IsolateDispatcher } from './isolate';

/** Hook function names an API's custom_middleware refers to: each must be a function in its isolate. */
export function hookNames(spec: ApiSpec): string[] {
  const names = new Set<string>();
  for (const list of Object.values(spec.hooks)) for (const h of list) names.add(h.name);
  if (spec.authCheck?.name) names.add(spec.authCheck.name);
  return [...names];
}

/** The per-API isolate (drivers isolate, otto, javascript): validated before it is swapped in. */
export async function createIsolateDispatcher(spec: ApiSpec, _config: GatewayConfig, events: EventSink, generation: number): Promise<Dispatcher> {
  const options = {
    apiId: spec.apiId,
    orgId: spec.orgId,
    sources: spec.sources,
    hookNames: hookNames(spec),
    memoryLimitMb: spec.memoryLimitMb,
    hookTimeoutMs: spec.hookTimeoutMs,
    mode: spec.driver === 'isolate' ? ('coprocess' as const) : ('jsvm' as const),
    generation,
    logger: logger.child({ api_id: spec.apiId }),
    onEvent: (name: string, payload: string) => events.fire({ type: name, apiId: spec.apiId, orgId: spec.orgId, meta: { Message: payload } }),
  };
  await IsolateDispatcher.validate(options);
  return new IsolateDispatcher(options);
}
