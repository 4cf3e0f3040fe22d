#!/usr/bin/env bash
# chromium-check.sh — install Debian's chromium and render a local HTML page
# headless, for looking at generated reports as a person would.
#
# Usage:
#   scripts/chromium-check.sh install
#       Install Debian's `chromium` package if /usr/bin/chromium is missing,
#       then print the chromium version. Quick and idempotent when installed.
#
#   scripts/chromium-check.sh render PAGE.html OUT_DIR
#       Render PAGE.html headless (network access blocked: the page must be
#       self-contained) and write OUT_DIR/dom.html (serialized DOM after
#       scripts ran) and OUT_DIR/screenshot.png. Chromium's stderr goes to
#       OUT_DIR/chromium.log and is printed only on failure.
#
# Environment:
#   CHROMIUM        path to the chromium binary (default /usr/bin/chromium)
#   WINDOW_SIZE     screenshot viewport as W,H (default 1280,2000)
#   CHROMIUM_TIMEOUT seconds allowed per chromium invocation (default 60)
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
WINDOW_SIZE="${WINDOW_SIZE:-1280,2000}"
CHROMIUM_TIMEOUT="${CHROMIUM_TIMEOUT:-60}"

die() {
    echo "chromium-check: error: $*" >&2
    exit 1
}

usage() {
    cat >&2 <<'EOF'
usage: chromium-check.sh install
       chromium-check.sh render PAGE.html OUT_DIR
EOF
    exit 2
}

chromium_version() {
    # --version is fast and needs no display; it can still print dbus noise.
    timeout "$CHROMIUM_TIMEOUT" "$CHROMIUM" --version 2>/dev/null
}

cmd_install() {
    if [ -x "$CHROMIUM" ]; then
        chromium_version || die "$CHROMIUM exists but --version failed"
        return 0
    fi
    "$(dirname "$0")/apt-install.sh" chromium
    [ -x "$CHROMIUM" ] || die "chromium installed but $CHROMIUM is still missing"
    chromium_version || die "$CHROMIUM --version failed after install"
}

cmd_render() {
    [ $# -eq 2 ] || usage
    local page="$1" out_dir="$2"

    [ -x "$CHROMIUM" ] || die "chromium not found at $CHROMIUM (run: $0 install)"
    [ -f "$page" ] || die "page not found: $page"
    [[ "$WINDOW_SIZE" =~ ^[0-9]+,[0-9]+$ ]] || die "WINDOW_SIZE must be W,H (got '$WINDOW_SIZE')"

    mkdir -p "$out_dir"
    local page_abs out_abs
    page_abs="$(cd "$(dirname "$page")" && pwd)/$(basename "$page")"
    out_abs="$(cd "$out_dir" && pwd)"

    local dom="$out_abs/dom.html"
    local png="$out_abs/screenshot.png"
    local log="$out_abs/chromium.log"
    rm -f "$dom" "$png"
    : >"$log"

    local profile
    profile="$(mktemp -d "${TMPDIR:-/tmp}/chromium-check.XXXXXX")"
    # shellcheck disable=SC2064  # expand $profile now
    trap "rm -rf '$profile'" EXIT

    local url="file://$page_abs"
    local flags=(
        --headless
        --no-sandbox
        --disable-gpu
        --disable-dev-shm-usage
        --disable-background-networking
        --disable-component-update
        --disable-sync
        --disable-extensions
        --disable-default-apps
        --no-first-run
        --no-default-browser-check
        --hide-scrollbars
        --mute-audio
        # No network: a page that needs anything remote shows up broken
        # instead of reaching out. The resolver rule alone already stops
        # hostnames, IP literals and loopback (checked with Chromium 148 in a
        # private network namespace); the proxy on the refusing discard port,
        # with loopback not bypassed, is a second guard for other versions.
        "--host-resolver-rules=MAP * ~NOTFOUND"
        --proxy-server=127.0.0.1:9
        "--proxy-bypass-list=<-loopback>"
        --force-webrtc-ip-handling-policy=disable_non_proxied_udp
        --user-data-dir="$profile"
    )

    fail() {
        echo "chromium-check: error: $*" >&2
        if [ -s "$log" ]; then
            echo "---- $log (last 60 lines) ----" >&2
            tail -n 60 "$log" >&2
            echo "----" >&2
        fi
        exit 1
    }

    # Two invocations. Chromium 148 (bookworm) does honour --dump-dom and
    # --screenshot together, but older headless builds did only one of them,
    # and separate runs keep the DOM on stdout free of other output.
    local rc=0
    echo "== dump-dom: $url" >>"$log"
    timeout "$CHROMIUM_TIMEOUT" "$CHROMIUM" "${flags[@]}" \
        --dump-dom "$url" >"$dom" 2>>"$log" || rc=$?
    [ "$rc" -eq 0 ] || fail "chromium --dump-dom exited with status $rc$([ "$rc" -eq 124 ] && echo ' (timeout)')"
    [ -s "$dom" ] || fail "dom.html is empty"

    rc=0
    echo "== screenshot ($WINDOW_SIZE): $url" >>"$log"
    timeout "$CHROMIUM_TIMEOUT" "$CHROMIUM" "${flags[@]}" \
        --window-size="$WINDOW_SIZE" --screenshot="$png" "$url" \
        >>"$log" 2>&1 || rc=$?
    [ "$rc" -eq 0 ] || fail "chromium --screenshot exited with status $rc$([ "$rc" -eq 124 ] && echo ' (timeout)')"
    [ -s "$png" ] || fail "screenshot.png is missing or empty"
    # PNG signature: \x89PNG
    [ "$(head -c 4 "$png" | od -An -tx1 | tr -d ' \n')" = "89504e47" ] \
        || fail "screenshot.png is not a PNG"

    echo "$dom"
    echo "$png"
}

[ $# -ge 1 ] || usage
sub="$1"
shift
case "$sub" in
    install) [ $# -eq 0 ] || usage; cmd_install ;;
    render) cmd_render "$@" ;;
    -h | --help | help) usage ;;
    *) usage ;;
esac
