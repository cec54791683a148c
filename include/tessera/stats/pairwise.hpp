#pragma once
/// \file pairwise.hpp
/// Sampled pairwise cosine-similarity and Euclidean-distance distributions, distribution
/// summaries (mean, std, min, max, percentiles 1..99), the fraction of values near given
/// constants, and the relational correlation of two spaces over the same rows.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "../core/random.hpp"
#include "../core/summary.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"
#include "correlation.hpp"
#include "norms.hpp"

namespace tessera::stats
{
    /// Mean, spread and percentiles of a sample of values (core/summary.hpp: one summary type
    /// for every module).
    using tessera::distribution_summary;

    /// Sampled pairwise values: the row pairs, one value per pair, and their summary.
    struct pairwise_sample
    {
        xt::xtensor<std::uint64_t, 2> pairs;  ///< [count, 2] row indices, pairs(s, 0) != pairs(s, 1)
        xt::xtensor<double, 1> values;        ///< [count] cosine similarity or Euclidean distance
        distribution_summary summary;         ///< summary of `values`
    };

    /// Pearson and Spearman correlation of the pairwise cosines of the same rows in two spaces.
    struct relational_result
    {
        double pearson = 0.0;   ///< Pearson r of cos_A(i, j) vs cos_B(i, j)
        double spearman = 0.0;  ///< Spearman rho of the same
        std::size_t pairs = 0;  ///< number of pairs used
    };

    namespace detail
    {
        inline distribution_summary summarize_raw(std::vector<double> v) { return tessera::detail::summarize_values(v); }

        /// Summary of a 1-D sample: count, mean, population std, min, max and the percentiles
        /// 1..99 with numpy's default "linear" interpolation. Cost O(n log n).
        /// \throws tessera::invalid_argument if x is not 1-D or holds NaN or Inf.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        distribution_summary summarize(const xt::xexpression<E>& x)
        {
            auto v = to_double_vector(x, "stats::summarize", "x", true);
            return summarize_raw(std::move(v));
        }

        /// `count` random pairs of distinct rows of an n-row matrix: pair s is
        /// sample_without_replacement(n, 2) at counter positions 2s, 2s+1 of counter_rng(seed, 1),
        /// so the result is identical at any thread count.
        /// \return [count, 2] row indices. \throws tessera::invalid_argument if n < 2 or count == 0.
        inline xt::xtensor<std::uint64_t, 2> sample_pairs(std::uint64_t n, std::size_t count, std::uint64_t seed = 0)
        {
            require(n >= 2, "stats::sample_pairs", "n must be at least 2, got ", n);
            require(count > 0, "stats::sample_pairs", "count must be positive, got 0");
            xt::xtensor<std::uint64_t, 2> out = xt::xtensor<std::uint64_t, 2>::from_shape({count, std::size_t(2)});
            const counter_rng rng(seed, 1);
            tessera::parallel_for(0, static_cast<std::ptrdiff_t>(count), [&](std::ptrdiff_t s) {
                const auto u = static_cast<std::uint64_t>(s);
                tessera::sample_without_replacement(n, 2, rng, 2 * u, out.data() + 2 * u);
            }, 4096);
            return out;
        }

        inline void check_pairs(const xt::xtensor<std::uint64_t, 2>& pairs, std::size_t n, const char* fn)
        {
            require(pairs.dimension() == 2 && pairs.shape(1) == 2, fn, "pairs must have shape [count, 2], got ",
                    shape_to_string(pairs.shape()));
            require(pairs.shape(0) > 0, fn, "pairs must hold at least one pair, got 0");
            for (std::size_t s = 0; s < pairs.shape(0); ++s)
                require(pairs(s, 0) < n && pairs(s, 1) < n, fn, "pairs(", s, ") = (", pairs(s, 0), ", ", pairs(s, 1),
                        ") out of range for ", n, " rows");
        }

