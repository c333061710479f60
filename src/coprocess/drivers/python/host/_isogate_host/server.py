"""The coprocess.Dispatcher gRPC service the gateway's grpc driver calls, on a Unix socket.

One worker thread: hooks of an API run one at a time, as under Tyk's global Python lock, so
plugins written for Tyk need no locking of their own. A hook that fails answers a gRPC error
whose details say where; the gateway turns it into 500 (403 for auth_check).
"""

import json
import traceback
from concurrent import futures

import grpc

from . import calls, runtime
from .channel import exit_now
from .proto import Event, EventReply, Object

# How much of a failure's description travels back as gRPC status details (the log gets more).
MAX_DETAILS = 1024
# The exit status when the plugin asked to exit (sys.exit in a hook): the gateway restarts us.
EXIT_PLUGIN_EXIT = 3


def _where(error, filenames):
    """`file:line in function: ` of the innermost frame in the plugin's own files."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename in filenames:
            return "%s:%d in %s: " % (frame.filename, frame.lineno, frame.name)
    return ""


class Dispatcher:
    def __init__(self):
        self.hooks = {}
        self.events = {}
        self.filenames = frozenset()

    def _fail(self, context, code, error, label):
        text = "".join(traceback.format_exception_only(type(error), error)).strip()
        details = ("%s%s" % (_where(error, self.filenames), text))[:MAX_DETAILS]
        if isinstance(error, MemoryError):
            # The frames still hold what exhausted the memory: let it go before formatting more.
            traceback.clear_frames(error.__traceback__)
            report = details
        else:
            report = "".join(traceback.format_exception(type(error), error, error.__traceback__)).rstrip()
        runtime.output().log("error", "%s failed: %s" % (label, report))
        context.abort(code, details)

    def dispatch(self, obj, context):
        hook = self.hooks.get(obj.hook_name)
        if hook is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no @Hook named %r in this plugin" % obj.hook_name)
        runtime.begin_call(context.time_remaining())
        try:
            calls.run_hook(hook, obj)
        except (SystemExit, KeyboardInterrupt) as error:
            runtime.output().log("error", "hook %s called sys.exit(%s): the plugin process exits" % (hook.name, getattr(error, "code", "")))
            exit_now(EXIT_PLUGIN_EXIT)
        except MemoryError as error:
            # RESOURCE_EXHAUSTED + "MemoryError": the gateway replaces this process (limits.memory_limit_mb).
            self._fail(context, grpc.StatusCode.RESOURCE_EXHAUSTED, error, "hook %s" % hook.name)
        except calls.BadResult as error:
            self._fail(context, grpc.StatusCode.INVALID_ARGUMENT, error, "hook %s" % hook.name)
        except Exception as error:
            self._fail(context, grpc.StatusCode.UNKNOWN, error, "hook %s" % hook.name)
        finally:
            runtime.end_call()
        return obj

    def dispatch_event(self, event, context):
        try:
            name = json.loads(event.payload).get("handler_name", "")
        except (ValueError, AttributeError):
            name = ""
        handler = self.events.get(name)
        if handler is None:
            runtime.output().log("warn", "event for handler %r: no @Event function of that name" % name)
            return EventReply()
        runtime.begin_call(context.time_remaining())
        try:
            calls.run_event_handler(handler, event.payload)
        except (SystemExit, KeyboardInterrupt):
            runtime.output().log("error", "event handler %s called sys.exit: the plugin process exits" % name)
            exit_now(EXIT_PLUGIN_EXIT)
        except MemoryError as error:
            self._fail(context, grpc.StatusCode.RESOURCE_EXHAUSTED, error, "event handler %s" % name)
        except Exception as error:
            self._fail(context, grpc.StatusCode.UNKNOWN, error, "event handler %s" % name)
        finally:
            runtime.end_call()
        return EventReply()


def start(socket_path, max_message_bytes):
    """Listen on `socket_path` and return (server, dispatcher); the worker thread exists on return."""
    executor = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="hook")
    # Spawned now, before the address-space limit is set, so the first hook never has to.
    executor.submit(lambda: None).result()
    options = [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
    ]
    server = grpc.server(executor, options=options)
    dispatcher = Dispatcher()
    handler = grpc.method_handlers_generic_handler("coprocess.Dispatcher", {
        "Dispatch": grpc.unary_unary_rpc_method_handler(
            dispatcher.dispatch, request_deserializer=Object.FromString, response_serializer=Object.SerializeToString),
        "DispatchEvent": grpc.unary_unary_rpc_method_handler(
            dispatcher.dispatch_event, request_deserializer=Event.FromString, response_serializer=EventReply.SerializeToString),
    })
    server.add_generic_rpc_handlers((handler,))
    if server.add_insecure_port("unix:" + socket_path) == 0:
        raise RuntimeError("cannot listen on unix:%s" % socket_path)
    server.start()
    return server, dispatcher
