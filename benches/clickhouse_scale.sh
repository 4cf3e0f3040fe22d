#!/usr/bin/env bash
# The ClickHouse store at scale (issue 11), beside the folder store: record 1,000 runs x
# 10,000 tests (10 M test rows) into a throwaway server with `regdiff store copy`, then time
# the same questions on both stores (`/usr/bin/time`, 3 runs each; the median is the middle
# line). Not part of CI: it writes about 1.5 GB to a temporary folder.
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
du -sh "$work/ch/data" | sed 's/^/server data: /'
measure() {
    echo "== $*"
    for _ in 1 2 3; do
        /usr/bin/time -f "%e s wall, %U s user, %S s system, %M KB peak" "$bin" "$@" > /dev/null
    done
}
for store in "$fs" "$ch"; do
    measure list --store "$store"
    measure compare --store "$store" --base main --head "$head" --format json
    measure compare --store "$store" --base 'main[20]' --head "$head" --format json
    measure trend --store "$store" --branch main --format json
    measure flaky --store "$store" --branch main --last 100
done
