// Tyk's JSVM core library, the API every Tyk JavaScript plugin is written against:
//
//   var mw = new TykJS.TykMiddleware.NewMiddleware({});
//   mw.NewProcessRequest(function (request, session, config) { ...; return mw.ReturnData(request, {}); });
//
//   var h = new TykJS.TykEventHandlers.NewEventHandler({});
//   h.NewHandler(function (event, context) { ... });
//
// Constructors and prototypes, not classes: plugins written for ES5 engines call them with
// `new`, inherit from them with Object.create, and override prototype methods. The gateway calls
// `<name>.DoProcessRequest(request, session, config)` (and DoProcessResponse / DoProcessEvent);
// unlike Tyk's, the objects go in and out as objects: there is no JSON or base64 text between.

type Handler = (...args: unknown[]) => unknown;

interface MiddlewareObject {
  configuration: unknown;
  ProcessRequest: Handler;
  ProcessResponse: Handler;
}

interface EventHandlerObject {
  configuration: unknown;
  Handle: Handler;
}

function missing(what: string, setter: string): Handler {
  return function () {
    throw new Error(`no ${what} handler: call ${setter}(function ...) on this object first`);
  };
}

function MiddlewareComponentMeta(this: MiddlewareObject, configuration?: unknown): void {
  this.configuration = configuration;
}
MiddlewareComponentMeta.prototype.ProcessRequest = missing('request', 'NewProcessRequest');
MiddlewareComponentMeta.prototype.ProcessResponse = missing('response', 'NewProcessResponse');
MiddlewareComponentMeta.prototype.DoProcessRequest = function (this: MiddlewareObject, request: unknown, session: unknown, config: unknown): unknown {
  return this.ProcessRequest(request, session, config);
};
MiddlewareComponentMeta.prototype.DoProcessResponse = function (
  this: MiddlewareObject,
  response: unknown,
  request: unknown,
  session: unknown,
  config: unknown,
): unknown {
  return this.ProcessResponse(response, request, session, config);
};

function NewMiddleware(this: MiddlewareObject, configuration?: unknown): void {
  MiddlewareComponentMeta.call(this, configuration);
}
NewMiddleware.prototype = Object.create(MiddlewareComponentMeta.prototype);
NewMiddleware.prototype.constructor = NewMiddleware;
NewMiddleware.prototype.NewProcessRequest = function (this: MiddlewareObject, callback: Handler): void {
  this.ProcessRequest = callback;
};
NewMiddleware.prototype.NewProcessResponse = function (this: MiddlewareObject, callback: Handler): void {
  this.ProcessResponse = callback;
};
NewMiddleware.prototype.ReturnData = (request: unknown, sessionMeta: unknown) => ({ Request: request, SessionMeta: sessionMeta });
NewMiddleware.prototype.ReturnAuthData = (request: unknown, session: unknown) => ({ Request: request, Session: session });
NewMiddleware.prototype.ReturnResponseData = (response: unknown, sessionMeta: unknown) => ({ Response: response, SessionMeta: sessionMeta });

function EventHandlerComponentMeta(this: EventHandlerObject, configuration?: unknown): void {
  this.configuration = configuration;
}
EventHandlerComponentMeta.prototype.Handle = missing('event', 'NewHandler');
EventHandlerComponentMeta.prototype.DoProcessEvent = function (this: EventHandlerObject, event: unknown, context: unknown): void {
  // Tyk's handlers receive the event as an object; accept its JSON text as well.
  this.Handle(typeof event === 'string' ? JSON.parse(event) : event, context);
};

function NewEventHandler(this: EventHandlerObject, configuration?: unknown): void {
  EventHandlerComponentMeta.call(this, configuration);
}
NewEventHandler.prototype = Object.create(EventHandlerComponentMeta.prototype);
NewEventHandler.prototype.constructor = NewEventHandler;
NewEventHandler.prototype.NewHandler = function (this: EventHandlerObject, callback: Handler): void {
  this.Handle = callback;
};

/** The `TykJS` namespace object (a fresh one per isolate). */
export function createTykJS(): Record<string, unknown> {
  return {
    TykMiddleware: { MiddlewareComponentMeta, NewMiddleware },
    TykEventHandlers: { EventHandlerComponentMeta, NewEventHandler },
  };
}

/** A middleware object's request or response entry point, if `value` is one. */
export function entryPoint(value: unknown, name: 'DoProcessRequest' | 'DoProcessResponse' | 'DoProcessEvent'): Handler | undefined {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined;
  const fn = (value as Record<string, unknown>)[name];
  return typeof fn === 'function' ? (fn as Handler) : undefined;
}
