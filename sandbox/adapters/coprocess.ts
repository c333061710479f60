// The isolate driver's calling convention, modelled on Tyk's Python plugins:
//   pre / post_key_auth / post / auth_check: fn(request, session, metadata, spec)
//   response:                                fn(request, response, session, metadata, spec)
// Changes made in place are kept; a returned `{ request, session, metadata }` (or, for response
// hooks, a response object or `{ response }`) replaces the corresponding parts.
import { BadResultError } from '../errors';
import { functionProblem } from '../hooks/lookup';
import { isThenable } from '../promise';
import { coprocess, type DecodedObject } from '../wire/codec';
import { releaseUntouchedBody } from '../wire/lazy-body';
import { sessionToSend } from '../wire/session';
import { installFetch } from '../globals/fetch/install';
import { registerHookAdapter } from './registry';
import type { EventPayload, HookAdapter, HookAdapterContext, ObjectLike } from './types';

const RESPONSE = coprocess.HookType.Response;
const CUSTOM_KEY_CHECK = coprocess.HookType.CustomKeyCheck;

type Plain = Record<string, unknown>;

interface CallState {
  object: DecodedObject;
  request: unknown;
  session: unknown;
  /** The session object came from the gateway (or the hook is auth_check, which returns one). */
  sessionExpected: boolean;
  response: unknown;
}

function isObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function has(value: Plain, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(value, key);
}

/** The session goes back if the gateway sent one, the hook returned one, or the hook filled it in. */
function sessionOut(state: CallState, explicit: boolean): unknown {
  return sessionToSend(state.session, state.sessionExpected || explicit);
}

function finishRequestHook(state: CallState, result: unknown): ObjectLike {
  const { object } = state;
  let request = state.request;
  let metadata: unknown = object.metadata;
  let explicitSession = false;
  if (result !== undefined && result !== null && result !== request) {
    if (!isObject(result) || !(has(result, 'request') || has(result, 'session') || has(result, 'metadata'))) {
      throw new BadResultError(
        `hook "${object.hook_name}" must return nothing (changes in place) or { request, session, metadata }`,
      );
    }
    if (has(result, 'request')) request = result.request;
    if (has(result, 'session')) {
      state.session = result.session;
      explicitSession = true;
    }
    if (has(result, 'metadata')) metadata = result.metadata;
  }
  if (!isObject(request)) throw new BadResultError(`hook "${object.hook_name}" returned no request object`);
  releaseUntouchedBody(request);
  return {
    hook_type: object.hook_type,
    hook_name: object.hook_name,
    request,
    session: sessionOut(state, explicitSession),
    metadata,
    spec: object.spec,
  };
}

function finishResponseHook(state: CallState, result: unknown): ObjectLike {
  const { object } = state;
  let response = state.response;
  let metadata: unknown = object.metadata;
  let explicitSession = false;
  if (result !== undefined && result !== null && result !== response) {
    if (!isObject(result)) {
      throw new BadResultError(`response hook "${object.hook_name}" must return nothing, a response object or { response }`);
    }
    if (has(result, 'response')) {
      response = result.response;
      if (has(result, 'session')) {
        state.session = result.session;
        explicitSession = true;
      }
      if (has(result, 'metadata')) metadata = result.metadata;
    } else {
      response = result;
    }
  }
  if (!isObject(response)) throw new BadResultError(`response hook "${object.hook_name}" returned no response object`);
  releaseUntouchedBody(response);
  releaseUntouchedBody(state.request);
  return {
    hook_type: object.hook_type,
    hook_name: object.hook_name,
    request: state.request,
    session: sessionOut(state, explicitSession),
    metadata,
    spec: object.spec,
    response,
  };
}

function dispatch(object: DecodedObject, context: HookAdapterContext): ObjectLike | Promise<ObjectLike> {
  const fn = context.resolveFunction(object.hook_name);
  const isResponse = object.hook_type === RESPONSE;
  const request = object.request ?? new coprocess.MiniRequestObject();
  const response = isResponse ? (object.response ?? new coprocess.ResponseObject()) : null;
  const state: CallState = {
    object,
    request,
    // An empty session to fill in when the gateway sent none (pre, auth_check): `session.rate =`
    // must not throw in a hook. It is only sent back when used (see sessionOut).
    session: object.session ?? new coprocess.SessionState(),
    sessionExpected: Boolean(object.session) || object.hook_type === CUSTOM_KEY_CHECK,
    response,
  };
  const finish = isResponse ? finishResponseHook : finishRequestHook;
  const result = isResponse
    ? fn(request, response, state.session, object.metadata, object.spec)
    : fn(request, state.session, object.metadata, object.spec);
  if (isThenable(result)) return Promise.resolve(result).then((value) => finish(state, value));
  return finish(state, result);
}

/**
 * cp_dynamic_handler events: `fn(event, spec)`, analogous to Tyk's JSVM handlers
 * `fn(event, context)`, with `event = { Type, Meta, TimeStamp }` and `spec = { APIID, OrgID }`.
 */
async function event(payload: EventPayload, context: HookAdapterContext): Promise<void> {
  const fn = context.resolveFunction(payload.handler_name);
  await fn(payload.message, payload.spec);
}

export const coprocessAdapter: HookAdapter = {
  dispatch,
  event,
  checkHook: (name, context) => functionProblem(name, context.lookup(name)),
  // fetch and its classes: the isolate driver's way to the network (src/net/).
  install: installFetch,
};

registerHookAdapter('coprocess', coprocessAdapter);
