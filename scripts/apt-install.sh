#!/usr/bin/env bash
# apt-install.sh — install Debian packages for the project's tests, as root or through sudo.
#
#   scripts/apt-install.sh PACKAGE...
#
# Refreshes the package lists first when apt knows no candidate for the first package (fresh
# machines ship with empty lists), and once more if the install fails (stale lists: a 404 on
# a superseded .deb). Progress goes to standard error.
set -euo pipefail

die() {
    echo "apt-install.sh: error: $*" >&2
    exit 1
}

[ $# -ge 1 ] || die "usage: apt-install.sh PACKAGE..."

# Run a command as root: directly if we are root, via sudo if available.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* by hand"
apt_env=(env DEBIAN_FRONTEND=noninteractive)
candidate="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')"
if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
    echo "apt-install.sh: running apt-get update" >&2
    as_root "${apt_env[@]}" apt-get update >&2
fi
echo "apt-install.sh: installing $*" >&2
if ! as_root "${apt_env[@]}" apt-get install -y -q --no-install-recommends "$@" >&2; then
    echo "apt-install.sh: install failed; running apt-get update and retrying" >&2
    as_root "${apt_env[@]}" apt-get update >&2
    as_root "${apt_env[@]}" apt-get install -y -q --no-install-recommends "$@" >&2
fi
