#!/usr/bin/env bash
# Whole-process figures of `compare`, `show` and `record` on generated report files (issue 14), with the peer
# beside it where one exists: `farm-bench` medians, A/B alternating. Not part of CI.
#
#   benches/compare_scale.sh [WORK_DIR]
#
# Needs farm-bench (the tool library); for the Go rows ../shared/peers/benchstat; for the
# criterion rows python3 with numpy (../shared/peers/gen_bench.py) and critcmp 0.1.8
# (`cargo install critcmp --version 0.1.8`).
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
cargo build --release --quiet --bin regdiff --example gen_store --example stream_passes
bin="$PWD/target/release/regdiff"
gen=target/release/examples/gen_store
[ -f "$work/j100k-a.xml" ] || "$gen" junit "$work/j100k-a.xml" 100000 1
[ -f "$work/j100k-b.xml" ] || "$gen" junit "$work/j100k-b.xml" 100000 2
[ -f "$work/j1m.xml" ] || "$gen" junit "$work/j1m.xml" 1000000 1
[ -f "$work/j10m.xml" ] || "$gen" junit "$work/j10m.xml" 10000000 0
[ -f "$work/go-base.txt" ] || "$gen" gotext "$work/go-base.txt" 10000 base
[ -f "$work/go-head.txt" ] || "$gen" gotext "$work/go-head.txt" 10000 head
[ -f "$work/go100k-base.txt" ] || "$gen" gotext "$work/go100k-base.txt" 100000 base
[ -f "$work/go100k-head.txt" ] || "$gen" gotext "$work/go100k-head.txt" 100000 head
peers="${PEERS:-../shared/peers}"

echo "== JUnit 2 x 100,000 cases, table / JSON"
farm-bench -n 10 -- "$bin" compare "$work/j100k-a.xml" "$work/j100k-b.xml"
farm-bench -n 10 -- "$bin" compare "$work/j100k-a.xml" "$work/j100k-b.xml" --format json
echo "== JUnit 1,000,000 against 100,000 cases"
farm-bench -n 5 --timeout 300 -- "$bin" compare "$work/j100k-a.xml" "$work/j1m.xml"
echo "== show --format json and record of 10,000,000 cases (995 MB), streamed"
farm-bench -n 3 --timeout 600 -- sh -c "exec '$bin' show --format json '$work/j10m.xml' > /dev/null"
farm-bench -n 3 --timeout 600 -- sh -c "rm -rf '$work/store10m' && exec '$bin' --store '$work/store10m' record --no-env --branch main --commit abc '$work/j10m.xml'"
echo "== the two passes of the streamed read of the 10,000,000 cases, apart"
target/release/examples/stream_passes "$work/j10m.xml"
echo "== Go text, 10,000 x 10 a side, against benchstat"
farm-bench -n 10 --vs "$peers/benchstat $work/go-base.txt $work/go-head.txt" -- "$bin" compare "$work/go-base.txt" "$work/go-head.txt"
echo "== Go text, 100,000 x 10 a side, against benchstat"
farm-bench -n 5 --timeout 600 --vs "$peers/benchstat $work/go100k-base.txt $work/go100k-head.txt" -- "$bin" compare "$work/go100k-base.txt" "$work/go100k-head.txt"
echo "== table rendering: the default table report of 10,000 / 30,000 / 100,000 generated JUnit cases a side"
for k in 10 30 100; do
    # The files of 100,000 cases are the ones made above.
    a="$work/j${k}k-a.xml" b="$work/j${k}k-b.xml"
    [ -f "$a" ] || "$gen" junit "$a" "${k}000" 1
    [ -f "$b" ] || "$gen" junit "$b" "${k}000" 2
    echo "${k},000 cases a side: $("$bin" compare "$a" "$b" | wc -l) lines"
    farm-bench -n 5 --timeout 300 -- "$bin" compare "$a" "$b"
done
echo "== criterion folders, 1,000 / 10,000 benchmarks a side, against critcmp"
for n in 1000 10000; do
    if [ ! -d "$work/crit$n" ]; then
        python3 "$peers/gen_bench.py" --n "$n" --k 10 --kind ab --seed 1 --out "$work/crit$n" --formats criterion > /dev/null
        # One tree a side, each holding one baseline (hard links, no copy).
        cp -al "$work/crit$n/criterion" "$work/crit$n/base"
        cp -al "$work/crit$n/criterion" "$work/crit$n/head"
        find "$work/crit$n/base" -type d -name new -prune -exec rm -rf {} +
        find "$work/crit$n/head" -type d -name base -prune -exec rm -rf {} +
    fi
    farm-bench -n 10 --vs "critcmp --target-dir $work/crit$n/criterion base new" -- "$bin" compare "$work/crit$n/base" "$work/crit$n/head"
done
