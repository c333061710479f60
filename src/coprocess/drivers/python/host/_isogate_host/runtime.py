"""The host's connection to the gateway as the `gateway` module (TykGateway) uses it.

Set up once by main.py before any plugin code runs. Limits that the gateway also enforces are
checked here too, so a plugin gets a ValueError at the line that broke them.
"""

import threading
import time

from .channel import CallFailed

# As for Tyk's JavaScript store: keys up to 256 bytes, values up to 64 KiB.
MAX_KEY_BYTES = 256
MAX_VALUE_BYTES = 64 * 1024
MAX_EVENT_NAME = 256
MAX_EVENT_PAYLOAD = 64 * 1024
# A store call outside a hook (top-level code, an event handler) waits at most this long.
DEFAULT_CALL_TIMEOUT_S = 5.0

_state = {"channel": None, "output": None}
_call = threading.local()


def install(channel, output):
    _state["channel"] = channel
    _state["output"] = output


def output():
    return _state["output"]


def begin_call(seconds_left):
    """The hook on this thread must finish within `seconds_left`; store calls wait no longer."""
    _call.deadline = None if seconds_left is None else time.monotonic() + seconds_left


def end_call():
    _call.deadline = None


def _timeout():
    deadline = getattr(_call, "deadline", None)
    if deadline is None:
        return DEFAULT_CALL_TIMEOUT_S
    return max(0.0, min(DEFAULT_CALL_TIMEOUT_S, deadline - time.monotonic()))


def text(value, what):
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("%s must be UTF-8 text" % what)
    if not isinstance(value, str):
        raise TypeError("%s must be a str, not %s" % (what, type(value).__name__))
    return value


def check_key(key):
    key = text(key, "key")
    if key == "":
        raise ValueError("key must not be empty")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise ValueError("key is longer than %d bytes" % MAX_KEY_BYTES)
    return key


def store(key, value, ttl):
    key = check_key(key)
    value = text(value, "value")
    if len(value.encode("utf-8")) > MAX_VALUE_BYTES:
        raise ValueError("value is longer than %d bytes" % MAX_VALUE_BYTES)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0:
        raise ValueError("ttl must be a whole number of seconds >= 0 (0: no expiry)")
    _state["channel"].call({"t": "store", "key": key, "value": value, "ttl": ttl}, _timeout())


def get(key):
    key = check_key(key)
    reply = _state["channel"].call({"t": "get", "key": key}, _timeout())
    return reply.get("value", "")


__all__ = ["CallFailed", "install", "output", "begin_call", "end_call", "store", "get", "text"]
