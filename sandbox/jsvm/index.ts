// The `jsvm` hook adapter: Tyk JavaScript plugins (drivers `otto`, `javascript`) in the API's
// isolate. It turns the coprocess Object the host sends into Tyk's PascalCase JSVM objects,
// calls `<name>.DoProcessRequest(request, session, config)` (or DoProcessResponse), and turns the
// result back into a coprocess Object, so the host applies it with the same code as every other
// driver. Where Tyk's JSVM semantics differ from coprocess, the conversion here settles them
// (see request.ts), or the host steps do when they run with `tykJsvm` (hook-step.ts).
import { JSVM_METADATA, JSVM_VIRTUAL_HOOK_TYPE } from '../../src/protocol/jsvm';
import { registerHookAdapter } from '../adapters/registry';
import type { EventPayload, HookAdapter, HookAdapterContext, ObjectLike } from '../adapters/types';
import { BadResultError } from '../errors';
import { isThenable } from '../promise';
import { coprocess, type DecodedObject } from '../wire/codec';
import { configOf } from './config';
import { entryPoint } from './core';
import { installJsvmGlobals } from './globals';
import { fromJsvmRequest, toJsvmRequest } from './request';
import { fromJsvmResponse, toJsvmResponse } from './response';
import { changedSessionMeta, returnedSession, sessionIn } from './session';
import { isPlain, text, type Plain } from './values';
import { dispatchVirtual } from './virtual';

const { HookType } = coprocess;


function declareHint(name: string, kind: 'TykMiddleware.NewMiddleware' | 'TykEventHandlers.NewEventHandler'): string {
  return `declare it in the plugin as: var ${name} = new TykJS.${kind}({});`;
}

function entryOf(name: string, context: HookAdapterContext, entry: 'DoProcessRequest' | 'DoProcessResponse'): { target: unknown; fn: (...args: unknown[]) => unknown } {
  const target = context.lookup(name);
  const fn = entryPoint(target, entry);
  if (!fn) {
    const what = target === undefined ? 'is not defined' : `is not a Tyk middleware object (no ${entry})`;
    throw new Error(`JSVM middleware "${name}" ${what}; ${declareHint(name, 'TykMiddleware.NewMiddleware')}`);
  }
  return { target, fn };
}

function then<T>(value: unknown, finish: (result: unknown) => T): T | Promise<T> {
  return isThenable(value) ? Promise.resolve(value).then(finish) : finish(value);
}

function requireResult(name: string, result: unknown, key: 'Request' | 'Response'): { result: Plain; part: Plain } {
  if (!isPlain(result)) {
    const got = result === undefined ? 'nothing' : result === null ? 'null' : typeof result;
    const helper = key === 'Request' ? 'ReturnData(request, sessionMeta) or ReturnAuthData(request, session)' : 'ReturnResponseData(response, sessionMeta)';
    throw new BadResultError(`JSVM middleware "${name}" returned ${got}; return ${name}.${helper}`);
  }
  const part = result[key];
  if (!isPlain(part)) throw new BadResultError(`JSVM middleware "${name}" returned no ${key} object`);
  if (key === 'Request') checkDecodable(name, result);
  return { result, part };
}

/**
 * Tyk decodes every hook's returned JSON into one struct (Request, SessionMeta, Session,
 * AuthValue), whatever the hook: a field of the wrong type (`Session: "malformed"`) fails the
 * decode and the request stops with 500, even where the field would not be used.
 */
function checkDecodable(name: string, result: Plain): void {
  const wrong = (field: string, expected: string): never => {
    throw new BadResultError(`JSVM middleware "${name}" returned ${field} that does not decode: expected ${expected}`);
  };
  for (const field of ['Session', 'SessionMeta'] as const) {
    const value = result[field];
    if (value !== undefined && value !== null && !isPlain(value)) wrong(field, 'an object');
  }
  const authValue = result.AuthValue;
  if (authValue !== undefined && authValue !== null && typeof authValue !== 'string') wrong('AuthValue', 'a string');
}

