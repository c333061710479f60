"""Start-up of one plugin host process (one per API version; src/coprocess/drivers/python/).

1. read the init line from the gateway (fd 3): sources, declared hooks, limits, socket path;
2. start the gRPC server on the Unix socket and the thread that reads the gateway's replies;
3. route print() and tracebacks to the gateway log; set RLIMIT_AS (limits.py);
4. load the plugin's modules and check every hook the API definition declares;
5. tell the gateway `ready` (or `load_error` with file, line and message, and exit 2);
6. serve until the gateway closes the channel, stops us, or dies.
"""

import faulthandler
import os
import sys
import threading

from . import limits, loader, runtime, server
from .channel import MAX_INIT_LINE, Channel, ChannelClosed, exit_now
from .output import LineWriter, Output

EXIT_LOAD_ERROR = 2


def _versions():
    import grpc
    import google.protobuf

    return {"python": sys.version.split()[0], "grpc": grpc.__version__, "protobuf": google.protobuf.__version__}


def main():
    limits.die_with_parent(int(os.environ.get("ISOGATE_PARENT_PID", "0")))
    faulthandler.enable(file=sys.__stderr__)
    channel = Channel(3)
    try:
        init = channel.read_line(MAX_INIT_LINE)
    except (ChannelClosed, OSError, ValueError):
        exit_now(0)
    output = Output(channel, init["log_lines_per_s"], init["events_per_s"])
    runtime.install(channel, output)

    def load_error(message, file=None, line=None):
        channel.send({"t": "load_error", "message": message, "file": file, "line": line})
        exit_now(EXIT_LOAD_ERROR)

    try:
        grpc_server, dispatcher = server.start(init["socket"], init["max_message_bytes"])
    except Exception as error:  # noqa: BLE001 - reported to the gateway as the load failure
        load_error("the plugin host could not start its gRPC server: %s" % error)
    replies = threading.Thread(target=channel.serve_replies, name="gateway-replies", daemon=True)
    replies.start()

    sys.stdout = LineWriter(output, "info", "<stdout>")
    sys.stderr = LineWriter(output, "error", "<stderr>")
    baseline, limit = limits.limit_address_space(init["memory_limit_mb"])

    try:
        filenames = loader.load_sources(init["sources"])
        hooks, events = loader.check_declared(init["hooks"], filenames)
    except loader.LoadError as error:
        load_error(error.message, error.file, error.line)
    except MemoryError:
        load_error("loading the middleware exceeded limits.memory_limit_mb (%d MiB)" % init["memory_limit_mb"])
    dispatcher.hooks = dict(hooks)
    dispatcher.events = dict(events)
    dispatcher.filenames = frozenset(filenames)
    sys.stdout.flush()
    sys.stderr.flush()
    channel.send(dict({"t": "ready", "pid": os.getpid(), "hooks": sorted(hooks), "events": sorted(events),
                       "baseline_bytes": baseline, "limit_bytes": limit}, **_versions()))
    replies.join()
    # The gateway is gone or done with us: in-flight hooks are abandoned with the process.
    grpc_server.stop(None)
    exit_now(0)
