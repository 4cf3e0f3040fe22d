#!/usr/bin/env bash
# The ClickHouse store at scale (issue 11), beside the folder store: record 1,000 runs x
# 10,000 tests (10 M test rows) into a throwaway server with `regdiff store copy`, then time
# the same questions on both stores (`/usr/bin/time`, 5 runs each, alternately). Not part of CI: it writes about 1.5 GB to a temporary folder.
#
#   benches/clickhouse_scale.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-$(mktemp -d)}"
cargo build --release --quiet --bin regdiff --example gen_store
bin=target/release/regdiff
gen=target/release/examples/gen_store
[ -d "$work/t1000" ] || "$gen" "$work/t1000" 1000 10000
eval "$(scripts/clickhouse.sh start "$work/ch")"
trap 'scripts/clickhouse.sh stop "$REGDIFF_TEST_CLICKHOUSE_DIR"' EXIT
ch="clickhouse://${REGDIFF_TEST_CLICKHOUSE#http://}/scale"
fs="$work/t1000/store"
head="$work/t1000/head.xml"
echo "== store copy: 1,000 runs x 10,000 tests into ClickHouse"
/usr/bin/time -f "%e s wall, %U s user, %S s system, %M KB peak (regdiff)" \
    "$bin" store copy --from "$fs" --to "$ch"
q() { python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/", data=sys.argv[2].encode())).read().decode().strip())' "$REGDIFF_TEST_CLICKHOUSE" "$1"; }
echo "parts after the copy: $(q "SELECT table, count() FROM system.parts WHERE database = 'scale' AND active GROUP BY table ORDER BY table" | tr '\n\t' '; ')"
# A live store has its parts merged in the background as runs arrive one by one; after a
# bulk copy, merge them at once so that the questions are timed on a settled store.
start=$(date +%s.%N)
for t in runs test_results metrics; do q "OPTIMIZE TABLE scale.$t FINAL" > /dev/null; done
echo "OPTIMIZE FINAL: $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s; parts: $(q "SELECT table, count() FROM system.parts WHERE database = 'scale' AND active GROUP BY table ORDER BY table" | tr '\n\t' '; ')"
du -sh "$work/ch/data" | sed 's/^/server data: /'
echo "compressed / uncompressed bytes: $(q "SELECT formatReadableSize(sum(data_compressed_bytes)), formatReadableSize(sum(data_uncompressed_bytes)) FROM system.parts WHERE database = 'scale' AND active")"
# Each question is asked of both stores alternately, 5 times: this machine's kernel time
# jumps now and then, and timing one store after the other would blame it on a store.
measure() {
    echo "== $* (ClickHouse, then the folder store, alternately)"
    for _ in 1 2 3 4 5; do
        for store in "$ch" "$fs"; do
            /usr/bin/time -f "$( [ "$store" = "$ch" ] && echo clickhouse || echo folder ): %e s wall, %U s user, %S s system, %M KB peak" \
                "$bin" --store "$store" "$@" > /dev/null
        done
    done 2>&1 | sort
}
measure list
measure compare --base main --head "$head" --format json
measure compare --base 'main[20]' --head "$head" --format json
measure trend --branch main --format json
measure flaky --branch main --last 100
