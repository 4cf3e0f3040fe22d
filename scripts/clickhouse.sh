#!/usr/bin/env bash
# clickhouse.sh — a throwaway ClickHouse server for regdiff's tests and scale script.
#
# Usage:
#   scripts/clickhouse.sh install
#       Install Debian's clickhouse-server package when /usr/sbin/clickhouse-server is
#       missing (scripts/apt-install.sh: apt-get, as root or through sudo). Quick and
#       idempotent when installed.
#
#   scripts/clickhouse.sh start [DIR]
#       Install when missing, then start a server on 127.0.0.1 with its data, logs and
#       config under DIR (default: a new temporary folder), HTTP port only, on a free port.
#       Waits until it answers, then prints shell lines to standard output:
#           export REGDIFF_TEST_CLICKHOUSE=http://127.0.0.1:PORT
#           export REGDIFF_TEST_CLICKHOUSE_DIR=DIR
#       so that `eval "$(scripts/clickhouse.sh start)"` sets them for the tests.
#       Besides `default` (no password), the server has a user `regdiff` with the
#       password `regdiff-test`, for the tests of credentials.
#
#   scripts/clickhouse.sh start DIR --watch PID
#       The same, and stops the server and removes DIR once process PID has ended (for a
#       test run that starts its own server).
#
#   scripts/clickhouse.sh stop DIR
#       Stop the server started in DIR (its pid file) and remove DIR.
set -euo pipefail

SERVER="${CLICKHOUSE_SERVER:-/usr/sbin/clickhouse-server}"

die() {
    echo "clickhouse.sh: error: $*" >&2
    exit 1
}

cmd_install() {
    [ -x "$SERVER" ] && return 0
    "$(dirname "$0")/apt-install.sh" clickhouse-server
    [ -x "$SERVER" ] || die "clickhouse-server installed but $SERVER is missing"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cmd_start() {
    cmd_install
    local dir="${1:-$(mktemp -d -t regdiff-clickhouse.XXXXXX)}"
    local watch=""
    if [ "${2:-}" = "--watch" ]; then
        watch="${3:?--watch needs a process id}"
    fi
    mkdir -p "$dir/data" "$dir/tmp" "$dir/log" "$dir/user_files" "$dir/format_schemas"
    dir="$(cd "$dir" && pwd)"
    local port
    port="$(free_port)"
    cat > "$dir/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <regdiff>
            <password>regdiff-test</password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </regdiff>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
    cat > "$dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$dir/log/server.log</log>
        <errorlog>$dir/log/error.log</errorlog>
        <size>100M</size>
        <count>2</count>
    </logger>
    <http_port>$port</http_port>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>256</max_connections>
    <keep_alive_timeout>10</keep_alive_timeout>
    <max_concurrent_queries>64</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mlock_executable>false</mlock_executable>
</yandex>
EOF
    "$SERVER" --config-file="$dir/config.xml" --pid-file="$dir/server.pid" --daemon \
        >"$dir/log/stdout.log" 2>&1 || {
        cat "$dir/log/stdout.log" "$dir/log/error.log" >&2 2>/dev/null || true
        die "clickhouse-server did not start (logs in $dir/log)"
    }
    local url="http://127.0.0.1:$port"
    for _ in $(seq 1 300); do
        if python3 - "$url" <<'PY' 2>/dev/null; then
import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/?query=SELECT%201", timeout=1).read()
PY
            if [ -n "$watch" ]; then
                # Detached, with no tie to the caller's output.
                setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; "$2" stop "$3"' \
                    _ "$watch" "$0" "$dir" </dev/null >/dev/null 2>&1 &
            fi
            echo "export REGDIFF_TEST_CLICKHOUSE=$url"
            echo "export REGDIFF_TEST_CLICKHOUSE_DIR=$dir"
            return 0
        fi
        sleep 0.1
    done
    cat "$dir/log/error.log" >&2 2>/dev/null || true
    die "clickhouse-server on $url did not answer within 30 s (logs in $dir/log)"
}

cmd_stop() {
    [ $# -eq 1 ] || die "usage: clickhouse.sh stop DIR"
    local dir="$1" pid
    [ -d "$dir" ] || return 0
    if [ -f "$dir/server.pid" ]; then
        pid="$(cat "$dir/server.pid")"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
install) cmd_install ;;
start)
    shift
    cmd_start "$@"
    ;;
stop)
    shift
    cmd_stop "$@"
    ;;
*)
    echo "usage: clickhouse.sh install | start [DIR] | stop DIR" >&2
    exit 2
    ;;
esac
