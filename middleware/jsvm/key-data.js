// TykSetKeyData / TykGetKeyData: plugins create and read keys in the gateway's key store.
var keyMaker = new TykJS.TykMiddleware.NewMiddleware({});

keyMaker.NewProcessRequest(function (request, session, config) {
  var name = request.Params['key'][0];
  TykSetKeyData(name, JSON.stringify({
    rate: 5, per: 60, quota_max: 100, quota_renewal_rate: 3600,
    access_rights: {}, meta_data: { made_by: 'keyMaker', api: config.APIID }
  }), '0');
  var stored = JSON.parse(TykGetKeyData(name, config.APIID));
  request.SetHeaders['X-Made-By'] = stored.meta_data.made_by;
  request.SetHeaders['X-Quota-Remaining'] = String(stored.quota_remaining);
  request.SetHeaders['X-Missing'] = JSON.parse(TykGetKeyData('no-such-key', config.APIID)).message;
  return keyMaker.ReturnData(request, {});
});
