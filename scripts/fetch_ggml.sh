#!/usr/bin/env bash
# Builds the ggml peer of bench_ternary: llama.cpp's ggml CPU library (its own TQ2_0 / TQ1_0
# kernels) and benchmarks/peers/ggml_ternary.c linked against it.
#   scripts/fetch_ggml.sh <build-dir>            prints the peer binary's path on success
#   scripts/fetch_ggml.sh <build-dir> --source   only the llama.cpp source tree (<build>/_peers/llama.cpp,
#                                                 seconds): gguf-py for compress.test_export_readers
# The source is the llama.cpp release that the npm package node-llama-cpp ships as a git bundle
# (llama/gitRelease.bundle); the package version is pinned and npm checks its integrity. ggml is
# MIT-licensed; nothing of it is committed to tessera. Idempotent: a second run only checks that
# the binary is newer than its source. Any failure (offline, no npm) prints why on stderr and
# exits 1; make bench then reports ggml's figures as quoted from issue 7 instead.
set -euo pipefail
BUILD=${1:?usage: fetch_ggml.sh <build-dir> [--source]}
SOURCE_ONLY=0
[ "${2:-}" = --source ] && SOURCE_ONLY=1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKG=node-llama-cpp@3.22.1
DIR=$(mkdir -p "$BUILD/_peers" && cd "$BUILD/_peers" && pwd)
BIN=$DIR/ggml_ternary
SRC=$ROOT/benchmarks/peers/ggml_ternary.c

if [ "$SOURCE_ONLY" = 0 ] && [ -x "$BIN" ] && [ "$BIN" -nt "$SRC" ]; then
  echo "$BIN"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch_ggml: npm not found (scripts/bootstrap.sh --node)" >&2; exit 1; }
command -v git >/dev/null || { echo "fetch_ggml: git not found" >&2; exit 1; }
if [ ! -f "$DIR/llama.cpp/ggml/include/ggml.h" ]; then
  rm -rf "$DIR/npm" "$DIR/llama.cpp"
  mkdir -p "$DIR/npm"
  (cd "$DIR/npm" && npm pack --silent "$PKG" >/dev/null 2>&1) || { echo "fetch_ggml: npm pack $PKG failed" >&2; exit 1; }
  tar -xzf "$DIR"/npm/node-llama-cpp-*.tgz -C "$DIR/npm" package/llama/gitRelease.bundle
  git clone -q "$DIR/npm/package/llama/gitRelease.bundle" "$DIR/llama.cpp" 2>/dev/null
  rm -rf "$DIR/npm"
fi
if [ "$SOURCE_ONLY" = 1 ]; then
  echo "$DIR/llama.cpp"
  exit 0
fi
if [ ! -f "$DIR/ggml-build/ggml/src/libggml-cpu.a" ]; then
  # the ggml CPU backend only (no llama, no tools); -march=native as tessera's own targets
  cmake -S "$DIR/llama.cpp" -B "$DIR/ggml-build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DBUILD_SHARED_LIBS=OFF -DGGML_OPENMP=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_COMMON=OFF -DLLAMA_CURL=OFF \
    >"$DIR/ggml-build.log" 2>&1 || { tail -20 "$DIR/ggml-build.log" >&2; exit 1; }
  # (GCC 12 warns about ggml's intrinsics; the log keeps them out of make bench's output)
  cmake --build "$DIR/ggml-build" -j "$(nproc)" --target ggml-cpu ggml-base >>"$DIR/ggml-build.log" 2>&1 ||
    { tail -20 "$DIR/ggml-build.log" >&2; exit 1; }
fi
cc -O2 -march=native -fopenmp -I "$DIR/llama.cpp/ggml/include" "$SRC" \
  "$DIR/ggml-build/ggml/src/libggml-cpu.a" "$DIR/ggml-build/ggml/src/libggml-base.a" \
  -lstdc++ -lm -lpthread -o "$BIN"
echo "$BIN"
