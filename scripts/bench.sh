#!/usr/bin/env bash
# make bench: runs every Google Benchmark binary and peer script on the same workloads in one
# run and regenerates docs/performance.md.   scripts/bench.sh <build-dir> [--quick]
set -euo pipefail
# Debian's python3 carries numpy/scipy/sklearn/torch; a pyenv shim earlier on PATH may not.
exec "${PYTHON:-/usr/bin/python3}" "$(dirname "$0")/bench.py" "$@"
