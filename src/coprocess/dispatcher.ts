import type { coprocess } from '../protocol/generated/coprocess';

/** The coprocess message exchanged with every driver, as a plain object with proto field names. */
export type CoprocessObject = coprocess.IObject;
export type MiniRequestObject = coprocess.IMiniRequestObject;
export type ProtoSessionState = coprocess.ISessionState;
export type ResponseObject = coprocess.IResponseObject;

/** Tyk's HookType enum values (proto field numbers are fixed by Tyk). */
export const HookType = { Unknown: 0, Pre: 1, Post: 2, PostKeyAuth: 3, CustomKeyCheck: 4, Response: 5 } as const;
export type HookTypeValue = (typeof HookType)[keyof typeof HookType];

import type { HookKind } from '../config/api-definition';

export type { HookKind } from '../config/api-definition';

export const hookTypeOf: Record<HookKind, HookTypeValue> = {
  pre: HookType.Pre,
  auth_check: HookType.CustomKeyCheck,
  post_key_auth: HookType.PostKeyAuth,
  post: HookType.Post,
  response: HookType.Response,
};

export interface DispatchOptions {
  /** Aborted when the client goes away; drivers cancel the call where they can. */
  signal?: AbortSignal;
  /** The request's validated W3C traceparent (pipeline/trace-context.ts); gRPC sends it as call metadata. */
  traceparent?: string;
}

/**
 * One per API and driver. Tyk's Dispatcher (Dispatch, DispatchEvent, Reload) with an explicit
 * dispose so that a swapped-out version can be released once its in-flight calls drain.
 * A driver only moves messages: building the Object and applying the result is shared code
 * (src/coprocess/message.ts) so every driver has identical semantics.
 */
export interface Dispatcher {
  readonly driver: string;
  /** Run the hook named by `object.hook_name`; rejects with DispatchError on any failure. */
  dispatch(object: CoprocessObject, options?: DispatchOptions): Promise<CoprocessObject>;
  /** Deliver an event JSON payload (Tyk's `{message, handler_name, spec}`) to plugin code. */
  dispatchEvent(payload: string): Promise<void>;
  /** Reload plugin code (isolate: rebuild; gRPC: no-op, as in Tyk). */
  reload(): Promise<void>;
  /** Release every resource once in-flight calls are done. Idempotent. */
  dispose(): Promise<void>;
  /** Bring up whatever the first call would (an isolate), so no request pays for it. */
  warm?(): Promise<void>;
  /** Counters and state for `/tyk/apis/{id}/runtime`; drivers without state may omit it. */
  stats?(): Record<string, unknown>;
}

/** Why a dispatch failed: drives the log line and the MiddlewareError event reason. */
export type DispatchFailure = 'exception' | 'timeout' | 'memory' | 'bad_result' | 'unavailable' | 'too_large';

export class DispatchError extends Error {
  constructor(
    message: string,
    readonly reason: DispatchFailure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DispatchError';
  }
}
