#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, -fsanitize=fuzzer,address,undefined) in build-fuzz/ and
# runs each for the given number of seconds (default 60), starting from the committed seed corpus
# in tests/fuzz/corpus/<target>/. Any crash, sanitizer report, leak or timeout fails the script;
# the reproducer is kept under build-fuzz/artifacts/.
#   scripts/fuzz.sh [seconds]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
build=${TESSERA_FUZZ_BUILD:-$root/build-fuzz}
"$root/scripts/bootstrap.sh" --fuzz

cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DTESSERA_BUILD_FUZZERS=ON -DTESSERA_BUILD_TESTS=OFF -DTESSERA_BUILD_BENCHMARKS=OFF \
      -DTESSERA_BUILD_EXAMPLES=OFF -DTESSERA_USE_OPENMP=OFF -DTESSERA_INSTALL=OFF >/dev/null
targets=(fuzz_npy fuzz_safetensors fuzz_gguf fuzz_word_vectors fuzz_wordnet fuzz_export)
cmake --build "$build" -j 2 --target "${targets[@]}"

mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
  seeds="$root/tests/fuzz/corpus/${t#fuzz_}"
  work="$build/corpus/${t#fuzz_}"   # grown corpus, kept between runs, never committed
  mkdir -p "$work"
  echo "== $t for ${secs}s (seeds: $seeds)"
  if ! ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
       "$build/tests/fuzz/$t" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
       -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "$work" "$seeds" 2>"$build/$t.log"; then
    echo "fuzz.sh: $t FAILED; last lines of $build/$t.log:" >&2
    tail -40 "$build/$t.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$build/$t.log" | tail -2
  fi
done
exit $status
