#!/usr/bin/env bash
# The main job behind `make demo`. Until the example programs land it prints the library
# version and BLAS configuration; it never fails silently.
set -euo pipefail
build=${1:-build}
"$build/examples/tessera_info"
