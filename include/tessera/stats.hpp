#pragma once
/// \file stats.hpp
/// The stats module: row norms, correlations, sampled pairwise distributions, covariance
/// spectrum, exact k-nearest neighbours and neighbour recall, and intervals of a mean (Student t).

#include "stats/correlation.hpp"
#include "stats/interval.hpp"
#include "stats/knn.hpp"
#include "stats/norms.hpp"
#include "stats/pairwise.hpp"
#include "stats/spectrum.hpp"
