// A "post" plugin without require_session: Tyk gives it an empty session, and what it returns
// as SessionMeta is not applied.
var noSession = new TykJS.TykMiddleware.NewMiddleware({});

noSession.NewProcessRequest(function (request, session, config) {
  request.SetHeaders['X-Session-Keys'] = String(Object.keys(session).length);
  return noSession.ReturnData(request, { overwritten: true });
});
