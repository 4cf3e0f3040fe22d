#!/usr/bin/env bash
# Runs the fuzz targets one after another, each for FUZZ_SECONDS (default 600), in fork mode
# (a crash is saved and the run goes on), seeded with
# the test fixtures of its format. Crashes land in fuzz/artifacts/<target>/; copy each one to
# tests/fixtures/fuzz/<target>/ so tests/fuzz_regressions.rs keeps it as a regression test.
#
#   cargo install cargo-fuzz
#   fuzz/run.sh                 # every target
#   fuzz/run.sh junit tap       # some
set -uo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${FUZZ_SECONDS:-600}
export RUSTC_BOOTSTRAP=1   # cargo-fuzz needs nightly flags; the stable compiler accepts them so
fix=../tests/fixtures
seeds() {
  case "$1" in
    junit) ls $fix/ingest/junit/*.xml ;;
    tap) ls $fix/ingest/tap/*.tap ;;
    gotest) ls $fix/ingest/gotest/run.json ;;
    pytest_json) ls $fix/ingest/pytest-json/*.json ;;
    libtest) ls $fix/ingest/libtest/*.json ;;
    ctrf) ls $fix/ingest/ctrf/*.json ;;
    gtest_json) ls $fix/ingest/gtest-json/*.json ;;
    cargo_text) ls $fix/env_faults/rust/*/*/run-1.txt ;;
    snapshot) find ../baselines/examples -name '*.json' | head -20 ;;
    gbench) find $fix/perf/google-benchmark -name '*.json' | head -20 ;;
    gobench) grep -rl '^Benchmark' $fix ../src/ingest 2>/dev/null | head -20 ;;
    hyperfine) find $fix/perf/hyperfine -name '*.json' | head -20 ;;
    pytest_benchmark) find $fix/perf/pytest-benchmark -name '*.json' | head -20 ;;
    metrics) grep -rl 'regdiff.metrics' ../baselines | head -20 ;;
    criterion) ;;
    detect) find $fix -maxdepth 3 -type f \( -name '*.xml' -o -name '*.json' -o -name '*.tap' \) | head -60 ;;
  esac
}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi
cargo fuzz build -s none
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t" logs
  for f in $(seeds "$t" 2>/dev/null || true); do cp -n "$f" "corpus/$t/" 2>/dev/null || true; done
  echo "== $t for ${SECONDS_EACH}s"
  cargo fuzz run -s none "$t" "corpus/$t" -- \
    -fork=1 -ignore_crashes=1 -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
    -artifact_prefix="artifacts/$t/" > "logs/$t.log" 2>&1 \
    || echo "== $t: the fuzzer stopped with an error: see fuzz/logs/$t.log"
  grep -E '^#[0-9]+.*(DONE|pulse)|INFO: fuzzed for|crash|leak|oom|timeout' "logs/$t.log" | tail -n 3
  ls "artifacts/$t"
done
