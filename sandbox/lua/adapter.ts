// The `lua` hook adapter: Tyk's Lua plugins (driver `lua`) in the API's isolate, run by fengari
// (Lua 5.3 in JavaScript). The runtime decodes the coprocess Object as for every driver; this
// file turns it into Lua tables with the proto field names, calls the global function the hook
// names with Tyk's Lua arguments, and turns what it returns back into an Object:
//   pre / post_key_auth / post: fn(request, session, spec)           -> request, session
//   auth_check:                 fn(request, session, metadata, spec) -> request, session, metadata
//   response (isogate):         fn(request, response, session, metadata, spec) -> response
// A value the hook does not return is taken from the table it was given, so changes made in
// place (`tyk.req.set_header`, `request.add_params.x = …`) count; a returned nil is "none".
import { lua_gettop, lua_pop, lua_pushglobaltable, lua_settop } from './fengari';
import type { GuestSource } from '../../src/protocol/isolate';
import { registerHookAdapter } from '../adapters/registry';
import type { EventPayload, HookAdapter, ObjectLike } from '../adapters/types';
import { BadResultError } from '../errors';
import { coprocess, type DecodedObject, decodeObject, encodeObject } from '../wire/codec';
import { untouchedBodyBytes } from '../wire/lazy-body';
import { MiniRequestObjectSchema, type MessageSchema, ResponseObjectSchema, SessionStateSchema } from '../wire/schema';
import { sessionToSend } from '../wire/session';
import { protectedCall } from './call';
import { messageTable, readMessage, readStringMap, stringMapTable } from './convert';
import { defaultJsonSettings, jsonValue } from './json';
import { loadLuaSources } from './loader';
import { ModuleTable } from './modules';
import type { lua_State } from './stack';
import { type LuaRuntime, newLuaRuntime } from './state';
import { bytesValue, describe, getField, name, newTable, NIL, push, setField, tableOf, tableValue, type TValue, Type, typeOf, valueAt } from './tables';
import { WARM_UP } from './warm-up';

const { HookType } = coprocess;

/**
 * What the gateway applies from a returned request (Tyk's ObjectPostProcess): only these are
 * read back. `body` is not among them: Tyk takes the body from `raw_body` alone.
 */
const APPLIED_REQUEST_FIELDS: ReadonlySet<string> = new Set(['set_headers', 'delete_headers', 'url', 'method', 'add_params', 'delete_params', 'return_overrides', 'raw_body']);
const APPLIED_RESPONSE_FIELDS: ReadonlySet<string> = new Set(['status_code', 'raw_body', 'headers', 'multivalue_headers']);

const modules = new ModuleTable();
let runtime: LuaRuntime | undefined;

function lua(): LuaRuntime {
  if (!runtime) throw new Error('the Lua state is not installed');
  return runtime;
}

/** Why `value`, found under `hook`, cannot be a hook ('' if it can). */
function hookProblem(value: TValue, hook: string): string {
  const type = typeOf(value);
  if (type === Type.function) return '';
  if (type === Type.nil) return `Lua hook function "${hook}" is not defined in the API's .lua files`;
  return `Lua hook "${hook}" is ${describe(value)}, not a function`;
}

/**
 * The global `name` (Tyk looks hooks up as `_G[hook_name]`), read without metamethods: no plugin
 * code runs outside a protected call.
 */
function globalValue(L: lua_State, key: string): TValue {
  lua_pushglobaltable(L);
  const value = getField(tableOf(valueAt(L, -1)), name(L, key));
  lua_pop(L, 1);
  return value;
}

/** Push the global function `hook`, or throw naming it. */
function pushHook(L: lua_State, hook: string): void {
  const fn = globalValue(L, hook);
  const problem = hookProblem(fn, hook);
  if (problem) throw new Error(problem);
  push(L, fn);
}

/** A request or response table; a body that arrived lazily goes in as its bytes, undecoded. */
function bodiedTable(L: lua_State, schema: MessageSchema, message: object): TValue {
  const bytes = untouchedBodyBytes(message);
  return tableValue(messageTable(L, schema, message as Record<string, unknown>, bytes ? { body: bytesValue(L, bytes) } : undefined));
}

/** Point `tyk.req` at this call's request and set `tyk.session` / `tyk.header` (NIL clears). */
function bindCall(rt: LuaRuntime, request: TValue, session: TValue): void {
  const { L, tyk } = rt;
  rt.call.request = request;
  setField(L, tyk, name(L, 'session').value, session);
  const headers = typeOf(request) === Type.table ? getField(tableOf(request), name(L, 'headers')) : NIL;
  setField(L, tyk, name(L, 'header').value, headers);
}

