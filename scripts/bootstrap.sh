#!/usr/bin/env bash
# Installs the Debian packages tessera needs, once. Idempotent and fast when all are present.
#   scripts/bootstrap.sh            build + test dependencies
#   scripts/bootstrap.sh --peers    also numpy/scipy/scikit-learn/torch/nltk for benchmark peer scripts
#                                   (nltk also regenerates tests/fixtures/wordnet: generate_wordnet.py)
#   scripts/bootstrap.sh --fuzz     also clang-14 and its sanitizer/fuzzer runtime
#   scripts/bootstrap.sh --docs     also what the docs checker needs
#   scripts/bootstrap.sh --render   also chromium, for the test that renders the demo's HTML report
# As root, missing packages are installed with apt-get; otherwise the exact command is printed
# and the script exits non-zero.
set -euo pipefail

packages=(cmake make g++ pkg-config libxtensor-dev libxtensor-blas-dev libopenblas-dev libopenblas-openmp-dev doctest-dev
          libbenchmark-dev libxsimd-dev nlohmann-json3-dev python3 python3-numpy python3-mpmath
          pybind11-dev python3-dev python3-pytest python3-scipy  # the Python extension and its tests (python/)
          libopenmpi-dev openmpi-bin  # stream/mpi.hpp and its test under mpirun (stream.mpi)
          wordnet-base)  # WordNet 3.0 in /usr/share/wordnet: io/wordnet.hpp's tests and the wordnet_probe example
for arg in "$@"; do
  case "$arg" in
    --peers) packages+=(python3-scipy python3-sklearn python3-torch python3-nltk) ;;
    --fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
    --docs) packages+=(python3-scipy) ;;
    --render) packages+=(chromium) ;;
    --node)  ;;  # node/npm: checked below (the machine may carry a non-Debian node build)
    *) echo "bootstrap.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

need_node=0
for arg in "$@"; do [ "$arg" = "--node" ] && need_node=1; done
if [ "$need_node" = 1 ] && ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "bootstrap.sh: missing Debian packages: ${missing[*]}" >&2
  echo "bootstrap.sh: run as root:  apt-get update && $cmd" >&2
  exit 1
fi
echo "bootstrap.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bootstrap.sh: done" >&2