        template <class T, class F>
        xt::xtensor<double, 1> pair_values(const xt::xtensor<T, 2>& A, const xt::xtensor<std::uint64_t, 2>& pairs, F f)
        {
            const std::size_t d = A.shape(1), count = pairs.shape(0);
            xt::xtensor<double, 1> v = xt::xtensor<double, 1>::from_shape({count});
            tessera::parallel_for(0, static_cast<std::ptrdiff_t>(count), [&](std::ptrdiff_t s) {
                const auto u = static_cast<std::size_t>(s);
                v(u) = f(A.data() + pairs(u, 0) * d, A.data() + pairs(u, 1) * d, d);
            }, 1024);
            return v;
        }

        template <class T>
        pairwise_sample make_sample(const xt::xtensor<T, 2>& A, xt::xtensor<std::uint64_t, 2> pairs, bool cosine_metric)
        {
            pairwise_sample out;
            out.values = cosine_metric ? pair_values(A, pairs, [](const T* a, const T* b, std::size_t d) { return cosine(a, b, d); })
                                       : pair_values(A, pairs, [](const T* a, const T* b, std::size_t d) {
                                             return std::sqrt(distance2(a, b, d));
                                         });
            out.summary = summarize_raw(std::vector<double>(out.values.begin(), out.values.end()));
            out.pairs = std::move(pairs);
            return out;
        }

        /// Cosine similarities \f$x_i\cdot x_j/(\|x_i\|\|x_j\|)\f$ of `count` random pairs of distinct
        /// rows of X [n, d] (pairs from sample_pairs(n, count, seed)), computed in double (a zero row
        /// has cosine 0 with everything), with their summary. Cost 6 d count flops.
        /// \throws tessera::invalid_argument if X is not a matrix, n < 2, count == 0, or X holds NaN / Inf.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        pairwise_sample pairwise_cosine(const xt::xexpression<E>& X, std::size_t count = 100000, std::uint64_t seed = 0)
        {
            const auto ev = tessera::detail::evaluate_finite<value_type_t<E>, 2>(X, "stats::pairwise_cosine", "X");
            return make_sample(ev.get(), sample_pairs(ev.get().shape(0), count, seed), true);
        }

        /// Euclidean distances \f$\|x_i - x_j\|_2\f$ (in double) of `count` random pairs of distinct
        /// rows of X [n, d], with their summary. Same pairs as pairwise_cosine for the same seed.
        /// \throws tessera::invalid_argument if X is not a matrix, n < 2, count == 0, or X holds NaN / Inf.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        pairwise_sample pairwise_distance(const xt::xexpression<E>& X, std::size_t count = 100000,
                                          std::uint64_t seed = 0)
        {
            const auto ev = tessera::detail::evaluate_finite<value_type_t<E>, 2>(X, "stats::pairwise_distance", "X");
            return make_sample(ev.get(), sample_pairs(ev.get().shape(0), count, seed), false);
        }

        /// Cosine similarities of the given row pairs ([count, 2]) of X.
        /// \throws tessera::invalid_argument if a pair index is out of range or X holds NaN / Inf.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        pairwise_sample pairwise_cosine(const xt::xexpression<E>& X, xt::xtensor<std::uint64_t, 2> pairs)
        {
            const auto ev = tessera::detail::evaluate_finite<value_type_t<E>, 2>(X, "stats::pairwise_cosine", "X");
            check_pairs(pairs, ev.get().shape(0), "stats::pairwise_cosine");
            return make_sample(ev.get(), std::move(pairs), true);
        }

        /// Euclidean distances of the given row pairs ([count, 2]) of X.
        /// \throws tessera::invalid_argument if a pair index is out of range or X holds NaN / Inf.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        pairwise_sample pairwise_distance(const xt::xexpression<E>& X, xt::xtensor<std::uint64_t, 2> pairs)
        {
            const auto ev = tessera::detail::evaluate_finite<value_type_t<E>, 2>(X, "stats::pairwise_distance", "X");
            check_pairs(pairs, ev.get().shape(0), "stats::pairwise_distance");
            return make_sample(ev.get(), std::move(pairs), false);
        }

