#pragma once
/// \file core.hpp
/// The core module: errors, status, traits, seeded counter-based RNG, parallel helpers,
/// binary16/bfloat16 number conversions, and the BLAS/LAPACK bridge.

#include "core/blas.hpp"
#include "core/cpu.hpp"
#include "core/errors.hpp"
#include "core/half.hpp"
#include "core/eigh_top.hpp"
#include "core/lapack.hpp"
#include "core/triangular.hpp"
#include "core/parallel.hpp"
#include "core/random.hpp"
#include "core/status.hpp"
#include "core/summary.hpp"
#include "core/traits.hpp"
#include "core/validate.hpp"
#include "core/version.hpp"
