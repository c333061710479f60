// A Tyk JSVM "pre" plugin, written exactly as for Tyk (driver "otto" or "javascript"):
//   "custom_middleware": { "driver": "otto",
//     "pre": [{ "name": "samplePre", "path": "middleware/jsvm/sample-pre.js" }] }
// The variable name must equal the entry's "name".
var samplePre = new TykJS.TykMiddleware.NewMiddleware({});

samplePre.NewProcessRequest(function (request, session, config) {
  log('samplePre: ' + request.Method + ' ' + request.URL);

  // Headers arrive as arrays of values; changes go through SetHeaders / DeleteHeaders.
  request.SetHeaders['X-Greeting'] = config.config_data.greeting;
  request.SetHeaders['X-Api-Id'] = config.APIID;
  request.SetHeaders['X-Seen-Host'] = request.Headers['Host'] ? 'yes' : 'no';
  request.DeleteHeaders.push('X-Internal-Secret');

  // Query parameters: Params is read-only, AddParams / DeleteParams change the upstream query.
  request.SetHeaders['X-Old-Page'] = request.Params['page'] ? request.Params['page'][0] : 'none';
  request.AddParams['page'] = '2';
  request.DeleteParams.push('debug');

  // The body is a string: replace it.
  if (request.Body !== '') request.Body = JSON.stringify({ wrapped: JSON.parse(request.Body), by: 'samplePre' });

  return samplePre.ReturnData(request, {});
});

log('samplePre initialised');
