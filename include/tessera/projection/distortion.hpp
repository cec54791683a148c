#pragma once
/// \file distortion.hpp
/// The empirical distortion of a random projection on real rows: the distribution of
/// ||(w_i - w_j) P||^2 / ||w_i - w_j||^2 over sampled pairs, next to the JL bound.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/random.hpp"
#include "../core/summary.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"
#include "johnson_lindenstrauss.hpp"
#include "random_projection.hpp"

namespace tessera::projection
{
    /// Options of distortion_report.
    struct distortion_options
    {
        std::size_t pairs = 10000;  ///< number of sampled pairs (i, j), i != j, with replacement
        double eps = 0.1;           ///< tolerance for fraction_outside and jl_min_dim
    };

    /// Distribution of the squared-distance ratio r = ||(w_i - w_j) P||^2 / (s ||w_i - w_j||^2),
    /// s = proj.norm_scale() (1, or k/d for the orthonormal kind, so that r concentrates at 1).
    struct distortion_stats
    {
        std::size_t pairs = 0;          ///< pairs with ||w_i - w_j|| > 0 that were measured
        std::size_t skipped = 0;        ///< sampled pairs of identical rows (ratio undefined)
        /// The ratios' distribution_summary (core/summary.hpp): mean, stddev (divisor pairs), min,
        /// max, percentiles 1..99 (numpy "linear"); mean, stddev, min and max NaN when pairs = 0.
        distribution_summary ratio;
        double eps = 0;                 ///< the options' eps
        double fraction_outside = 0;    ///< fraction of pairs with |r - 1| > eps
        double max_abs_log = 0;         ///< max |ln r|: the worst multiplicative distortion seen
        double jl_eps = 0;              ///< johnson_lindenstrauss_eps(n, k); NaN when k <= 24 ln n
        std::uint64_t jl_min_dim = 0;   ///< johnson_lindenstrauss_min_dim(n, eps)
    };

    namespace detail
    {
        /// Empirical distortion of `proj` on the rows of W; see distortion_stats.
        /// Pair p draws i = uniform_index(2p, n) and j from the n - 1 other rows at position
        /// 2p + 1 of counter_rng(seed, 1): deterministic in seed at any thread count.
        /// \param W [n, d], n >= 2. Cost: pairs * (d + cost of projecting one row).
        /// \throws tessera::invalid_argument if W does not have proj.input_dim() columns,
        /// n < 2, pairs == 0, eps not in (0, 1), or W holds NaN / Inf.
        template <class T, class E, requires_t<is_real_expression_v<E>> = true>
        distortion_stats distortion_report(const xt::xexpression<E>& W, const random_projection<T>& proj,
                                           const distortion_options& options = {}, std::uint64_t seed = 0)
        {
            const char* fn = "projection::distortion_report";
            auto ev = tessera::detail::evaluate_finite<T, 2>(W, fn, "W");
            const auto& w = ev.get();
            const std::size_t n = w.shape(0), d = w.shape(1);
            require(d == proj.input_dim(), fn, "W must have ", proj.input_dim(), " columns (d), got shape ",
                    shape_to_string(w.shape()));
            require(n >= 2, fn, "W must have at least 2 rows, got shape ", shape_to_string(w.shape()));
            require(options.pairs >= 1, fn, "pairs=", options.pairs, " must be at least 1");
            require(options.eps > 0.0 && options.eps < 1.0, fn, "eps=", options.eps, " must be in (0, 1)");

            const counter_rng rng(seed, 1);
            const std::size_t chunk = 4096;
            distortion_stats st;
            st.eps = options.eps;
            std::vector<double> ratios;
            ratios.reserve(options.pairs);
            const double s = proj.norm_scale();
            for (std::size_t p0 = 0; p0 < options.pairs; p0 += chunk)
            {
                const std::size_t m = std::min(chunk, options.pairs - p0);
                xt::xtensor<T, 2> D = xt::xtensor<T, 2>::from_shape({m, d});
                std::vector<double> base(m, 0.0);
                for (std::size_t q = 0; q < m; ++q)
                {
                    const std::uint64_t p = p0 + q;
                    const std::uint64_t i = rng.uniform_index(2 * p, n);
                    std::uint64_t j = rng.uniform_index(2 * p + 1, n - 1);
                    j += (j >= i) ? 1 : 0;
                    double acc = 0.0;
                    for (std::size_t c = 0; c < d; ++c)
                    {
                        const T diff = w(i, c) - w(j, c);
                        D(q, c) = diff;
                        acc += static_cast<double>(diff) * static_cast<double>(diff);
                    }
                    base[q] = acc;
                }
                const auto Y = proj.project(D);
                const std::size_t k = Y.shape(1);
                for (std::size_t q = 0; q < m; ++q)
                {
                    if (!(base[q] > 0.0))
                    {
                        ++st.skipped;
                        continue;
                    }
                    double acc = 0.0;
                    for (std::size_t c = 0; c < k; ++c)
                        acc += static_cast<double>(Y(q, c)) * static_cast<double>(Y(q, c));
                    ratios.push_back(acc / (s * base[q]));
                }
            }
            st.pairs = ratios.size();
            st.jl_min_dim = johnson_lindenstrauss_min_dim(n, options.eps);
            const double k = static_cast<double>(proj.output_dim());
            st.jl_eps = k > 24.0 * std::log(static_cast<double>(n)) ? johnson_lindenstrauss_eps(n, proj.output_dim())
                                                                     : std::numeric_limits<double>::quiet_NaN();
            if (ratios.empty())
            {
                st.ratio.mean = st.ratio.stddev = st.ratio.min = st.ratio.max = std::numeric_limits<double>::quiet_NaN();
                return st;
            }
            double outside = 0.0;
            for (double r : ratios)
            {
                outside += std::abs(r - 1.0) > options.eps ? 1.0 : 0.0;
                st.max_abs_log = std::max(st.max_abs_log, std::abs(std::log(r)));
            }
            st.fraction_outside = outside / static_cast<double>(ratios.size());
            st.ratio = tessera::detail::summarize_values(ratios);
            return st;
        }
    }  // namespace detail

    using detail::distortion_report;
}  // namespace tessera::projection
