"""The host's line to the gateway: the socket the gateway passed as fd 3, one JSON object per line.

It carries the start-up exchange (init → ready / load_error), log lines, events, and the
store_data / get_data calls with their replies. Hooks themselves never travel here: they are
gRPC calls on the Unix socket (the gateway's grpc driver). The socket is private to the two
processes (an inherited socketpair, no name on disk), and the gateway closing it, or dying, is
this process's signal to exit.
"""

import json
import os
import socket
import threading

# Lines from the gateway: the init line carries the plugin's sources, so it may be large.
MAX_INIT_LINE = 64 * 1024 * 1024
MAX_LINE = 1024 * 1024


class ChannelClosed(Exception):
    pass


class CallFailed(Exception):
    """The gateway answered a call with an error (e.g. the store is unreachable or a limit was hit)."""


class Channel:
    def __init__(self, fd):
        self._sock = socket.socket(fileno=fd)
        self._wlock = threading.Lock()
        self._plock = threading.Lock()
        self._pending = {}
        self._next_id = 0
        self._buffer = b""

    def send(self, message):
        data = json.dumps(message, separators=(",", ":"), ensure_ascii=True).encode("ascii") + b"\n"
        with self._wlock:
            self._sock.sendall(data)

    def read_line(self, limit=MAX_LINE):
        """The next message from the gateway; raises ChannelClosed at end of stream."""
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                line, self._buffer = self._buffer[:newline], self._buffer[newline + 1:]
                return json.loads(line)
            if len(self._buffer) > limit:
                raise ChannelClosed("the gateway sent a line over %d bytes" % limit)
            chunk = self._sock.recv(1 << 20)
            if not chunk:
                raise ChannelClosed("the gateway closed the channel")
            self._buffer += chunk

    def call(self, message, timeout):
        """Send `message` with a fresh id and wait up to `timeout` seconds for the matching reply."""
        done = threading.Event()
        slot = {"done": done, "reply": None}
        with self._plock:
            self._next_id += 1
            call_id = self._next_id
            self._pending[call_id] = slot
        try:
            self.send(dict(message, id=call_id))
            if not done.wait(timeout):
                raise CallFailed("the gateway did not answer within %.1f s" % timeout)
        finally:
            with self._plock:
                self._pending.pop(call_id, None)
        reply = slot["reply"]
        if "error" in reply:
            raise CallFailed(reply["error"])
        return reply

    def serve_replies(self):
        """Run on the main thread for the life of the process: route replies to their callers.

        Returns only when the gateway closed the channel (it stopped, or died: the kernel closes
        its end even on SIGKILL), and then the process must end at once.
        """
        while True:
            try:
                message = self.read_line()
            except (ChannelClosed, OSError, ValueError):
                return
            with self._plock:
                slot = self._pending.get(message.get("id")) if isinstance(message, dict) else None
            if slot is not None:
                slot["reply"] = message
                slot["done"].set()


def exit_now(code=0):
    """Leave without running atexit handlers or joining gRPC threads (they may be stuck in a hook)."""
    os._exit(code)
