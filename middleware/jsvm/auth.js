// Tyk's JavaScript authentication example (driver "otto", `auth_check` with
// `enable_coprocess_auth`): reject with ReturnOverrides, accept by returning a session through
// ReturnAuthData. Unchanged from Tyk.
var ottoAuthExample = new TykJS.TykMiddleware.NewMiddleware({});

ottoAuthExample.NewProcessRequest(function (request, session, config) {
  if (request.Headers['Authorization'] === undefined) {
    request.ReturnOverrides.ResponseCode = 401;
    request.ReturnOverrides.ResponseError = 'Header missing (JS middleware)';
    return ottoAuthExample.ReturnData(request);
  }

  if (request.Headers['Authorization'][0] !== 'foobar') {
    request.ReturnOverrides.ResponseCode = 401;
    request.ReturnOverrides.ResponseError = 'Not authorized (JS middleware)';
    return ottoAuthExample.ReturnData(request);
  }

  var session = {
    allowance: 100,
    rate: 100,
    per: 1,
    quota_max: -1,
    quota_renews: 1906121006,
    expires: 1906121006,
    access_rights: {}
  };
  return ottoAuthExample.ReturnAuthData(request, session);
});

log('ottoAuthExample initialised');
