#!/bin/sh
# Make sure a `redis-server` binary exists, for the Redis-mode tests (they start their own servers
# on free loopback ports; nothing here starts or enables a system service).
#
# On success prints the binary's path as the only line on stdout (messages go to stderr).
# Exit codes: 0 ready; 1 install attempted on Debian and failed; 2 unsupported here (not Debian,
# not root or no apt-get) — callers may skip Redis-dependent work only in that case.
set -u

find_server() {
  for candidate in "${REDIS_SERVER:-}" redis-server /usr/bin/redis-server /usr/local/bin/redis-server; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if find_server; then
  exit 0
fi

if [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-redis-server: redis-server not found and this is not a Debian system with apt-get." >&2
  echo "ensure-redis-server: install Redis yourself or set REDIS_SERVER=/path/to/redis-server." >&2
  exit 2
fi

if [ "$(id -u)" != "0" ]; then
  echo "ensure-redis-server: redis-server not found; installing needs root." >&2
  echo "ensure-redis-server: run 'sudo apt-get install -y redis-server' (or set REDIS_SERVER=/path/to/redis-server)." >&2
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive
APT="apt-get -o DPkg::Lock::Timeout=300"

# The package's maintainer script would start (and enable) a system Redis on port 6379. Debian's
# policy-rc.d hook lets us refuse that for the duration of the install, when no policy is in place.
POLICY=/usr/sbin/policy-rc.d
OWN_POLICY=""
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$POLICY" && chmod 755 "$POLICY" && OWN_POLICY=1
fi
cleanup() {
  if [ -n "$OWN_POLICY" ]; then rm -f "$POLICY"; fi
}
trap cleanup EXIT INT TERM

echo "ensure-redis-server: installing redis-server with apt-get" >&2
# Fresh containers often have empty package lists: only pay for `apt-get update` when needed.
if ! $APT install -y --no-install-recommends redis-server >&2; then
  echo "ensure-redis-server: first attempt failed; running apt-get update and retrying" >&2
  if ! { $APT update >&2 && $APT install -y --no-install-recommends redis-server >&2; }; then
    echo "ensure-redis-server: apt-get could not install redis-server" >&2
    exit 1
  fi
fi

if find_server; then
  exit 0
fi
echo "ensure-redis-server: redis-server installed, but no redis-server binary was found" >&2
exit 1
