#!/bin/sh
# Generate the Python gRPC stubs from the gateway's proto files and start the example plugin
# server. Arguments go to server.py, e.g.:  middleware/python/run.sh --port 5555
#
# PYTHON   interpreter to use (default: the first of python3, /usr/bin/python3 with grpc_tools)
# STUBS_DIR where the generated *_pb2*.py go (default: middleware/python/build, not committed)
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
PROTO_DIR=$(cd "$HERE/../../proto" && pwd)
STUBS_DIR=${STUBS_DIR:-$HERE/build}

PY=""
for candidate in "${PYTHON:-}" python3 /usr/bin/python3; do
  if [ -n "$candidate" ] && "$candidate" -c 'import grpc, grpc_tools.protoc' >/dev/null 2>&1; then
    PY=$candidate
    break
  fi
done
if [ -z "$PY" ]; then
  echo "run.sh: no python3 with the grpc and grpc_tools modules." >&2
  echo "run.sh: install them (scripts/ensure-python-grpc.sh, or 'pip install grpcio grpcio-tools') or set PYTHON." >&2
  exit 1
fi

mkdir -p "$STUBS_DIR"
"$PY" -m grpc_tools.protoc -I"$PROTO_DIR" --python_out="$STUBS_DIR" --grpc_python_out="$STUBS_DIR" "$PROTO_DIR"/*.proto

PYTHONPATH="$STUBS_DIR${PYTHONPATH:+:$PYTHONPATH}" exec "$PY" "$HERE/server.py" "$@"
