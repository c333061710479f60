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

# The package's maintainer script would start (and enable) a system Redis on port 6379. Debian's
# policy-rc.d hook lets us refuse that for the duration of the install, when no policy is in place.
POLICY=/usr/sbin/policy-rc.d
OWN_POLICY=""
if [ "$(id -u)" = "0" ] && [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$POLICY" && chmod 755 "$POLICY" && OWN_POLICY=1
fi
cleanup() {
  if [ -n "$OWN_POLICY" ]; then rm -f "$POLICY"; fi
}
trap cleanup EXIT INT TERM

sh "$(dirname "$0")/apt-install.sh" ensure-redis-server \
  "install Redis yourself or set REDIS_SERVER=/path/to/redis-server" redis-server || exit $?

if find_server; then
  exit 0
fi
echo "ensure-redis-server: redis-server installed, but no redis-server binary was found" >&2
exit 1
