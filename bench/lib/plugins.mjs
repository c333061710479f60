// Middleware the benchmarked APIs run. Deliberately trivial: the bench measures what the gateway
// and the isolate boundary cost, not what plugin code costs.

export const AUTH_TOKEN = 'bench-token';

/** Isolate-driver hooks (classic script; coprocess Object semantics). */
export const ISOLATE_PLUGIN = `
function benchPre(request) {
  request.set_headers['X-Bench'] = '1';
}
function benchPostKeyAuth(request) {
  request.set_headers['X-Bench-Pka'] = '1';
}
function benchPost(request) {
  request.set_headers['X-Bench-Post'] = '1';
}
// auth_check for (d) and (e). The X-Bench-Auth header shows, at the upstream, whether this
// request entered the plugin: absent on an ID-extractor cache hit.
function authWith(deadline, request) {
  const token = request.headers['Authorization'];
  if (token !== '${AUTH_TOKEN}') return { request };
  request.set_headers['X-Bench-Auth'] = '1';
  return {
    request,
    // rate/per high enough never to trip: the limiter still runs its token bucket every request.
    session: { rate: 1000000, per: 1, quota_max: -1, id_extractor_deadline: deadline },
    metadata: { token },
  };
}
function benchAuthCached(request) {
  return authWith(Math.floor(Date.now() / 1000) + 365 * 24 * 3600, request);
}
function benchAuthUncached(request) {
  return authWith(0, request);
}
`;

/** System (f): a pre plugin exactly as Tyk documents JSVM middleware (driver otto). */
export const JSVM_PLUGIN = `
var benchJsvmPre = new TykJS.TykMiddleware.NewMiddleware({});
benchJsvmPre.NewProcessRequest(function(request, session, config) {
  request.SetHeaders["X-Bench"] = "1";
  return benchJsvmPre.ReturnData(request, {});
});
`;

/** A hook that fires `perCall` events, for the TykTriggerEvent rate. */
export function eventPlugin(perCall) {
  return `
const benchPayload = JSON.stringify({ bench: true, note: 'fired from an isolate hook' });
function benchEvents(request) {
  for (let i = 0; i < ${perCall}; i++) TykTriggerEvent('BenchEvent', benchPayload);
  request.set_headers['X-Bench'] = '1';
}
`;
}

/** A keyless API definition (Tyk classic keys) pointing at the bench upstream. */
export function apiDefinition(apiId, listenPath, target, extra = {}) {
  return {
    api_id: apiId,
    org_id: 'bench',
    name: apiId,
    active: true,
    use_keyless: true,
    proxy: { listen_path: listenPath, target_url: target, strip_listen_path: true },
    ...extra,
  };
}

const entry = (name, path) => ({ name, path });

/** An API with one isolate `pre` hook that sets a header (system (c), the RSS and cold-start APIs). */
export function preHookApi(apiId, listenPath, target, pluginFile = 'bench-plugin.js') {
  return apiDefinition(apiId, listenPath, target, {
    custom_middleware: { driver: 'isolate', pre: [entry('benchPre', pluginFile)] },
  });
}

/** pre + auth_check (ID extractor on Authorization) + post_key_auth + post: systems (d) and (e). */
export function authChainApi(apiId, listenPath, target, authName, pluginFile = 'bench-plugin.js') {
  return apiDefinition(apiId, listenPath, target, {
    use_keyless: false,
    custom_plugin_auth_enabled: true,
    custom_middleware: {
      driver: 'isolate',
      pre: [entry('benchPre', pluginFile)],
      auth_check: entry(authName, pluginFile),
      post_key_auth: [entry('benchPostKeyAuth', pluginFile)],
      post: [entry('benchPost', pluginFile)],
      id_extractor: { extract_from: 'header', extract_with: 'value', extractor_config: { header_name: 'Authorization' } },
    },
  });
}

/** System (f): Tyk's JSVM definition style; `name` is the middleware variable. */
export function jsvmApi(apiId, listenPath, target, pluginFile = 'bench-jsvm.js') {
  return apiDefinition(apiId, listenPath, target, {
    custom_middleware: { driver: 'otto', pre: [entry('benchJsvmPre', pluginFile)] },
  });
}

/** The noisy neighbour's hook: every `every`-th call spins until the hook's timeout. */
export function noisyPlugin(every) {
  return `
let noisyCalls = 0;
function noisyPre(request) {
  // The counter restarts with each rebuilt isolate, so every ${every}th call after it spins again.
  if (++noisyCalls % ${every} === 0) for (;;) {}
  request.set_headers['X-Noisy'] = '1';
}
`;
}
