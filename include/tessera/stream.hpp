#pragma once
/// \file stream.hpp
/// tessera::stream: Gram, covariance, PCA, SVD, column statistics, sampled cosine / simplex
/// statistics and ternary packing of matrices read in blocks from files larger than memory (a
/// .npy, a safetensors tensor, a folder of shards), within a stated memory budget. The MPI
/// reductions are in <tessera/stream/mpi.hpp> (needs MPI).

#include "stream/moments.hpp"
#include "stream/pass.hpp"
#include "stream/source.hpp"
#include "stream/sample.hpp"
#include "stream/spectral.hpp"
#include "stream/svd_options.hpp"
#include "stream/ternary.hpp"
