-- A Tyk-style Lua auth_check: (request, session, metadata, spec) in; success is a returned
-- session plus metadata.token. With an ID extractor, the session is cached under the
-- credential until id_extractor_deadline, and this function is not called again until then.
auth_calls = 0

function MyAuthCheck(request, session, metadata, spec)
  auth_calls = auth_calls + 1
  local token = request.headers["Authorization"]
  if token ~= "lua-secret" then
    -- No token: the gateway answers 403 Forbidden.
    return request, session, metadata
  end
  session.rate = 1000.0
  session.per = 1.0
  session.quota_max = -1
  session.id_extractor_deadline = os.time() + 60
  session.metadata = { user = "lua-user", calls = tostring(auth_calls) }
  metadata.token = token
  return request, session, metadata
end

-- A post hook sees the session auth_check made.
function ReportSession(request, session, spec)
  tyk.req.set_header("X-User", session.metadata.user or "none")
  tyk.req.set_header("X-Auth-Calls", tostring(auth_calls))
  return request, session
end