function dispatchRequest(object: DecodedObject, context: HookAdapterContext): ObjectLike | Promise<ObjectLike> {
  const name = object.hook_name;
  const { target, fn } = entryOf(name, context, 'DoProcessRequest');
  const { session, sent } = sessionIn(object.metadata);
  const request = toJsvmRequest(object.request);
  const value = fn.call(target, request, session, configOf(object.spec));
  return then(value, (raw) => {
    const { result, part } = requireResult(name, raw, 'Request');
    const metadata: Record<string, string> = {};
    if (object.hook_type === HookType.CustomKeyCheck) {
      metadata[JSVM_METADATA.session] = returnedSession(result.Session);
      const authValue = text(result.AuthValue);
      if (authValue !== '') metadata[JSVM_METADATA.authValue] = authValue;
    } else if (sent !== undefined) {
      // Only a hook that was given the session (require_session) can change its meta_data.
      const meta = changedSessionMeta(sent, result.SessionMeta);
      if (meta !== undefined) metadata[JSVM_METADATA.sessionMeta] = meta;
    }
    return { hook_type: object.hook_type, hook_name: name, request: fromJsvmRequest(object.request, request, part), metadata };
  });
}

function dispatchResponse(object: DecodedObject, context: HookAdapterContext): ObjectLike | Promise<ObjectLike> {
  const name = object.hook_name;
  const { target, fn } = entryOf(name, context, 'DoProcessResponse');
  const original = object.response ?? new coprocess.ResponseObject();
  const response = toJsvmResponse(original);
  const value = fn.call(target, response, toJsvmRequest(object.request), {}, configOf(object.spec));
  return then(value, (raw) => {
    const { part } = requireResult(name, raw, 'Response');
    // Only the response goes back: the host applies nothing else after the upstream answered.
    return { hook_type: object.hook_type, hook_name: name, response: fromJsvmResponse(original, response, part) };
  });
}

/**
 * Events reach a handler named by `handler_meta.name` of a `cp_dynamic_handler`: a
 * TykJS.TykEventHandlers object (`DoProcessEvent(event, context)`, as Tyk calls JSVM handlers)
 * or a plain function `fn(event, context)`.
 */
async function event(payload: EventPayload, context: HookAdapterContext): Promise<void> {
  const name = payload.handler_name;
  const target = context.lookup(name);
  const eventContext = { APIID: payload.spec.APIID, OrgID: payload.spec.OrgID };
  if (typeof target === 'function' && !entryPoint(target, 'DoProcessEvent')) {
    await target(payload.message, eventContext);
    return;
  }
  const fn = entryPoint(target, 'DoProcessEvent');
  if (!fn) throw new Error(`JSVM event handler "${name}" is not defined; ${declareHint(name, 'TykEventHandlers.NewEventHandler')}`);
  await fn.call(target, payload.message, eventContext);
}

function checkHook(name: string, context: HookAdapterContext): string {
  const target = context.lookup(name);
  if (entryPoint(target, 'DoProcessRequest') || entryPoint(target, 'DoProcessResponse')) return '';
  if (target === undefined) return `JSVM middleware "${name}" is not defined; ${declareHint(name, 'TykMiddleware.NewMiddleware')}`;
  return `JSVM middleware "${name}" is not a Tyk middleware object; ${declareHint(name, 'TykMiddleware.NewMiddleware')}`;
}

export const jsvmAdapter: HookAdapter = {
  install: installJsvmGlobals,
  dispatch: (object, context) => {
    if (object.hook_type === JSVM_VIRTUAL_HOOK_TYPE) return dispatchVirtual(object, context);
    return object.hook_type === HookType.Response ? dispatchResponse(object, context) : dispatchRequest(object, context);
  },
  event,
  checkHook,
};

registerHookAdapter('jsvm', jsvmAdapter);
