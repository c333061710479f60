// Sample plugin and Objects for the Lua runtime's warm-up (adapter.ts `warmUp`): the host runs
// them once in a throwaway node:vm context so that the functions a real hook call uses are in
// the V8 code cache every Lua isolate starts from (src/coprocess/drivers/isolate/runtime-script.ts).
import { coprocess } from '../wire/codec';

const source = `
local cjson = require "cjson"
local calls = 0

function warm_pre(request, session, spec)
  calls = calls + 1
  tyk.req.set_header("X-Warm", tostring(calls))
  tyk.req.clear_header("X-Cold")
  local headers = tyk.req.get_headers()
  local data = cjson.decode(spec.config_data or "{}")
  data.host = headers["Host"]
  request.add_params["warm"] = cjson.encode(data)
  request.delete_params[#request.delete_params + 1] = "cold"
  request.raw_body = request.raw_body .. string.format("%d", #request.body)
  print("warm", calls, request.url)
  return request, session
end

function warm_auth(request, session, metadata, spec)
  session.rate = 100
  session.per = 1
  session.metadata = { user = "warm" }
  metadata.token = request.headers["Authorization"]
  return request, session, metadata
end

function warm_response(request, response, session, metadata, spec)
  response.headers["X-Warm"] = "yes"
  response.raw_body = string.upper(response.raw_body)
  return response
end

function warm_event(event, spec)
  log(event.Type .. spec.APIID, "debug")
end
`;

function objects(): Record<string, unknown>[] {
  const request = {
    headers: { Host: 'warm.example', Authorization: 'warm-token', 'Content-Type': 'application/json' },
    body: '{"warm":true}',
    raw_body: new Uint8Array([0x7b, 0x22, 0x77, 0x61, 0x72, 0x6d, 0x22, 0x3a, 0x74, 0x72, 0x75, 0x65, 0x7d]),
    url: '/warm?cold=1',
    params: { cold: '1' },
    return_overrides: { response_code: -1 },
    method: 'POST',
    request_uri: '/warm?cold=1',
    scheme: 'http',
  };
  const spec = { OrgID: 'warm', APIID: 'warm', config_data: '{"greeting":"hi"}' };
  const session = { rate: 10, per: 1, quota_max: -1, metadata: { user: 'warm' } };
  return [
    { hook_type: coprocess.HookType.Pre, hook_name: 'warm_pre', request, spec },
    { hook_type: coprocess.HookType.CustomKeyCheck, hook_name: 'warm_auth', request, spec },
    {
      hook_type: coprocess.HookType.Response,
      hook_name: 'warm_response',
      request,
      session,
      metadata: session.metadata,
      spec,
      response: { status_code: 200, raw_body: new Uint8Array([0x68, 0x69]), body: 'hi', headers: { 'Content-Type': 'text/plain' }, multivalue_headers: [{ key: 'Content-Type', values: ['text/plain'] }] },
    },
  ];
}

export const WARM_UP = { source, hooks: ['warm_pre', 'warm_auth', 'warm_response'], objects };
