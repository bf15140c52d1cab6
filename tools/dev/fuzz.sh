#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in ./build-sanitize and
# runs each for FUZZ_SECONDS (default 60), two at a time. A crash leaves its
# input in build-sanitize/findings/; copy it to tests/fuzz/regressions/ so the
# fuzz_replay_* tests keep it fixed.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-60}
# A fixed seed makes a CI run (fresh corpus) replay a prefix of what a longer
# local run with the same seed explored; FUZZ_SEED=0 picks a random one.
seed=${FUZZ_SEED:-20261125}
# The fuzzers share the sanitizer tree with sanitize.sh (one clang build).
build_dir=${SANITIZE_BUILD_DIR:-build-sanitize}
TARGETS="decode_structure_fuzzer html_fuzzer quantities_fuzzer docx_fuzzer pdf_fuzzer request_fuzzer" \
  SANITIZE_BUILD_DIR="$build_dir" tools/dev/build_sanitized.sh >/dev/null
mkdir -p "$build_dir/findings"
run() {
  local name=$1 corpus=$2 extra=${3:-}
  local work="$build_dir/corpus-$name"
  mkdir -p "$work"
  echo "fuzz: $name for ${seconds}s"
  "$build_dir/bin/${name}_fuzzer" "$work" "tests/fuzz/corpus/$corpus" tests/fuzz/regressions $extra \
    -max_total_time="$seconds" -seed="$seed" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$build_dir/findings/$name-" >"$build_dir/fuzz-$name.log" 2>&1 || {
      echo "fuzz: $name FOUND A PROBLEM:"; tail -40 "$build_dir/fuzz-$name.log"; return 1; }
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build_dir/fuzz-$name.log" | sed "s/^/  $name /"
}
failed=0
run decode_structure text & p1=$!
run html html & p2=$!
wait $p1 || failed=$((failed + 1))
wait $p2 || failed=$((failed + 1))
run quantities quantities & p1=$!
run docx docx tests/data/hostile & p2=$!
wait $p1 || failed=$((failed + 1))
wait $p2 || failed=$((failed + 1))
run pdf pdf & p1=$!
run request request & p2=$!
wait $p1 || failed=$((failed + 1))
wait $p2 || failed=$((failed + 1))
echo "fuzzing: $((6 - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
