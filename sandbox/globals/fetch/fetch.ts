// `fetch` inside an API's isolate: the request goes to the host's network layer (src/net/) as
// an asynchronous host call, under the API's allow_net, caps and the hook's deadline. The
// guest keeps running meanwhile (other calls of its batch, other awaits).
import { type FetchAnswer, type FetchCall, NET_HOST_FUNCTIONS } from '../../../src/protocol/net';
import { settleInEntry } from '../../entry-tasks';
import { currentScope } from '../../call-scope';
import { callHostAsync } from '../../host';
import { IsogateRequest, type RequestInit } from './request';
import { IsogateResponse } from './response';

/** Deno's name for a refused permission: fetch rejects with it when allow_net does not list the host. */
export class PermissionDenied extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermissionDenied';
  }
}

function failure(answer: Extract<FetchAnswer, { ok: false }>): Error {
  if (answer.name === 'PermissionDenied') return new PermissionDenied(answer.message);
  if (answer.name === 'TimeoutError') {
    const error = new Error(answer.message);
    error.name = 'TimeoutError';
    return error;
  }
  return new TypeError(answer.message);
}

export async function isogateFetch(input: string | IsogateRequest | { href: string }, init?: RequestInit): Promise<IsogateResponse> {
  const request = new IsogateRequest(input, init);
  // The calling hook's own deadline, also after its first await (the host's bound is per entry).
  const call: FetchCall = { method: request.method, url: request.url, headers: request.headers.pairs(), redirect: request.redirect, timeoutMs: Math.max(0, currentScope().deadline - Date.now()) };
  const body = request.bodyBytes();
  if (body) call.body = body;
  const answer = await fromHost(call);
  if (!answer.ok) throw failure(answer);
  return new IsogateResponse(answer.body, { status: answer.status, statusText: answer.statusText, headers: answer.headers }, { url: answer.url, redirected: answer.redirected });
}

/**
 * The host's answer, settled at the start of an entry: the hook's code after `await fetch(...)`
 * must run under the entry's timeout, not in the untimed task that delivers the answer.
 */
function fromHost(call: FetchCall): Promise<FetchAnswer> {
  return new Promise<FetchAnswer>((resolve) => {
    settleInEntry(callHostAsync(NET_HOST_FUNCTIONS.fetch, [call]), (ok, value) =>
      resolve(ok ? (value as FetchAnswer) : { ok: false, name: 'TypeError', message: value instanceof Error ? value.message : String(value) }),
    );
  });
}
