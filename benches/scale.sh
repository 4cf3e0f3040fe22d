#!/usr/bin/env bash
# Whole-process figures for the store at scale (issues 10 and 14): wall time, CPU time and
# peak memory of regdiff commands on generated stores, each run 3 times (the median is the
# middle line). Not part of CI: it writes about 1 GB to a temporary folder.
#
#   benches/scale.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-$(mktemp -d)}"
cargo build --release --quiet --bin regdiff --example gen_store
bin=target/release/regdiff
gen=target/release/examples/gen_store
[ -d "$work/t200" ] || "$gen" "$work/t200" 200 10000
[ -d "$work/t1000" ] || "$gen" "$work/t1000" 1000 10000
[ -d "$work/m500" ] || "$gen" "$work/m500" 500 1000 metrics
measure() {
    echo "== $*"
    for _ in 1 2 3; do
        /usr/bin/time -f "%e s wall, %U s user, %S s system, %M KB peak" "$bin" "$@" > /dev/null
    done
}
measure list --store "$work/t200/store"
measure compare --store "$work/t200/store" --base main --head "$work/t200/head.xml" --format json
measure compare --store "$work/t200/store" --base 'main[200]' --head "$work/t200/head.xml" --format json
measure list --store "$work/t1000/store"
measure compare --store "$work/t1000/store" --base main --head "$work/t1000/head.xml" --format json
measure trend --store "$work/t1000/store" --branch main --format json
measure flaky --store "$work/t1000/store" --branch main --last 100
measure trend --store "$work/m500/store" --branch main --format json
RAYON_NUM_THREADS=1 measure trend --store "$work/m500/store" --branch main --format json
