// The private contract between the network layer's host function (src/coprocess/drivers/isolate/fetch-host.ts)
// and `fetch` inside isolates (sandbox/globals/fetch/). Imported by both sides: no Node APIs.

export const NET_HOST_FUNCTIONS = {
  /** `(request: FetchCall) => FetchAnswer`, called with callHostAsync. */
  fetch: 'isogate.fetch',
} as const;

export interface FetchCall {
  method: string;
  url: string;
  headers: [string, string][];
  body?: Uint8Array;
  redirect: 'follow' | 'manual' | 'error';
  /** What is left of the calling hook's budget (sandbox/call-scope.ts): the request ends by then. */
  timeoutMs?: number;
}

export type FetchAnswer =
  | { ok: true; status: number; statusText: string; url: string; redirected: boolean; headers: [string, string][]; body: Uint8Array }
  | { ok: false; name: 'PermissionDenied' | 'TypeError' | 'TimeoutError'; message: string };
