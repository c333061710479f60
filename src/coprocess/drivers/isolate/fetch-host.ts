import type { HostFunctions } from './host-calls';
import { type FetchAnswer, NET_HOST_FUNCTIONS } from '../../../protocol/net';
import type { NetAccess } from '../../../net/access';
import { NetError } from '../../../net/errors';
import { netFetch } from '../../../net/fetch';

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The host side of `fetch` in an isolate (sandbox/globals/fetch/fetch.ts). Never throws: failures are answers. */
export function netHostFunctions(access: NetAccess): HostFunctions {
  return {
    [NET_HOST_FUNCTIONS.fetch]: async ([call], { signal }): Promise<FetchAnswer> => {
      try {
        const c = (call ?? {}) as Record<string, unknown>;
        const headers = Array.isArray(c.headers) ? (c.headers as unknown[]).map((p) => (Array.isArray(p) ? [String(p[0]), String(p[1])] as const : ['', ''] as const)) : [];
        const body = c.body instanceof Uint8Array ? c.body : undefined;
        const redirect = c.redirect === 'manual' || c.redirect === 'error' ? c.redirect : 'follow';
        // The guest's budget of the calling hook can only shorten the host's, never extend it.
        const own = typeof c.timeoutMs === 'number' && Number.isFinite(c.timeoutMs) ? AbortSignal.any([signal, AbortSignal.timeout(Math.max(0, c.timeoutMs))]) : signal;
        const r = await netFetch(access, { method: text(c.method), url: text(c.url), headers, body, redirect }, own);
        return { ok: true, status: r.status, statusText: r.statusText, url: r.url, redirected: r.redirected, headers: r.headers, body: r.body };
      } catch (err) {
        const e = err instanceof NetError ? err : new NetError('TypeError', err instanceof Error ? err.message : String(err));
        return { ok: false, name: e.kind, message: e.message };
      }
    },
  };
}
