import type { HookEntry } from '../config/api-spec';
import type { EventSink } from '../events/event';
import { GatewayError } from '../pipeline/errors';
import { middlewareErrorEvent } from '../events';
import { fireKeyFailure } from '../auth/key-failure';
import type { RequestState, Step } from '../pipeline/request-state';
import { logger } from '../log/logger';
import type { HookMetrics } from '../metrics/api-metrics';
import { now } from '../metrics/clock';
import { mapPositions } from './source-maps';
import { sendReply } from '../pipeline/respond';
import { type CoprocessObject, DispatchError, type Dispatcher } from './dispatcher';
import { applyHookResult, applyResponseResult, buildHookObject, buildResponseObject, type HookOutcome } from './message';

export interface HookStepContext {
  apiId: string;
  orgId: string;
  dispatcher: Dispatcher;
  /** Tyk's spec map for this API (OrgID, APIID, bundle_hash, config_data), built once at load. */
  specMap: Record<string, string>;
  events: EventSink;
  /** Message for a failed hook: coprocess drivers say `Middleware error`, JSVM `Internal Server Error`. */
  failureMessage: string;
  /** A driver's own session exchange (Tyk JSVM); unset: the proto session the builder attaches. */
  session?: SessionExchange;
  /** Per hook of the API, its recorders (src/metrics); unset with enable_metrics off. */
  hookMetrics?: ReadonlyMap<HookEntry, HookMetrics>;
}

/**
 * One hook call through the API's dispatcher, timed: the request's hook time (access log) and
 * the hook's latency histogram. Failures are counted by `hookFailure`, the one place they end.
 */
export async function dispatchHook(state: RequestState, ctx: HookStepContext, hook: HookEntry, object: CoprocessObject): Promise<CoprocessObject> {
  const startedAt = now();
  try {
    return await ctx.dispatcher.dispatch(object, { signal: state.signal, traceparent: state.traceparent });
  } finally {
    const ms = now() - startedAt;
    state.hookMs += ms;
    ctx.hookMetrics?.get(hook)?.called(ms);
  }
}

/**
 * How sessions travel to and from a driver's hooks when it is not the coprocess way (the
 * builder's proto session in, nothing saved back): see drivers/jsvm/session-exchange.ts.
 */
export interface SessionExchange {
  /** Before the call: replace what the builder attached. */
  share(object: CoprocessObject, state: RequestState, hook: HookEntry): void;
  /** After a request hook's result was applied and the request goes on. */
  save(state: RequestState, hook: HookEntry, result: CoprocessObject): Promise<void>;
}

/** Log, fire MiddlewareError, and turn any dispatch failure into the hook's error status. */
export function hookFailure(state: RequestState, ctx: HookStepContext, hook: HookEntry, err: unknown, status = 500, message = ctx.failureMessage): GatewayError {
  const metrics = ctx.hookMetrics?.get(hook);
  // A client that went away cancels its hook call: not the plugin's failure, nothing to report.
  if (state.signal.aborted) {
    metrics?.failed('aborted');
    return new GatewayError(status, message);
  }
  const reason = err instanceof DispatchError ? err.reason : 'exception';
  metrics?.failed(reason);
  const detail = err instanceof Error ? err.message : String(err);
  // The plugin's own stack, in the lines of the file as written (TypeScript: source-maps.ts).
  const cause = err instanceof Error ? (err.cause as Error | undefined) : undefined;
  const stack = typeof cause?.stack === 'string' ? mapPositions(cause.stack) : undefined;
  logger.warn({ api_id: ctx.apiId, hook: hook.name, hook_type: hook.kind, reason, stack }, `hook ${hook.kind}:${hook.name} failed: ${detail}`);
  const event = middlewareErrorEvent({ apiId: ctx.apiId, orgId: ctx.orgId }, { hook: hook.name, reason, message: detail });
  ctx.events.fire({ ...event, meta: { ...event.meta, HookType: hook.kind } });
  return new GatewayError(status, message);
}

/** Act on return_overrides: an error ends with the template (and AuthFailure, as Tyk), a code answers raw. */
export function handleOutcome(state: RequestState, ctx: HookStepContext, outcome: HookOutcome): void {
  if (outcome.kind === 'continue') return;
  if (outcome.kind === 'error') {
    fireKeyFailure(ctx.events, 'AuthFailure', ctx, state, state.sessionKey ?? '');
    throw new GatewayError(outcome.status, outcome.message, outcome.headers as Record<string, string>);
  }
  sendReply(state.res, { status: outcome.status, headers: outcome.headers, body: outcome.body });
  state.finished = true;
}

/** A pre / post_key_auth / post hook as a chain step. */
export function requestHookStep(hook: HookEntry, ctx: HookStepContext): Step {
  return {
    name: `${hook.kind}:${hook.name}`,
    async run(state) {
      let outcome: HookOutcome;
      let result: CoprocessObject;
      try {
        const object = buildHookObject(state, hook, ctx.specMap);
        ctx.session?.share(object, state, hook);
        result = await dispatchHook(state, ctx, hook, object);
        outcome = applyHookResult(state, result);
      } catch (err) {
        throw hookFailure(state, ctx, hook, err);
      }
      handleOutcome(state, ctx, outcome);
      if (!ctx.session || state.finished) return;
      try {
        await ctx.session.save(state, hook, result);
      } catch (err) {
        throw hookFailure(state, ctx, hook, err);
      }
    },
  };
}

/** A response hook as a step of the response phase; the upstream answer is buffered in `state.upstream`. */
export function responseHookStep(hook: HookEntry, ctx: HookStepContext): Step {
  return {
    name: `response:${hook.name}`,
    async run(state) {
      const upstream = state.upstream;
      if (!upstream) return;
      try {
        const object = buildResponseObject(state, hook, ctx.specMap, upstream);
        ctx.session?.share(object, state, hook);
        const result = await dispatchHook(state, ctx, hook, object);
        applyResponseResult(upstream, object.response!, result);
      } catch (err) {
        throw hookFailure(state, ctx, hook, err);
      }
    },
  };
}