        /// For each target t, the fraction of values v with \f$|v - t| \le \delta\f$ (the seeds look
        /// for pairwise cosines piling up near constants).
        /// \return [targets.size()] fractions in [0, 1].
        /// \throws tessera::invalid_argument if values is empty, not 1-D or not finite, or delta < 0 or NaN.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        xt::xtensor<double, 1> fraction_near(const xt::xexpression<E>& values, const std::vector<double>& targets,
                                             double delta)
        {
            const auto v = to_double_vector(values, "stats::fraction_near", "values", true);
            require(!v.empty(), "stats::fraction_near", "values must not be empty");
            require(delta >= 0.0, "stats::fraction_near", "delta must be >= 0, got ", delta);
            xt::xtensor<double, 1> out = xt::zeros<double>({targets.size()});
            for (std::size_t t = 0; t < targets.size(); ++t)
            {
                std::size_t hits = 0;
                for (double x : v)
                    hits += std::fabs(x - targets[t]) <= delta ? 1u : 0u;
                out(t) = static_cast<double>(hits) / static_cast<double>(v.size());
            }
            return out;
        }

        /// Relational correlation of two spaces over the same rows: Pearson and Spearman between
        /// \f$\cos_A(i,j)\f$ and \f$\cos_B(i,j)\f$ for the given row pairs. A [n, dA], B [n, dB].
        /// \throws tessera::invalid_argument if A and B have different row counts, a pair is out of range, or A or B holds NaN / Inf.
        template <class E1, class E2, requires_t<is_real_expression_v<E1> && is_real_expression_v<E2>> = true>
        relational_result relational_correlation(const xt::xexpression<E1>& A, const xt::xexpression<E2>& B,
                                                 const xt::xtensor<std::uint64_t, 2>& pairs)
        {
            const char* fn = "stats::relational_correlation";
            const auto ea = tessera::detail::evaluate_finite<value_type_t<E1>, 2>(A, fn, "A");
            const auto eb = tessera::detail::evaluate_finite<value_type_t<E2>, 2>(B, fn, "B");
            require(ea.get().shape(0) == eb.get().shape(0), fn, "A and B must have the same number of rows, got ",
                    shape_to_string(ea.get().shape()), " and ", shape_to_string(eb.get().shape()));
            check_pairs(pairs, ea.get().shape(0), fn);
            using TA = value_type_t<E1>;
            using TB = value_type_t<E2>;
            const auto ca = pair_values(ea.get(), pairs, [](const TA* a, const TA* b, std::size_t d) { return cosine(a, b, d); });
            const auto cb = pair_values(eb.get(), pairs, [](const TB* a, const TB* b, std::size_t d) { return cosine(a, b, d); });
            relational_result r;
            r.pairs = pairs.shape(0);
            r.pearson = pearson(ca, cb);
            r.spearman = spearman(ca, cb);
            return r;
        }

        /// Relational correlation over `sample` random row pairs (sample_pairs(n, sample, seed)).
        /// \throws tessera::invalid_argument if row counts differ, n < 2 or sample < 2.
        template <class E1, class E2, requires_t<is_real_expression_v<E1> && is_real_expression_v<E2>> = true>
        relational_result relational_correlation(const xt::xexpression<E1>& A, const xt::xexpression<E2>& B,
                                                 std::size_t sample = 100000, std::uint64_t seed = 0)
        {
            const auto& a = A.derived_cast();
            require(a.dimension() == 2, "stats::relational_correlation", "A must be a matrix, got shape ",
                    shape_to_string(a.shape()));
            require(sample >= 2, "stats::relational_correlation", "sample must be at least 2, got ", sample);
            return relational_correlation(A, B, sample_pairs(a.shape(0), sample, seed));
        }
    }  // namespace detail

    using detail::fraction_near, detail::pairwise_cosine, detail::pairwise_distance,
        detail::relational_correlation, detail::sample_pairs, detail::summarize;
}  // namespace tessera::stats
