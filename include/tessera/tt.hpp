#pragma once
/// \file tt.hpp
/// The tt module: tensor trains (TT-SVD, rounding, norms and inner products without
/// densifying), TT-matrices of weight matrices in the interleaved (MPO) and sequential
/// layouts with GEMM matvec/matmat, tensorly layout converters, and shape helpers.

#include "tt/options.hpp"
#include "tt/sequential.hpp"
#include "tt/shapes.hpp"
#include "tt/tensor_train.hpp"
#include "tt/tensorly_layout.hpp"
#include "tt/tt_matrix.hpp"
#include "tt/tt_svd.hpp"
