#!/usr/bin/env bash
# A short run of every fuzz target, for CI: FUZZ_SECONDS each (default 6), no fork mode, so a
# crash, a timeout or an out-of-memory stops the script with an error and its input saved in
# fuzz/artifacts/<target>/. Installs cargo-fuzz when it is missing.
#
# The corpus of each target is fuzz/corpus/<target>/ (kept in the repository: the inputs
# earlier runs found, minimised) read together with the test fixtures of its format (see
# seeds() in run.sh). New inputs land in fuzz/corpus/<target>/; `fuzz/smoke.sh --merge` keeps
# only those that add coverage, for committing.
#
# The long run (10 minutes a target, fork mode, crashes kept and the run going on) is run.sh.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${FUZZ_SECONDS:-6}
export RUSTC_BOOTSTRAP=1   # cargo-fuzz passes nightly flags; the stable compiler accepts them so
export CARGO_TERM_COLOR=never

if ! command -v cargo-fuzz > /dev/null; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi

# shellcheck source=/dev/null
source <(sed -n '/^fix=/,/^}/p' run.sh)   # fix= and seeds(), shared with the long run

mapfile -t targets < <(cargo fuzz list)
echo "== building ${#targets[@]} fuzz targets"
cargo fuzz build -s none 2>&1 | tail -n 1

merge=${1:-}
total=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t" logs
  seed_dir=$(mktemp -d)
  for f in $(seeds "$t" 2>/dev/null || true); do cp "$f" "$seed_dir/" 2>/dev/null || true; done
  if [ "$merge" = "--merge" ]; then
    mkdir -p "corpus/$t.min"
    cargo fuzz run -s none "$t" "corpus/$t.min" "corpus/$t" -- -merge=1 > "logs/$t.merge.log" 2>&1
    rm -rf "corpus/$t" && mv "corpus/$t.min" "corpus/$t"
    # The repository keeps the small inputs; the fixtures (large, real) are added at each run.
    find "corpus/$t" -type f -size +4k -delete
    rm -rf "$seed_dir"
    echo "$t: $(ls "corpus/$t" | wc -l) inputs kept"
    continue
  fi
  if ! cargo fuzz run -s none "$t" "corpus/$t" "$seed_dir" -- \
      -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
      -artifact_prefix="artifacts/$t/" -print_final_stats=1 > "logs/$t.log" 2>&1; then
    rm -rf "$seed_dir"
    echo "== $t FAILED: the fuzzer found a problem; the input is in fuzz/artifacts/$t/"
    tail -n 40 "logs/$t.log"
    exit 1
  fi
  rm -rf "$seed_dir"
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "logs/$t.log" | grep -Eo '[0-9]+$' || echo 0)
  total=$((total + runs))
  printf '%-18s %9s executions in %ss\n' "$t" "$runs" "$SECONDS_EACH"
done
[ "$merge" = "--merge" ] || echo "== fuzz smoke: ${#targets[@]} targets, $total executions, no crash"
