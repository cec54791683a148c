#!/usr/bin/env bash
# The main job behind `make demo`: the geometry of an embedding space (embedding_terrain),
# every compression method, the shipped baselines (fp16, int8, int4) and additive noise swept
# through one quality report (compression_sweep), and the word-similarity benchmarks
# (word_similarity, when ../shared/data/word-sim is there), on the full
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
words="${TESSERA_WORDSIM_DIR:-../shared/data/word-sim}"
if [ -d "$words" ]; then
  "$build/examples/word_similarity" --vectors "$data" --benchmarks "$words"
else
  echo "make demo: no word-similarity benchmarks at $words (set TESSERA_WORDSIM_DIR); word_similarity skipped"
fi
echo
echo "make demo: wrote $out/report.html and $out/results.csv"
