// A JS auth plugin that names the key its session is stored under: the top-level AuthValue of
// the returned object. Tyk then keeps the session like any key (rate limits, quota, /tyk/keys).
var keyedAuth = new TykJS.TykMiddleware.NewMiddleware({});

keyedAuth.NewProcessRequest(function (request, session, config) {
  var header = request.Headers['X-Api-Token'];
  if (!header || header[0].indexOf('user-') !== 0) {
    request.ReturnOverrides.ResponseCode = 403;
    request.ReturnOverrides.ResponseError = 'Unknown token';
    return keyedAuth.ReturnData(request, {});
  }
  var result = keyedAuth.ReturnAuthData(request, {
    rate: 1000,
    per: 1,
    quota_max: -1,
    access_rights: {},
    meta_data: { user: header[0].slice(5), level: 3, tags: ['js'] }
  });
  result.AuthValue = header[0];
  return result;
});
