"""Tyk's decorators: `@Hook` marks a function as a hook (found by its name, the `name` of a
`custom_middleware` entry), `@Event` as an event handler (the `name` in a `cp_dynamic_handler`'s
`handler_meta`).

How many parameters a hook takes selects how it is called:
  3: hook(request, session, spec)             returns (request, session)
  4: hook(request, session, metadata, spec)   returns (request, session, metadata)
  5: hook(request, response, session, metadata, spec) returns response  (response hooks)
An event handler is called as handler(event, spec) (or handler(event)).
"""

import functools
import inspect

__all__ = ["Hook", "Event", "Pre", "Post", "PostKeyAuth", "CustomKeyCheck", "HandlerDecorator"]

# Filled while the plugin's modules load; the host reads it once they have.
registry = {"hook": {}, "event": {}, "duplicates": []}


def _positional_count(f):
    code = getattr(f, "__code__", None)
    if code is not None:
        return code.co_argcount
    try:
        parameters = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in parameters if p.kind in kinds)


def _where(f):
    code = getattr(f, "__code__", None)
    return "%s:%d" % (code.co_filename, code.co_firstlineno) if code is not None else repr(f)


class HandlerDecorator:
    kind = "hook"

    def __init__(self, f):
        self.f = f
        self.name = getattr(f, "__name__", None) or repr(f)
        self.arg_count = _positional_count(f)
        self.where = _where(f)
        functools.update_wrapper(self, f, updated=())
        table = registry[self.kind]
        previous = table.get(self.name)
        if previous is not None and previous.where.rsplit(":", 1)[0] != self.where.rsplit(":", 1)[0]:
            registry["duplicates"].append((self.name, previous.where, self.where))
        table[self.name] = self

    def __call__(self, *args, **kwargs):
        return self.f(*args, **kwargs)


class Hook(HandlerDecorator):
    kind = "hook"


# Tyk's older names for the same thing: the hook type comes from the API definition, not from these.
class Pre(Hook):
    pass


class Post(Hook):
    pass


class PostKeyAuth(Hook):
    pass


class CustomKeyCheck(Hook):
    pass


class Event(HandlerDecorator):
    kind = "event"
