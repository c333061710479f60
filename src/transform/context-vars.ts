import { randomUUID } from 'node:crypto';
import { canonicalHeaderName, headerValue } from '../pipeline/headers';
import type { ContextValue, RequestState, Step } from '../pipeline/request-state';

/**
 * Tyk's context variables (`enable_context_vars`), taken where Tyk's context-vars middleware
 * runs: after the pre hooks, before auth. Names as Tyk's: `path`, `path_parts`, `remote_addr`,
 * `request_id` (a fresh UUID), `headers_<Canonical_Name>` (`-` as `_`, first value),
 * `headers_Host`, `cookies_<name>`, `request_data` and `request_data_<key>` (query and
 * urlencoded form fields, first value).
 */

/** Tyk's request.RealIP: X-Real-IP, else the first X-Forwarded-For entry, else the peer address. */
function realIp(state: RequestState): string {
  const real = headerValue(state.headers, 'x-real-ip');
  if (real) return real;
  const forwarded = headerValue(state.headers, 'x-forwarded-for');
  if (forwarded) return forwarded.split(',')[0]!.trim();
  return state.clientIp;
}

function formFields(state: RequestState): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  const add = (params: URLSearchParams) => {
    for (const [k, v] of params) {
      const list = fields.get(k);
      if (list) list.push(v);
      else fields.set(k, [v]);
    }
  };
  add(new URLSearchParams(state.query));
  const type = headerValue(state.headers, 'content-type') ?? '';
  if (state.body && state.body.length > 0 && /^application\/x-www-form-urlencoded\b/i.test(type)) add(new URLSearchParams(state.body.toString('utf8')));
  return fields;
}

export function collectContextVars(state: RequestState): Record<string, ContextValue> {
  const fields = formFields(state);
  const vars: Record<string, ContextValue> = {
    request_data: Object.fromEntries(fields),
    path_parts: state.path.split('/'),
    path: state.path,
    remote_addr: realIp(state),
    request_id: randomUUID(),
    headers_Host: headerValue(state.headers, 'host') ?? '',
  };
  for (const name in state.headers) {
    const value = state.headers[name];
    if (value === undefined) continue;
    vars[`headers_${canonicalHeaderName(name).replace(/-/g, '_')}`] = Array.isArray(value) ? (value[0] ?? '') : value;
  }
  const cookie = headerValue(state.headers, 'cookie');
  if (cookie) {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      vars[`cookies_${part.slice(0, eq).trim().replace(/-/g, '_')}`] = part.slice(eq + 1).trim();
    }
  }
  for (const [k, v] of fields) vars[`request_data_${k.replace(/-/g, '_')}`] = v[0] ?? '';
  return vars;
}

export function contextVarsStep(): Step {
  return {
    name: 'context_vars',
    run(state) {
      state.contextVars = collectContextVars(state);
    },
  };
}
