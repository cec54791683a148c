#pragma once
/// \file projection.hpp
/// Random projections (Gaussian, orthonormal, Achlioptas, very sparse) with pseudoinverse
/// reconstruction, the Johnson-Lindenstrauss bound, distortion and operator reports, and the
/// compressed form (codes + seed).
#include "projection/compressed_projection.hpp"
#include "projection/distortion.hpp"
#include "projection/johnson_lindenstrauss.hpp"
#include "projection/operator_report.hpp"
#include "projection/random_projection.hpp"
