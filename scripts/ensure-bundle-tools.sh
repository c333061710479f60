#!/bin/sh
# Make sure `openssl` and `zip` exist, for the bundle tests: they compute checksums and
# signatures with openssl, independently of isogate, and build a Tyk-style zip with Info-ZIP.
#
# Exit codes: 0 ready; 1 install attempted on Debian and failed; 2 unsupported here (not Debian,
# not root or no apt-get) — callers may skip the dependent tests only in that case.
set -u

missing=""
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v zip >/dev/null 2>&1 || missing="$missing zip"
[ -z "$missing" ] && exit 0

# shellcheck disable=SC2086
sh "$(dirname "$0")/apt-install.sh" ensure-bundle-tools "install$missing yourself" $missing || exit $?
command -v openssl >/dev/null 2>&1 && command -v zip >/dev/null 2>&1 && exit 0
echo "ensure-bundle-tools:$missing installed, but not found on PATH" >&2
exit 1
