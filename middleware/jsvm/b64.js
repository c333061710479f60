// Tyk's base64 natives: b64enc/b64dec (padded; b64dec also takes unpadded input such as JWT
// segments) and rawb64enc/rawb64dec (unpadded). This plugin reports what they give for the
// request body, and the claims of a JWT in the Authorization header, as the new body.
var b64Helpers = new TykJS.TykMiddleware.NewMiddleware({});

b64Helpers.NewProcessRequest(function (request, session, config) {
  var text = request.Body;
  var report = {
    b64enc: b64enc(text),
    rawb64enc: rawb64enc(text),
    b64dec: b64dec(b64enc(text)),
    rawb64dec: rawb64dec(rawb64enc(text)),
    b64decUnpadded: b64dec(rawb64enc(text)),
    b64decInvalid: String(b64dec('!!not base64!!'))
  };
  var auth = request.Headers['Authorization'];
  if (auth) {
    var payload = auth[0].replace('Bearer ', '').split('.')[1];
    report.jwtClaims = JSON.parse(b64dec(payload));
  }
  request.Body = JSON.stringify(report);
  return b64Helpers.ReturnData(request, {});
});
