#pragma once
/// \file simplex.hpp
/// The simplex module: Cayley-Menger matrices, accurate simplex volumes (QR of edges, or from
/// squared distances), regular simplices, single-simplex reports (normalized volume, error estimate, status),
/// random simplex sampling, batched volumes and volume
/// statistics against a Gaussian baseline.

#include "simplex/batch.hpp"
#include "simplex/cayley_menger.hpp"
#include "simplex/regular.hpp"
#include "simplex/report.hpp"
#include "simplex/statistics.hpp"
#include "simplex/volume.hpp"
