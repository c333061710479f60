-- A Tyk-style Lua pre hook (driver "lua"): a global function named by the hook entry gets
-- (request, session, spec) and returns the request and the session.
local cjson = require "cjson"

-- Globals live as long as the API's isolate: this counts calls until the API is reloaded.
calls = 0

function MyPreMiddleware(request, session, spec)
  calls = calls + 1
  tyk.req.set_header("X-Lua", "hello from lua")
  tyk.req.set_header("X-Lua-Calls", tostring(calls))
  tyk.req.clear_header("X-Remove-Me")

  -- config_data arrives as JSON text in spec, as Tyk sends it.
  local config = cjson.decode(spec.config_data or "{}")
  request.set_headers["X-Greeting"] = config.greeting or "none"
  request.set_headers["X-Api"] = spec.APIID

  request.add_params["added"] = "yes"
  table.insert(request.delete_params, "secret")
  return request, session
end
