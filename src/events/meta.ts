import type { EventInput } from './event';
import {
  DefaultEventMessages,
  EventNames,
  type KeyFailureEventName,
  type TokenEventName,
} from './names';

/**
 * Meta builders with Tyk's Go field names. Every field is present (empty string when unknown),
 * as Go's structs marshal, so cp_dynamic_handler plugins see the shape they see under Tyk.
 */

export interface KeyFailureMeta {
  Message: string;
  /** Base64 of the request head; see encodeOriginatingRequest. */
  OriginatingRequest: string;
  Path: string;
  /** Client IP. */
  Origin: string;
  Key: string;
  [field: string]: unknown;
}

export interface KeyFailureFields {
  message: string;
  path?: string;
  origin?: string;
  key?: string;
  originatingRequest?: string;
}

export function keyFailureMeta(fields: KeyFailureFields): KeyFailureMeta {
  return {
    Message: fields.message,
    OriginatingRequest: fields.originatingRequest ?? '',
    Path: fields.path ?? '',
    Origin: fields.origin ?? '',
    Key: fields.key ?? '',
  };
}

export interface ApiRef {
  apiId: string;
  orgId?: string;
}

/** AuthFailure / KeyExpired / QuotaExceeded / RatelimitExceeded for an API, with Tyk's message. */
export function keyFailureEvent(
  type: KeyFailureEventName,
  api: ApiRef,
  fields: Omit<KeyFailureFields, 'message'> & { message?: string },
): EventInput {
  return {
    type,
    apiId: api.apiId,
    orgId: api.orgId,
    meta: keyFailureMeta({ ...fields, message: fields.message ?? DefaultEventMessages[type] }),
  };
}

export interface TokenMeta {
  Message: string;
  OriginatingRequest: string;
  Org: string;
  Key: string;
  [field: string]: unknown;
}

/** TokenCreated / TokenUpdated / TokenDeleted: system events (gateway-level handlers), as in Tyk. */
export function tokenEvent(type: TokenEventName, fields: { org?: string; key: string; message?: string }): EventInput {
  const meta: TokenMeta = {
    Message: fields.message ?? DefaultEventMessages[type],
    OriginatingRequest: '',
    Org: fields.org ?? '',
    Key: fields.key,
  };
  return { type, meta };
}

export interface MiddlewareErrorMeta {
  Message: string;
  APIID: string;
  /** The hook list the failing function sits in: pre, auth_check, post_key_auth, post, response. */
  Hook: string;
  /** Why it failed, e.g. DispatchError.reason: exception, timeout, memory, bad_result. */
  Reason: string;
  [field: string]: unknown;
}

export function middlewareErrorMeta(fields: { apiId: string; hook: string; reason: string; message?: string }): MiddlewareErrorMeta {
  return {
    Message: fields.message ?? `${fields.hook} hook failed: ${fields.reason}`,
    APIID: fields.apiId,
    Hook: fields.hook,
    Reason: fields.reason,
  };
}

export function middlewareErrorEvent(
  api: ApiRef,
  fields: { hook: string; reason: string; message?: string },
): EventInput {
  return {
    type: EventNames.MiddlewareError,
    apiId: api.apiId,
    orgId: api.orgId,
    meta: middlewareErrorMeta({ ...fields, apiId: api.apiId }),
  };
}

/**
 * TykTriggerEvent's meta: `{Message: payload}`. Scripts may pass a non-string; it is carried as
 * JSON text rather than "[object Object]", since handlers expect Message to be a string.
 */
export function triggerMeta(payload: unknown): { Message: string } {
  if (typeof payload === 'string') return { Message: payload };
  if (payload === undefined || payload === null) return { Message: '' };
  try {
    return { Message: JSON.stringify(payload) ?? String(payload) };
  } catch {
    return { Message: String(payload) };
  }
}

/** The event a script's `TykTriggerEvent(name, payload)` fires, tagged with its API. */
export function triggerEvent(name: string, payload: unknown, api: ApiRef): EventInput {
  return { type: name, apiId: api.apiId, orgId: api.orgId, meta: triggerMeta(payload) };
}

export interface RequestHead {
  method: string;
  /** The request target as received, e.g. `/api/path?x=1`. */
  url: string;
  httpVersion?: string;
  /** Node's `rawHeaders`: name, value, name, value… (keeps case and order). */
  rawHeaders: readonly string[];
}

/**
 * Tyk's OriginatingRequest: the request in HTTP wire form, base64. Only the head: the body may
 * still be streaming to the upstream when the event fires, and copying it would put a large
 * buffer on the request path.
 */
export function encodeOriginatingRequest(head: RequestHead): string {
  let text = `${head.method} ${head.url} HTTP/${head.httpVersion ?? '1.1'}\r\n`;
  for (let i = 0; i + 1 < head.rawHeaders.length; i += 2) text += `${head.rawHeaders[i]}: ${head.rawHeaders[i + 1]}\r\n`;
  return Buffer.from(text + '\r\n', 'latin1').toString('base64');
}
