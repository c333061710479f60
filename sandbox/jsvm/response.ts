// Tyk's JSVM response object (`{StatusCode, Body, Headers, SetHeaders, DeleteHeaders}`, 5.x
// response hooks) from the coprocess ResponseObject, and back. Changes go through SetHeaders and
// DeleteHeaders as in Tyk; the host applier then rebuilds the multi-value headers from `headers`.
import { BadResultError } from '../errors';
import type { coprocess } from '../wire/codec';
import { bodyBytes, defineBody } from './body';
import { canonicalHeaderName } from './headers';
import { listField, objectField, text, type Plain } from './values';

type ResponseObject = coprocess.ResponseObject.$Properties;

const EMPTY = new Uint8Array(0);

function allValues(response: ResponseObject): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const header of response.multivalue_headers ?? []) if (header.key) out[header.key] = [...(header.values ?? [])];
  const single = response.headers ?? {};
  for (const key of Object.keys(single)) out[key] ??= [single[key]];
  return out;
}

export function toJsvmResponse(response: ResponseObject): Plain {
  const jsvm: Plain = {
    StatusCode: response.status_code ?? 0,
    Body: '',
    Headers: allValues(response),
    SetHeaders: {},
    DeleteHeaders: [],
  };
  defineBody(jsvm, response.raw_body ?? EMPTY);
  return jsvm;
}

export function fromJsvmResponse(original: ResponseObject, sent: Plain, returned: Plain): Plain {
  const status = Number(returned.StatusCode);
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new BadResultError(`Response.StatusCode: expected an HTTP status, got ${String(returned.StatusCode)}`);
  }
  // Both views of the headers change alike, so Go's Header.Set (one value replaces all) holds
  // whichever of them the host applier ends up using.
  const headers: Record<string, string> = { ...(original.headers ?? {}) };
  const multi = new Map<string, string[]>();
  for (const header of original.multivalue_headers ?? []) if (header.key) multi.set(header.key, [...(header.values ?? [])]);
  const remove = (name: string): void => {
    const lower = name.toLowerCase();
    for (const key of Object.keys(headers)) if (key.toLowerCase() === lower) delete headers[key];
    for (const key of [...multi.keys()]) if (key.toLowerCase() === lower) multi.delete(key);
  };
  for (const name of listField(returned.DeleteHeaders, 'Response.DeleteHeaders')) remove(text(name));
  const set = objectField(returned.SetHeaders, 'Response.SetHeaders');
  for (const name of Object.keys(set)) {
    // JSON semantics, as in Tyk: `SetHeaders[x] = undefined` is no entry, not an empty header.
    if (set[name] === undefined) continue;
    remove(name);
    const key = canonicalHeaderName(name);
    headers[key] = text(set[name]);
    multi.set(key, [headers[key]]);
  }
  return {
    status_code: status,
    headers,
    multivalue_headers: [...multi].map(([key, values]) => ({ key, values })),
    raw_body: bodyBytes(returned, sent),
  };
}
