"""Process limits of the plugin host: its memory, and its life bound to the gateway's."""

import ctypes
import os
import resource
import signal

PR_SET_PDEATHSIG = 1
MiB = 1024 * 1024


def die_with_parent(parent_pid):
    """Be killed the moment the gateway process dies, even by SIGKILL.

    Linux delivers SIGKILL to us when the parent exits (PR_SET_PDEATHSIG). The channel's end of
    stream (channel.py) is the second, portable signal; this one also holds while a hook runs.
    If the gateway died before this ran, our parent is already someone else: leave now.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:
        os._exit(0)


def _vm_size():
    with open("/proc/self/status", "r", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmSize in /proc/self/status")


def limit_address_space(memory_limit_mb):
    """RLIMIT_AS = what the interpreter, protobuf and gRPC (with their threads) take now + the limit.

    Called once they are all up and before any plugin code runs, so `memory_limit_mb` is what the
    plugin itself may add. Soft and hard limit are equal: the plugin cannot raise it again.
    Returns (baseline bytes, limit bytes), or (None, None) where /proc is missing.
    """
    try:
        baseline = _vm_size()
    except OSError:
        return None, None
    limit = baseline + memory_limit_mb * MiB
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return baseline, limit
