// A "post" plugin with `"require_session": true`: it receives the key's session (Tyk session
// JSON) and returns new meta_data as the second argument of ReturnData. When that differs from
// the session's meta_data, it replaces it and the key is saved.
var visitCounter = new TykJS.TykMiddleware.NewMiddleware({});

visitCounter.NewProcessRequest(function (request, session, config) {
  var meta = session.meta_data || {};
  meta.visits = (meta.visits || 0) + 1;
  meta.last_url = request.URL;
  request.SetHeaders['X-Visits'] = String(meta.visits);
  request.SetHeaders['X-User'] = meta.user || 'anonymous';
  return visitCounter.ReturnData(request, meta);
});
