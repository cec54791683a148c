#!/usr/bin/env bash
# The main job behind `make demo`: the geometry of an embedding space (embedding_terrain) and
# every compression method swept through one quality report (compression_sweep), on the full
# GloVe 100d set when scripts/fetch_data.sh has fetched it, else on the bundled top-10k words.
# Writes build/demo/report.html (self-contained, inline SVG plots) and build/demo/results.csv.
set -euo pipefail
build=${1:-build}
out="$build/demo"
mkdir -p "$out"
data="${TESSERA_DATA_DIR:-data}/glove100d.npy"
if [ -f "$data" ]; then
  echo "make demo: full GloVe 100d ($data; 341,479 words)"
else
  data=examples/data/glove100d_top10k.npy
  echo "make demo: bundled GloVe 100d top-10k ($data); run scripts/fetch_data.sh for the full set"
fi
"$build/examples/tessera_info"
echo
"$build/examples/embedding_terrain" --input "$data"
echo
"$build/examples/compression_sweep" --input "$data" --csv "$out/results.csv" --html "$out/report.html"
echo
echo "make demo: wrote $out/report.html and $out/results.csv"
