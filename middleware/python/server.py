#!/usr/bin/env python3
"""Example gRPC plugin server for isogate, in the style of a Tyk gRPC plugin.

The gateway is the gRPC client of `coprocess.Dispatcher` (proto/*.proto): every hook arrives as
one `Dispatch(Object)` call and the server must return the whole Object, changed where it wants
the gateway to act. Events configured with `cp_dynamic_handler` arrive through `DispatchEvent`.
The same server works unchanged with Tyk Gateway.

The stubs (coprocess_object_pb2 and friends) are generated from the proto files at start-up by
run.sh; see README.md.

API definition for these hooks:
    "custom_middleware": {
      "driver": "grpc",
      "pre": [{"name": "MyPreHook"}],
      "auth_check": {"name": "MyAuthCheck"},
      "post": [{"name": "MyPostHook"}],
      "response": [{"name": "MyResponseHook"}]
    }
"""

import argparse
import hashlib
import json
import logging
import os
import signal
import sys
import threading
import time
from concurrent import futures

import grpc

import coprocess_common_pb2
import coprocess_object_pb2
import coprocess_object_pb2_grpc

log = logging.getLogger("plugin-server")

# A session proven by MyAuthCheck may be served from the gateway's ID-extractor cache for this long.
ID_EXTRACTOR_TTL_SECONDS = 60


