"""What the plugin sends to the gateway on its own: log lines (tyk.log, print, tracebacks) and
events (tyk.trigger_event), each under a per-second budget.

The budget is applied here first so that a plugin printing in a loop loses its excess lines
cheaply, inside its own process, instead of pushing them through the socket. The gateway applies
the same budgets again on its side (a plugin can write to the socket directly), so these are a
courtesy, not the enforcement.
"""

import io
import threading
import time

# The same per-message cap as isolate logs (sandbox/globals/format.ts).
MAX_MESSAGE = 16 * 1024


class Bucket:
    """`per_second` tokens, a burst of one second's worth, refilled continuously."""

    def __init__(self, per_second):
        self.rate = float(per_second)
        self.tokens = self.rate
        self.at = time.monotonic()
        self.dropped = 0
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            self.dropped += 1
            return False

    def take_dropped(self):
        with self.lock:
            count, self.dropped = self.dropped, 0
            return count


def clip(text):
    if len(text) > MAX_MESSAGE:
        return "%s... (%d more characters)" % (text[:MAX_MESSAGE], len(text) - MAX_MESSAGE)
    return text


class Output:
    def __init__(self, channel, log_lines_per_s, events_per_s):
        self.channel = channel
        self.logs = Bucket(log_lines_per_s)
        self.events = Bucket(events_per_s)

    def log(self, level, message):
        if not self.logs.take():
            return
        dropped = self.logs.take_dropped()
        if dropped:
            self.channel.send({"t": "dropped", "what": "log", "count": dropped})
        self.channel.send({"t": "log", "level": level, "msg": clip(message)})

    def event(self, name, payload):
        if not self.events.take():
            return False
        self.channel.send({"t": "event", "name": name, "payload": payload})
        return True


class LineWriter(io.TextIOBase):
    """sys.stdout / sys.stderr: every complete line becomes one log line at `level`."""

    def __init__(self, output, level, name):
        super().__init__()
        self._output = output
        self._level = level
        self._name = name
        self._partial = ""
        self._lock = threading.Lock()

    @property
    def name(self):
        return self._name

    @property
    def encoding(self):
        return "utf-8"

    def writable(self):
        return True

    def isatty(self):
        return False

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        with self._lock:
            self._partial += text
            lines = self._partial.split("\n")
            self._partial = lines.pop()
            # A line that never ends still leaves in MAX_MESSAGE pieces: memory stays bounded.
            while len(self._partial) > MAX_MESSAGE:
                lines.append(self._partial[:MAX_MESSAGE])
                self._partial = self._partial[MAX_MESSAGE:]
        for line in lines:
            self._output.log(self._level, line)
        return len(text)

    def flush(self):
        with self._lock:
            line, self._partial = self._partial, ""
        if line:
            self._output.log(self._level, line)
