#!/usr/bin/env bash
# Regenerates the bundled default dataset examples/data/glove100d_top10k.{npy,words} from the
# fetched GloVe 100d matrix: the first 10,000 rows (GloVe's order is frequency order), stored as
# float16 (2 MB). Runs scripts/fetch_data.sh first if the fetched data is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${TESSERA_DATA_DIR:-$root/data}
build=${TESSERA_DATA_BUILD:-$root/build-data}
rows=${1:-10000}

if [ ! -f "$data/glove100d.npy" ] || [ ! -f "$data/glove100d.words" ]; then
  TESSERA_DATA_DIR="$data" "$root/scripts/fetch_data.sh"
fi
converter="$build/examples/import_data"
if [ ! -x "$converter" ] || [ "$root/examples/import_data.cpp" -nt "$converter" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTESSERA_BUILD_TESTS=OFF \
        -DTESSERA_BUILD_BENCHMARKS=OFF -DTESSERA_BUILD_EXAMPLES=ON -DTESSERA_INSTALL=OFF >/dev/null
  cmake --build "$build" -j 2 --target import_data >/dev/null
fi
mkdir -p "$root/examples/data"
"$converter" top "$data/glove100d.npy" "$data/glove100d.words" "$rows" "$root/examples/data/glove100d_top10k"
sha256sum "$root/examples/data/glove100d_top10k.npy" "$root/examples/data/glove100d_top10k.words"
