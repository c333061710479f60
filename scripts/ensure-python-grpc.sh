#!/bin/sh
# Make sure a Python 3 that can `import grpc, grpc_tools` exists, for the example plugin server in
# middleware/python/ and the tests that drive it.
#
# On success prints the interpreter's path as the only line on stdout (messages go to stderr), so
# callers can run `PY=$(scripts/ensure-python-grpc.sh)`. The interpreter may differ from the first
# `python3` on PATH: Debian's python3-grpcio installs into /usr/bin/python3's dist-packages, which a
# pyenv/venv python does not see.
#
# Exit codes: 0 ready; 1 install attempted on Debian and failed; 2 unsupported here (not Debian,
# not root or no apt-get) — callers may skip Python-dependent work only in that case.
set -u

PROBE='import grpc, grpc_tools.protoc'

usable() {
  [ -n "$1" ] && command -v "$1" >/dev/null 2>&1 && "$1" -c "$PROBE" >/dev/null 2>&1
}

find_python() {
  # PYTHON lets a user point at their own interpreter (e.g. a venv with pip-installed grpcio-tools).
  for candidate in "${PYTHON:-}" python3 /usr/bin/python3; do
    if usable "$candidate"; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if find_python; then
  exit 0
fi

PACKAGES="python3-grpcio python3-grpc-tools"
# shellcheck disable=SC2086
sh "$(dirname "$0")/apt-install.sh" ensure-python-grpc \
  "install them yourself (e.g. 'python3 -m pip install grpcio grpcio-tools') or set PYTHON=/path/to/python3" \
  $PACKAGES || exit $?

if find_python; then
  exit 0
fi
echo "ensure-python-grpc: $PACKAGES installed, but no python3 on this system imports grpc and grpc_tools" >&2
exit 1
