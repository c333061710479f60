// Middleware for the "hooked" demo API. Runs in the API's own V8 isolate.
// Each hook gets Tyk's coprocess objects with proto field names and may change them in place.

let requests = 0; // isolate globals persist between calls until the API is reloaded

function addGreeting(request, session, metadata, spec) {
  requests += 1;
  const config = JSON.parse(spec.config_data || '{}');
  request.set_headers['X-Greeting'] = config.greeting || 'hello';
  request.set_headers['X-Request-Count'] = String(requests);
  return { request };
}

// Accepts "Authorization: demo-<anything>". A real plugin would check a signature or call out.
function checkToken(request, session, metadata) {
  const token = request.headers['Authorization'] || '';
  if (!token.startsWith('demo-')) {
    request.return_overrides.response_code = 403;
    request.return_overrides.response_error = 'demo tokens start with "demo-"';
    return { request };
  }
  TykTriggerEvent('DemoLogin', token);
  return {
    request,
    session: {
      rate: 100,
      per: 1,
      quota_max: -1,
      // Let the gateway serve this identity from its cache for 60 s without calling checkToken.
      id_extractor_deadline: Math.floor(Date.now() / 1000) + 60,
      metadata: { user: token.slice(5) },
    },
    metadata: { token },
  };
}

function tagUser(request, session) {
  request.set_headers['X-User'] = (session.metadata && session.metadata.user) || 'anonymous';
  return { request };
}