class EventRecorder:
    """Keeps every delivered event: printed to the log and, if a path is given, appended as a JSON line."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def record(self, event):
        log.info("event %s for handler %s", event.get("message", {}).get("Type"), event.get("handler_name"))
        if not self.path:
            return
        with self.lock, open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(event) + "\n")


class MyDispatcher(coprocess_object_pb2_grpc.DispatcherServicer):
    """Routes each hook by its name, as given in the API definition's `custom_middleware`."""

    def __init__(self, valid_tokens, events):
        self.valid_tokens = set(valid_tokens)
        self.events = events
        self.auth_calls = {}
        self.auth_lock = threading.Lock()
        self.hooks = {
            "MyPreHook": self.pre_hook,
            "MyAuthCheck": self.auth_check,
            "MyPostHook": self.post_hook,
            "MyResponseHook": self.response_hook,
        }
        self.event_handlers = {"MyEventHandler": self.events.record}

    def Dispatch(self, object_msg, context):
        hook = self.hooks.get(object_msg.hook_name)
        if hook is None:
            # Unknown hooks pass the request through untouched: the Object goes back as it came.
            log.warning("no hook named %r (hook_type %s)", object_msg.hook_name,
                        coprocess_common_pb2.HookType.Name(object_msg.hook_type))
            return object_msg
        hook(object_msg)
        return object_msg

    def DispatchEvent(self, event_msg, context):
        event = json.loads(event_msg.payload)
        handler = self.event_handlers.get(event.get("handler_name"), self.events.record)
        handler(event)
        return coprocess_object_pb2.EventReply()

    # --- pre: runs before authentication -------------------------------------------------------

    def pre_hook(self, object_msg):
        request = object_msg.request
        # Map fields: .get() reads without inserting a key (indexing a missing key would add it).
        if request.params.get("deny"):
            request.return_overrides.response_code = 403
            request.return_overrides.response_error = "Denied by the Python pre hook"
            return
        if request.params.get("direct"):
            # Any non-error code answers the client directly: the upstream is never called.
            request.return_overrides.response_code = 200
            request.return_overrides.response_body = json.dumps({"answered_by": "MyPreHook"})
            request.return_overrides.headers["Content-Type"] = "application/json"
            request.return_overrides.headers["X-Answered-By"] = "python"
            return
        request.set_headers["X-Pre-Hook"] = "python"
        # Proves the plugin saw the exact body bytes; raw_body itself goes back unchanged.
        request.set_headers["X-Body-Sha256"] = hashlib.sha256(request.raw_body).hexdigest()
        request.set_headers["X-Body-Length"] = str(len(request.raw_body))
        request.delete_headers.append("X-Remove-Me")
        request.add_params["from_pre"] = "python"
        request.delete_params.append("remove_me")

    # --- auth_check: decides who the caller is -------------------------------------------------

    def auth_check(self, object_msg):
        request = object_msg.request
        authorization = request.headers.get("Authorization", "")
        token = authorization[7:] if authorization.lower().startswith("bearer ") else authorization
        if token not in self.valid_tokens:
            request.return_overrides.response_code = 403
            request.return_overrides.response_error = "Access denied by the Python auth_check"
            return

        with self.auth_lock:
            calls = self.auth_calls.get(token, 0) + 1
            self.auth_calls[token] = calls

        now = int(time.time())
        session = object_msg.session
        session.rate = 100.0
        session.per = 1.0
        session.quota_max = 1000
        session.quota_remaining = 1000
        session.quota_renewal_rate = 3600
        session.quota_renews = now + 3600
        # While this deadline is in the future the gateway answers from its ID-extractor cache
        # without calling this hook again.
        session.id_extractor_deadline = now + ID_EXTRACTOR_TTL_SECONDS
        session.metadata["auth_calls"] = str(calls)
        # A token in the metadata is what marks the authentication as successful.
        object_msg.metadata["token"] = token

    # --- post: runs after authentication, rate limits and quotas -------------------------------

    def post_hook(self, object_msg):
        request = object_msg.request
        request.set_headers["X-Post-Hook"] = "python"
        if object_msg.HasField("session"):
            calls = object_msg.session.metadata.get("auth_calls")
            if calls:
                request.set_headers["X-Auth-Calls"] = calls

    # --- response: runs on the upstream's answer -----------------------------------------------

    def response_hook(self, object_msg):
        response = object_msg.response
        replaced = json.dumps({
            "replaced_by": "MyResponseHook",
            "upstream_status": response.status_code,
            "upstream_body_bytes": len(response.raw_body),
        }).encode("utf-8")
        # The gateway sends raw_body to the client; body is only the text view of it.
        response.raw_body = replaced
        response.body = replaced.decode("utf-8")
        response.headers["Content-Type"] = "application/json"
        response.headers["X-Response-Hook"] = "python"


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Example Tyk-style gRPC plugin server")
    parser.add_argument("--host", default=os.environ.get("PLUGIN_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PLUGIN_PORT", "5555")),
                        help="0 picks a free port; the chosen address is printed on stdout")
    parser.add_argument("--listen", default=os.environ.get("PLUGIN_LISTEN"),
                        help="full gRPC address instead of host/port, e.g. unix:///tmp/plugin.sock")
    parser.add_argument("--token", action="append", dest="tokens",
                        help="a token MyAuthCheck accepts (repeatable); default from PLUGIN_AUTH_TOKENS")
    parser.add_argument("--event-log", default=os.environ.get("PLUGIN_EVENT_LOG"),
                        help="append every delivered event to this file as one JSON line")
    args = parser.parse_args(argv)
    if not args.tokens:
        args.tokens = [t for t in os.environ.get("PLUGIN_AUTH_TOKENS", "secret-token").split(",") if t]
    return args


def serve(args):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    coprocess_object_pb2_grpc.add_DispatcherServicer_to_server(
        MyDispatcher(args.tokens, EventRecorder(args.event_log)), server)
    address = args.listen or "%s:%d" % (args.host, args.port)
    bound_port = server.add_insecure_port(address)
    if bound_port == 0 and not address.startswith("unix:"):
        raise SystemExit("cannot listen on %s" % address)
    server.start()
    if not args.listen:
        address = "%s:%d" % (args.host, bound_port)
    # One parseable line on stdout tells a launcher where to connect (useful with --port 0).
    print("plugin server listening on %s" % address, flush=True)

    def stop(signum, frame):
        log.info("signal %d: stopping", signum)
        server.stop(grace=1)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.wait_for_termination()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    serve(parse_args(sys.argv[1:]))
