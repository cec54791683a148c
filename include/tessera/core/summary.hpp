#pragma once
/// \file summary.hpp
/// The one summary of a sample of values (count, mean, population std, min, max, percentiles
/// 1..99 with numpy's default "linear" interpolation) and the one quantile rule, shared by every
/// module that summarises a distribution: stats (pairwise cosines, norms), simplex (volumes),
/// projection (distance ratios), align and compress (per-row cosines). Lives in core so sibling
/// modules use it without including each other.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "errors.hpp"

namespace tessera
{
    /// Mean, spread and percentiles of a sample of values. An empty sample has count 0, mean,
    /// stddev, min and max 0, and NaN percentiles.
    struct distribution_summary
    {
        std::size_t count = 0;  ///< number of values
        double mean = 0.0;      ///< arithmetic mean
        double stddev = 0.0;    ///< population standard deviation (numpy ddof=0)
        double min = 0.0;       ///< smallest value
        double max = 0.0;       ///< largest value
        /// [99]: entry p-1 is the p-th percentile (numpy "linear"); NaN for an empty sample.
        xt::xtensor<double, 1> percentiles =
            xt::xtensor<double, 1>(std::array<std::size_t, 1>{99}, std::numeric_limits<double>::quiet_NaN());

        /// The p-th percentile, p in 1..99. \throws tessera::invalid_argument otherwise.
        double percentile(int p) const
        {
            require(p >= 1 && p <= 99, "tessera::distribution_summary::percentile", "p must be in 1..99, got ", p);
            return percentiles(static_cast<std::size_t>(p - 1));
        }
        /// The median (the 50th percentile).
        double median() const { return percentiles(49); }
    };

    namespace detail
    {
        /// The q-quantile, q in [0, 1], of ascending `sorted` with numpy's default "linear" rule
        /// (position q (n - 1), interpolated); NaN when empty.
        inline double quantile_sorted(const std::vector<double>& sorted, double q)
        {
            if (sorted.empty())
                return std::numeric_limits<double>::quiet_NaN();
            const double h = static_cast<double>(sorted.size() - 1) * q;
            const auto lo = static_cast<std::size_t>(std::floor(h));
            const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
            return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
        }

        /// The distribution_summary of `v` (any order; sorted in place). Cost O(n log n).
        inline distribution_summary summarize_values(std::vector<double>& v)
        {
            distribution_summary s;
            s.count = v.size();
            if (v.empty())
                return s;
            std::sort(v.begin(), v.end());
            double sum = 0.0;
            for (const double x : v)
                sum += x;
            s.mean = sum / static_cast<double>(v.size());
            double ss = 0.0;
            for (const double x : v)
                ss += (x - s.mean) * (x - s.mean);
            s.stddev = std::sqrt(ss / static_cast<double>(v.size()));
            s.min = v.front();
            s.max = v.back();
            for (int p = 1; p <= 99; ++p)
                s.percentiles(static_cast<std::size_t>(p - 1)) = quantile_sorted(v, static_cast<double>(p) / 100.0);
            return s;
        }
    }  // namespace detail
}  // namespace tessera