function returnedRequest(L: lua_State, hook: string, value: TValue): Record<string, unknown> {
  if (typeOf(value) === Type.nil) {
    throw new BadResultError(`Lua hook "${hook}" returned nil for the request; return request, session (or nothing, to keep the changes made in place)`);
  }
  return readMessage(L, value, MiniRequestObjectSchema, 'request', APPLIED_REQUEST_FIELDS);
}

function dispatch(object: DecodedObject): ObjectLike {
  const rt = lua();
  const { L } = rt;
  const base = lua_gettop(L);
  const hook = object.hook_name;
  try {
    const isResponse = object.hook_type === HookType.Response;
    const isAuth = object.hook_type === HookType.CustomKeyCheck;
    const request = bodiedTable(L, MiniRequestObjectSchema, object.request ?? new coprocess.MiniRequestObject());
    // No session from the gateway (pre, auth_check): an empty table to fill in, as Tyk's Lua
    // gets; sent back only if used (or returned by auth_check), as for JS hooks.
    const session = tableValue(object.session ? messageTable(L, SessionStateSchema, object.session as unknown as Record<string, unknown>) : newTable(L));
    const metadata = tableValue(stringMapTable(L, object.metadata));
    const spec = tableValue(stringMapTable(L, object.spec));
    const response = isResponse ? bodiedTable(L, ResponseObjectSchema, object.response ?? new coprocess.ResponseObject()) : NIL;

    pushHook(L, hook);
    const args = isResponse ? [request, response, session, metadata, spec] : isAuth ? [request, session, metadata, spec] : [request, session, spec];
    for (const arg of args) push(L, arg);
    bindCall(rt, request, session);
    const count = protectedCall(rt, args.length);
    /** The hook's i-th result, or `given` when it returned fewer. */
    const result = (i: number, given: TValue): TValue => (i <= count ? valueAt(L, i - count - 1) : given);

    if (isResponse) {
      const returned = result(1, response);
      if (typeOf(returned) === Type.nil) throw new BadResultError(`Lua response hook "${hook}" returned nil; return the response (or nothing, to keep the changes made in place)`);
      return { hook_type: object.hook_type, hook_name: hook, response: readMessage(L, returned, ResponseObjectSchema, 'response', APPLIED_RESPONSE_FIELDS) };
    }
    const out: ObjectLike = { hook_type: object.hook_type, hook_name: hook, request: returnedRequest(L, hook, result(1, request)) };
    // Only auth_check's session and metadata matter to the gateway (Tyk discards the others').
    if (isAuth) {
      const returnedSession = result(2, session);
      out.session = typeOf(returnedSession) === Type.nil ? null : sessionToSend(readMessage(L, returnedSession, SessionStateSchema, 'session'), true);
      const returnedMetadata = result(3, metadata);
      out.metadata = typeOf(returnedMetadata) === Type.nil ? {} : readStringMap(L, returnedMetadata, 'metadata');
    }
    return out;
  } finally {
    bindCall(rt, NIL, NIL);
    lua_settop(L, base);
  }
}

const eventSettings = defaultJsonSettings();

/** cp_dynamic_handler events: the global function `handler_name(event, spec)`. */
function event(payload: EventPayload): void {
  const rt = lua();
  const { L } = rt;
  const base = lua_gettop(L);
  try {
    const fn = globalValue(L, payload.handler_name);
    if (typeOf(fn) !== Type.function) throw new Error(`Lua event handler "${payload.handler_name}" is not defined in the API's .lua files`);
    push(L, fn);
    push(L, jsonValue(L, payload.message, 0, eventSettings, NIL));
    push(L, jsonValue(L, payload.spec, 0, eventSettings, NIL));
    protectedCall(rt, 2);
  } finally {
    lua_settop(L, base);
  }
}

function checkHook(hook: string): string {
  return hookProblem(globalValue(lua().L, hook), hook);
}

function loadSources(sources: readonly GuestSource[]) {
  return loadLuaSources(lua(), modules, sources);
}

/** Every path above once, on sample input (the host's code-cache pass, runtime-script.ts). */
function warmUp(): void {
  const failure = loadSources([{ filename: 'isogate-warm-up.lua', code: WARM_UP.source }]);
  if (failure) throw new Error(`warm-up: ${failure.message}`);
  for (const hook of WARM_UP.hooks) checkHook(hook);
  for (const sample of WARM_UP.objects()) encodeObject(dispatch(decodeObject(encodeObject(sample))));
  event({ handler_name: 'warm_event', message: { Type: 'Warm', Meta: {}, TimeStamp: '' }, spec: { APIID: 'warm', OrgID: 'warm' } });
}

const luaAdapter: HookAdapter = {
  install: () => {
    runtime = newLuaRuntime(modules);
  },
  dispatch,
  event,
  checkHook,
  loadSources,
  warmUp,
};

registerHookAdapter('lua', luaAdapter);
