#pragma once
/// \file spectral.hpp
/// The spectral module: truncated SVD (exact, gram, randomized, adaptive), PCA, the low_rank
/// compressed form, and effective-rank metrics of a spectrum.

#include "spectral/adaptive_svd.hpp"
#include "spectral/low_rank.hpp"
#include "spectral/metrics.hpp"
#include "spectral/pca.hpp"
#include "spectral/spectrum_report.hpp"
#include "spectral/svd_result.hpp"
#include "spectral/truncated_svd.hpp"
