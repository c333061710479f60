"""Tyk's `gateway` module: what a plugin may ask of the gateway.

    from gateway import TykGateway as tyk
    tyk.log("hello", "info"); tyk.log_error("oops")
    tyk.store_data("key", "value", 60); tyk.get_data("key")
    tyk.trigger_event("MyEvent", "payload")

store_data / get_data use the gateway's store (Redis keys `coprocess-data:...` when the gateway
uses Redis), scoped to the API's organisation. As in Tyk, a store that cannot be reached is
logged and get_data answers "" (also for a missing key); a key over 256 bytes or a value over
64 KiB raises ValueError.
"""

from _isogate_host import runtime
from _isogate_host.channel import CallFailed

__all__ = ["TykGateway", "log", "log_error", "store_data", "get_data", "trigger_event"]

_LEVELS = {"debug": "debug", "info": "info", "warning": "warn", "warn": "warn", "error": "error"}


def log(message, level="info"):
    """A line in the gateway's log, tagged with the API id. Levels: debug, info, warning, error."""
    runtime.output().log(_LEVELS.get(str(level).lower(), "info"), str(message))


def log_error(message):
    runtime.output().log("error", str(message))


def store_data(key, value, ttl=0):
    """Store `value` under `key` for `ttl` seconds (0: no expiry)."""
    try:
        runtime.store(key, value, ttl)
    except CallFailed as error:
        log_error("store_data(%r) failed: %s" % (key, error))


def get_data(key):
    """The value stored under `key`, or "" when there is none."""
    try:
        return runtime.get(key)
    except CallFailed as error:
        log_error("get_data(%r) failed: %s" % (key, error))
        return ""


def trigger_event(event_name, payload):
    """Fire gateway event `event_name` with meta {"Message": payload} (handlers in the gateway
    config's and the API's event_handlers receive it)."""
    name = runtime.text(event_name, "event_name")
    payload = runtime.text(payload, "payload")
    if name == "" or len(name) > runtime.MAX_EVENT_NAME or any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise ValueError("event_name must be 1 to %d printable characters" % runtime.MAX_EVENT_NAME)
    if len(payload.encode("utf-8")) > runtime.MAX_EVENT_PAYLOAD:
        raise ValueError("payload is longer than %d bytes" % runtime.MAX_EVENT_PAYLOAD)
    runtime.output().event(name, payload)


class TykGateway:
    log = staticmethod(log)
    log_error = staticmethod(log_error)
    store_data = staticmethod(store_data)
    get_data = staticmethod(get_data)
    trigger_event = staticmethod(trigger_event)
