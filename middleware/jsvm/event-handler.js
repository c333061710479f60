// A Tyk JSVM event handler. isogate delivers an API's events to it through a
// `cp_dynamic_handler` entry of that API's event_handlers whose handler_meta.name is this
// variable's name; the file must be one the API loads (a hook's `path`, or a file in
// middleware_path/{api_id}/):
//   "event_handlers": { "events": { "AuthFailure": [
//     { "handler_name": "cp_dynamic_handler", "handler_meta": { "name": "authFailureHandler" } } ] } }
var authFailureHandler = new TykJS.TykEventHandlers.NewEventHandler({});

authFailureHandler.NewHandler(function (event, context) {
  log('JSVM event handler: ' + event.Type + ' on API ' + context.APIID + ' (org ' + context.OrgID + '): ' +
      event.Meta.Message + ' at ' + event.Meta.Path);
});
