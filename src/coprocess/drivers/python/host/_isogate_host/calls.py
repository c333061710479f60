"""Running one hook on one Object the way Tyk's Python dispatcher does.

The hook gets `request` (TykCoProcessRequest around object.request), the Object's session,
metadata and spec maps, and returns them; whatever it returns is written back into the Object,
which goes back to the gateway whole. The gateway then applies it with the same code as for
every other driver (src/coprocess/message.ts), including its checks of what a plugin may return.
"""

import json

from tyk.request import TykCoProcessRequest

from .proto import HookType, MiniRequestObject, ResponseObject, SessionState


class BadResult(Exception):
    """The hook returned something that is not what its signature promises."""


def _as_string(value):
    return value if isinstance(value, str) else json.dumps(value)


def _request_back(obj, returned, name):
    inner = returned.object if isinstance(returned, TykCoProcessRequest) else returned
    if not isinstance(inner, MiniRequestObject):
        raise BadResult("hook %s returned %s as the request; return the request it was given" % (name, type(returned).__name__))
    if inner is not obj.request:
        obj.request.CopyFrom(inner)


def _session_back(obj, returned, name):
    if returned is None or returned is obj.session:
        return
    if not isinstance(returned, SessionState):
        raise BadResult("hook %s returned %s as the session" % (name, type(returned).__name__))
    obj.session.CopyFrom(returned)


def _metadata_back(obj, returned, name):
    """Metadata is merged into the Object's metadata and into the session's, as Tyk does."""
    if returned is None:
        return
    if not hasattr(returned, "items"):
        raise BadResult("hook %s returned %s as the metadata; return a dict" % (name, type(returned).__name__))
    merged = {str(k): _as_string(v) for k, v in list(returned.items())}
    for key, value in merged.items():
        obj.metadata[key] = value
        obj.session.metadata[key] = value


def _unpack(result, count, name):
    if not isinstance(result, (tuple, list)) or len(result) != count:
        shape = "(request, session)" if count == 2 else "(request, session, metadata)"
        raise BadResult("hook %s returned %s; it must return %s" % (name, type(result).__name__, shape))
    return result


def run_hook(hook, obj):
    """Call `hook` (a tyk.decorators.Hook) on `obj` (a coprocess Object), in place."""
    name = hook.name
    request = TykCoProcessRequest(obj.request)
    if obj.hook_type == HookType.Response:
        result = hook.f(request, obj.response, obj.session, obj.metadata, obj.spec)
        if not isinstance(result, ResponseObject):
            raise BadResult("response hook %s returned %s; it must return the response" % (name, type(result).__name__))
        if result is not obj.response:
            obj.response.CopyFrom(result)
        return
    if hook.arg_count == 3:
        returned_request, returned_session = _unpack(hook.f(request, obj.session, obj.spec), 2, name)
        _request_back(obj, returned_request, name)
        _session_back(obj, returned_session, name)
        return
    returned_request, returned_session, returned_metadata = _unpack(hook.f(request, obj.session, obj.metadata, obj.spec), 3, name)
    _request_back(obj, returned_request, name)
    _session_back(obj, returned_session, name)
    _metadata_back(obj, returned_metadata, name)


def run_event_handler(handler, payload):
    """`payload` is the gateway's `{message, handler_name, spec}` JSON."""
    event = json.loads(payload)
    message, spec = event.get("message", {}), event.get("spec", {})
    if handler.arg_count == 1:
        handler.f(message)
    else:
        handler.f(message, spec)
