#!/usr/bin/env bash
# Rebuilds the shipped example history baselines/examples/trend-history/ from the fixtures
# in tests/fixtures (copies of the shared ones): 12 consecutive commits of four benchmark harnesses (criterion, Google Benchmark,
# hyperfine, pytest-benchmark; a regression lands at commit-08, commit-04 ran under a
# same-core CPU hog) and, per commit, one run of semver's test suite from its flaky scenario
# (the four runs in turn). Each commit is one run of branch main, recorded in order.
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=tests/fixtures
out=baselines/examples/trend-history
bin=${REGDIFF:-target/release/regdiff}
[ -x "$bin" ] || cargo build --release --quiet
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
tests=(base/run-1.xml base/run-2.xml head/run-1.xml head/run-2.xml)
for i in $(seq 0 11); do
  c=$(printf 'commit-%02d' "$i")
  p="$fixtures/perf"
  "$bin" --store "$out.tmp" record \
    "$p/criterion/history/$c" \
    "$p/google-benchmark/history/$c" \
    "$p/hyperfine/history/$c" \
    "$p/pytest-benchmark/history/$c" \
    "$fixtures/scenarios/semver/f_flaky/${tests[$((i % 4))]}" \
    --criterion-baseline "$c" --branch main --commit "$c" \
    --time "$(printf "2026-11-%02dT12:00:00Z" $((i + 1)))" --no-env > /dev/null 2>> "$out.tmp.log"
done
rm -rf "$out" "$out.tmp.log"
mv "$out.tmp" "$out"
ls "$out" | wc -l
