// Tyk's JSVM request object (PascalCase, built from Go's MiniRequestObject) from the coprocess
// request, and the coprocess request the host applier expects from what the plugin returned.
// Tyk's JSVM rules that differ from coprocess are settled here, so the host applies both alike:
// the method is never changed, an unusable URL keeps the old one, ExtendedParams append values.
import type { coprocess } from '../wire/codec';
import { bodyBytes, defineBody } from './body';
import { headerArrays } from './headers';
import { encodeQuery, parseQuery, splitUrl } from './query';
import { listField, objectField, text, type Plain } from './values';

type MiniRequest = coprocess.MiniRequestObject.$Properties;

const EMPTY = new Uint8Array(0);
const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

/** The request as a JSVM plugin sees it; keys in the order Tyk's JSON has them. */
export function toJsvmRequest(request: MiniRequest | null | undefined): Plain {
  const url = request?.url ?? '';
  const jsvm: Plain = {
    Headers: headerArrays(request?.headers),
    SetHeaders: {},
    DeleteHeaders: [],
    Body: '',
    URL: url,
    Params: { ...parseQuery(splitUrl(url)[1]) },
    AddParams: {},
    ExtendedParams: {},
    DeleteParams: [],
    ReturnOverrides: { ResponseCode: 0, ResponseError: '', ResponseBody: '', ResponseHeaders: {}, OverrideError: false },
    IgnoreBody: false,
    Method: request?.method ?? '',
    RequestURI: request?.request_uri ?? '',
    Scheme: request?.scheme ?? '',
  };
  defineBody(jsvm, request?.raw_body ?? EMPTY);
  return jsvm;
}

function stringMap(value: unknown, path: string): Record<string, string> {
  const source = objectField(value, path);
  const out: Record<string, string> = {};
  // JSON semantics, as Tyk reads the plugin's JSON.stringify output: an undefined value is no entry.
  for (const key of Object.keys(source)) if (source[key] !== undefined) out[key] = text(source[key]);
  return out;
}

function stringList(value: unknown, path: string): string[] {
  return listField(value, path).map(text);
}

/**
 * Tyk re-parses the returned URL and silently keeps the old one when that fails. An absolute
 * URL only contributes its path and query: the upstream is the API's target either way.
 */
function returnedUrl(value: unknown, original: string): string {
  if (typeof value !== 'string' || value === '') return original;
  const url = value.replace(ABSOLUTE_URL, '');
  if (url === '') return '/';
  return url.startsWith('/') ? url : original;
}

/** Delete, set, then append, as Tyk does; re-encoded only when the values changed. */
function withExtendedParams(url: string, del: string[], add: Record<string, string>, extend: Record<string, string[]>): string {
  const [path, query] = splitUrl(url);
  const values = parseQuery(query);
  const before = encodeQuery(values);
  for (const key of del) delete values[key];
  for (const key of Object.keys(add)) values[key] = [add[key]];
  for (const key of Object.keys(extend)) (values[key] ??= []).push(...extend[key]);
  const after = encodeQuery(values);
  if (after === before) return url;
  return after === '' ? path : `${path}?${after}`;
}

function extendedParams(value: unknown, path: string): Record<string, string[]> {
  const source = objectField(value, path);
  const out: Record<string, string[]> = {};
  for (const key of Object.keys(source)) {
    const list = stringList(source[key], `${path}.${key}`);
    if (list.length > 0) out[key] = list;
  }
  return out;
}

/**
 * The coprocess request for the host applier. `original` is what the gateway sent, `sent` the
 * JSVM object built from it, `returned` the plugin's `Request` (usually `sent` itself).
 * `headers`, `params`, `method` are left out: the applier ignores the first two, and an empty
 * method is Tyk's "method changes are not applied" for JS plugins.
 */
export function fromJsvmRequest(original: MiniRequest | null | undefined, sent: Plain, returned: Plain): Plain {
  const url = returnedUrl(returned.URL, original?.url ?? '');
  let deleteParams = stringList(returned.DeleteParams, 'Request.DeleteParams');
  let addParams = stringMap(returned.AddParams, 'Request.AddParams');
  const extend = extendedParams(returned.ExtendedParams, 'Request.ExtendedParams');
  let finalUrl = url;
  if (Object.keys(extend).length > 0) {
    finalUrl = withExtendedParams(url, deleteParams, addParams, extend);
    deleteParams = [];
    addParams = {};
  }
  const overrides = objectField(returned.ReturnOverrides, 'Request.ReturnOverrides');
  return {
    set_headers: stringMap(returned.SetHeaders, 'Request.SetHeaders'),
    delete_headers: stringList(returned.DeleteHeaders, 'Request.DeleteHeaders'),
    url: finalUrl,
    add_params: addParams,
    delete_params: deleteParams,
    return_overrides: {
      response_code: overrides.ResponseCode ?? 0,
      response_error: text(overrides.ResponseError),
      response_body: text(overrides.ResponseBody),
      headers: stringMap(overrides.ResponseHeaders, 'Request.ReturnOverrides.ResponseHeaders'),
      override_error: overrides.OverrideError === true,
    },
    raw_body: returned.IgnoreBody === true ? (original?.raw_body ?? EMPTY) : bodyBytes(returned, sent),
  };
}
