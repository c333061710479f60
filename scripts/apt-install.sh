#!/bin/sh
# apt-install.sh TAG HINT PACKAGE... — install Debian packages for a test dependency, the one way
# both ensure-*.sh scripts do it. Messages go to stderr, prefixed with TAG; HINT says what to do
# by hand where we cannot install.
# Exit codes: 0 installed; 1 apt-get failed on Debian; 2 unsupported here (not Debian, no apt-get,
# or not root) — callers may skip the dependent tests only in that case.
set -u
TAG=$1
HINT=$2
shift 2

if [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "$TAG: not found, and this is not a Debian system with apt-get; $HINT" >&2
  exit 2
fi
if [ "$(id -u)" != "0" ]; then
  echo "$TAG: not found, and installing needs root: run 'sudo apt-get install -y $*', or $HINT" >&2
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive
# Wait for a dpkg lock held by a parallel run (another test process, unattended-upgrades).
APT="apt-get -o DPkg::Lock::Timeout=300"
echo "$TAG: installing $* with apt-get" >&2
# Fresh containers often have empty package lists: only pay for `apt-get update` when needed.
if ! $APT install -y --no-install-recommends "$@" >&2; then
  echo "$TAG: first attempt failed; running apt-get update and retrying" >&2
  if ! { $APT update >&2 && $APT install -y --no-install-recommends "$@" >&2; }; then
    echo "$TAG: apt-get could not install $*" >&2
    exit 1
  fi
fi
