// Tyk virtual endpoints inside the API's isolate: the function named by the endpoint's
// `response_function_name` is called as Tyk calls it, `fn(request, session, config)`, and answers
// with what Tyk's `TykJsResponse({Body, Headers, Code}, session_meta)` returns: the JSON text of
// `{Response, SessionMeta}` (a plain object of that shape is taken too). Anything Tyk could not
// decode into its Go structs is a BadResultError naming the field: the host answers 500.
import { JSVM_METADATA } from '../../src/protocol/jsvm';
import type { HookAdapterContext, ObjectLike } from '../adapters/types';
import { BadResultError } from '../errors';
import { isThenable } from '../promise';
import { decodeUtf8, encodeUtf8 } from '../text/utf8';
import type { DecodedObject } from '../wire/codec';
import { configOf } from './config';
import { headerArrays } from './headers';
import { parseQuery, splitUrl, type QueryValues } from './query';
import { changedSessionMeta, sessionIn } from './session';
import { isPlain, objectField, type Plain } from './values';

const EMPTY = new Uint8Array(0);
const HELPER = 'return TykJsResponse({Body: "...", Headers: {}, Code: 200}, session.meta_data)';

/** Go's r.Form: a form-encoded body's values first, then the query's. */
function formValues(url: string, contentType: string | undefined, body: string): QueryValues {
  const out: QueryValues = Object.create(null);
  if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of Object.entries(parseQuery(body))) out[k] = [...v];
  }
  for (const [k, v] of Object.entries(parseQuery(splitUrl(url)[1]))) (out[k] ??= []).push(...v);
  return { ...out };
}

/** Tyk's RequestObject for virtual endpoints: `{Headers, Body, URL, Params, Scheme}`. */
function requestOf(object: DecodedObject): Plain {
  const request = object.request;
  const url = request?.url ?? '';
  const body = decodeUtf8(request?.raw_body ?? EMPTY);
  const headers = request?.headers ?? {};
  return { Headers: headerArrays(headers), Body: body, URL: url, Params: formValues(url, headers['Content-Type'], body), Scheme: request?.scheme ?? '' };
}

function decodeAnswer(name: string, raw: unknown): { response: Plain; sessionMeta: unknown } {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new BadResultError(`virtual endpoint function "${name}" returned text that is not JSON; ${HELPER}`);
    }
  }
  if (!isPlain(value) || !isPlain(value.Response)) {
    const got = value === undefined ? 'nothing' : value === null ? 'null' : typeof value;
    throw new BadResultError(`virtual endpoint function "${name}" returned ${got} without a Response object; ${HELPER}`);
  }
  return { response: value.Response, sessionMeta: value.SessionMeta };
}

function answerOf(response: Plain): Plain {
  const body = response.Body ?? '';
  if (typeof body !== 'string') throw new BadResultError(`Response.Body: expected a string, got ${typeof body}`);
  const code = response.Code ?? 0;
  if (typeof code !== 'number' || !Number.isInteger(code)) throw new BadResultError(`Response.Code: expected an integer HTTP status, got ${JSON.stringify(code) ?? typeof code}`);
  const source = objectField(response.Headers, 'Response.Headers');
  const headers: Record<string, string> = {};
  for (const key of Object.keys(source)) {
    const v = source[key];
    if (typeof v !== 'string') throw new BadResultError(`Response.Headers[${JSON.stringify(key)}]: expected a string, got ${v === null ? 'null' : typeof v}`);
    headers[key] = v;
  }
  return { status_code: code, headers, raw_body: encodeUtf8(body) };
}

export function dispatchVirtual(object: DecodedObject, context: HookAdapterContext): ObjectLike | Promise<ObjectLike> {
  const name = object.hook_name;
  const fn = context.lookup(name);
  if (typeof fn !== 'function') {
    throw new Error(`virtual endpoint function "${name}" is ${fn === undefined ? 'not defined (did its code load? see the log)' : `not a function (${typeof fn})`}`);
  }
  const { session, sent } = sessionIn(object.metadata);
  const value = fn(requestOf(object), session, configOf(object.spec));
  const finish = (raw: unknown): ObjectLike => {
    const { response, sessionMeta } = decodeAnswer(name, raw);
    const answer = answerOf(response);
    const metadata: Record<string, string> = {};
    if (sent !== undefined) {
      const meta = changedSessionMeta(sent, sessionMeta);
      if (meta !== undefined) metadata[JSVM_METADATA.sessionMeta] = meta;
    }
    return { hook_type: object.hook_type, hook_name: name, response: answer, metadata };
  };
  return isThenable(value) ? Promise.resolve(value).then(finish) : finish(value);
}
