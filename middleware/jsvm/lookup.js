// TykMakeHttpRequest: a synchronous HTTP call from a plugin. The gateway only lets it reach
// targets listed in its `jsvm_http_allow` config.
var lookupUser = new TykJS.TykMiddleware.NewMiddleware({});

lookupUser.NewProcessRequest(function (request, session, config) {
  var reply = TykMakeHttpRequest(JSON.stringify({
    Method: 'POST',
    Domain: config.config_data.lookup_service,
    Resource: '/users/lookup?id=' + (request.Params['id'] ? request.Params['id'][0] : ''),
    Headers: { 'Content-Type': 'application/json', 'X-From': 'jsvm' },
    Body: JSON.stringify({ path: request.URL })
  }));
  if (reply === undefined) {
    request.ReturnOverrides.ResponseCode = 502;
    request.ReturnOverrides.ResponseError = 'lookup failed';
    return lookupUser.ReturnData(request, {});
  }
  var response = JSON.parse(reply);
  request.SetHeaders['X-Lookup-Code'] = String(response.Code);
  request.SetHeaders['X-Lookup-Same'] = String(response.code === response.Code && response.body === response.Body);
  request.SetHeaders['X-Lookup-Type'] = response.Headers['Content-Type'][0];
  request.SetHeaders['X-Lookup-User'] = JSON.parse(response.Body).user;
  return lookupUser.ReturnData(request, {});
});
