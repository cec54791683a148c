#pragma once
/// \file statistics.hpp
/// Volume statistics of random simplices drawn from the rows of an embedding matrix, against
/// the seeds' baseline: Gaussian points with the same per-dimension standard deviation.

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
#include "batch.hpp"

namespace tessera::simplex
{
    /// Options of volume_statistics(); defaults documented per member.
    struct volume_statistics_options
    {
        volume_method method = volume_method::qr;  ///< volume algorithm
        double degenerate_threshold = 1e-6;        ///< normalized-volume threshold of the degeneracy flag
        bool gaussian_baseline = true;             ///< also measure Gaussian points of matched per-dimension std
        std::size_t baseline_count = 0;            ///< baseline simplices (0 = same count as the data)
    };

    /// Summary of a sample of simplex volumes.
    struct volume_summary
    {
        std::size_t count = 0;             ///< simplices measured
        double mean = 0.0;                 ///< mean volume
        double stddev = 0.0;               ///< population standard deviation (ddof = 0, as numpy.std)
        double cv = 0.0;                   ///< coefficient of variation stddev / mean (0 when mean is 0)
        /// The volumes' distribution_summary (core/summary.hpp): min, max and percentiles 1..99
        /// (numpy "linear"); its mean and stddev equal `mean` and `stddev`.
        distribution_summary distribution;
        double mean_normalized = 0.0;      ///< mean of V / V_regular(mean edge)
        double fraction_degenerate = 0.0;  ///< fraction flagged degenerate
    };

    /// Data statistics, Gaussian baseline and their ratio.
    struct volume_statistics_result
    {
        std::size_t k = 0;                 ///< simplex dimension
        volume_summary data;               ///< simplices from the rows of X
        volume_summary gaussian;           ///< simplices of N(0, diag(sigma^2)) points (count 0 if disabled)
        double mean_ratio = 0.0;           ///< data.mean / gaussian.mean (0 if disabled or gaussian.mean == 0)
        xt::xtensor<double, 1> column_std;  ///< [d] per-dimension std sigma of X (ddof = 0)
    };

    namespace detail
    {
        inline volume_summary summarize_volumes(const std::vector<double>& v, const std::vector<double>& nu,
                                                std::size_t degenerate)
        {
            volume_summary s;
            s.count = v.size();
            if (v.empty())
                return s;
            double sum = 0.0, sn = 0.0;
            for (std::size_t i = 0; i < v.size(); ++i)
            {
                sum += v[i];
                sn += nu[i];
            }
            const double n = static_cast<double>(v.size());
            s.mean = sum / n;
            s.mean_normalized = sn / n;
            double ss = 0.0;
            for (double x : v)
                ss += (x - s.mean) * (x - s.mean);
            s.stddev = std::sqrt(ss / n);
            s.cv = s.mean > 0.0 ? s.stddev / s.mean : 0.0;
            s.fraction_degenerate = static_cast<double>(degenerate) / n;
            std::vector<double> sorted = v;
            s.distribution = tessera::detail::summarize_values(sorted);
            return s;
        }

        /// Volumes of `count` simplices of Gaussian points N(0, diag(sigma^2)) in R^d: vertex i of
        /// simplex s, coordinate j, is sigma_j * normal(s S + i d + j) of counter_rng(seed, 4), S = (k+1) d rounded up to even.
        inline void gaussian_volumes(const std::vector<double>& sigma, std::size_t k, std::size_t count,
                                     std::uint64_t seed, volume_method method, std::vector<double>& v2,
                                     std::vector<double>& me)
        {
            const std::size_t d = sigma.size(), m = k + 1;
            const counter_rng rng(seed, 4);
            const std::size_t stride = m * d + (m * d) % 2;  // fill_normal needs even offsets
            v2.assign(count, 0.0);
            me.assign(count, 0.0);
            constexpr std::ptrdiff_t chunk = 64;
            const auto chunks = static_cast<std::ptrdiff_t>((count + chunk - 1) / chunk);
            tessera::parallel_for(0, chunks, [&](std::ptrdiff_t c) {
                simplex_workspace ws;
                std::vector<double> pts(m * d);
                std::vector<const double*> rows(m);
                for (std::size_t v = 0; v < m; ++v)
                    rows[v] = pts.data() + v * d;
                const std::size_t begin = static_cast<std::size_t>(c * chunk);
                const std::size_t end = std::min(count, begin + static_cast<std::size_t>(chunk));
                for (std::size_t s = begin; s < end; ++s)
                {
                    tessera::fill_normal(pts.data(), m * d, rng, 1.0, s * stride);
                    for (std::size_t v = 0; v < m; ++v)
                        for (std::size_t j = 0; j < d; ++j)
                            pts[v * d + j] *= sigma[j];
                    simplex_volume_raw<0>(rows.data(), k, d, method, ws, v2[s], me[s], nullptr, false);
                }
            });
        }

        /// volume_statistics on given simplices: `idx` [count, k + 1] row indices into A [n, d],
        /// `sigma` [d] the per-dimension std (ddof 0) of the whole matrix the rows come from (the
        /// Gaussian baseline's scales). What volume_statistics runs after sampling, and what
        /// stream::volume_statistics runs on the rows it gathered from a file.
        template <class T>
        volume_statistics_result volume_statistics_indexed(const xt::xtensor<T, 2>& A, const xt::xtensor<std::uint64_t, 2>& idx,
                                                           std::size_t k, std::uint64_t seed,
                                                           const volume_statistics_options& options,
                                                           const std::vector<double>& sigma)
        {
            const std::size_t count = idx.shape(0), d = A.shape(1);
            std::vector<double> vol(count), nu(count);
            std::vector<std::uint8_t> flag(count);
            const double unit = regular_simplex_volume(k, 1.0);
            for_each_simplex(A, idx.data(), count, k, options.method, [&](std::size_t s, double v2, double me) {
                vol[s] = std::sqrt(std::max(v2, 0.0));
                nu[s] = normalized_volume(v2, me, k, unit);
                flag[s] = nu[s] <= options.degenerate_threshold ? 1 : 0;
            });
            std::size_t deg = 0;
            for (auto f : flag)
                deg += f;
            volume_statistics_result r;
            r.k = k;
            r.data = summarize_volumes(vol, nu, deg);
            r.column_std = xt::xtensor<double, 1>::from_shape({d});
            for (std::size_t j = 0; j < d; ++j)
                r.column_std(j) = sigma[j];
            if (options.gaussian_baseline)
            {
                const std::size_t bc = options.baseline_count > 0 ? options.baseline_count : count;
                std::vector<double> gv2, gme;
                gaussian_volumes(sigma, k, bc, seed, options.method, gv2, gme);
                std::vector<double> gv(bc), gnu(bc);
                std::size_t gdeg = 0;
                for (std::size_t s = 0; s < bc; ++s)
                {
                    gv[s] = std::sqrt(std::max(gv2[s], 0.0));
                    gnu[s] = normalized_volume(gv2[s], gme[s], k, unit);
                    gdeg += gnu[s] <= options.degenerate_threshold ? 1u : 0u;
                }
                r.gaussian = summarize_volumes(gv, gnu, gdeg);
                r.mean_ratio = r.gaussian.mean > 0.0 ? r.data.mean / r.gaussian.mean : 0.0;
            }
            return r;
        }

        /// Volume statistics of `count` random k-simplices of the rows of X [n, d]
        /// (sample_simplices(n, k, count, seed)): mean, std, CV = std/mean, quantiles, mean normalized
        /// volume, fraction degenerate; and the same for Gaussian points with X's per-dimension std
        /// (the seeds' baseline; translation does not change volumes, so the mean is irrelevant),
        /// with mean_ratio = mean(V_X) / mean(V_gauss). Deterministic per seed at any thread count.
        /// Cost 2 k^2 d flops per simplex, plus (k+1) d normal draws per baseline simplex.
        /// \throws tessera::invalid_argument if k == 0, k > d, k+1 > n, count == 0 or a quantile level
        ///         is outside [0, 1], or X holds NaN / Inf.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        volume_statistics_result volume_statistics(const xt::xexpression<E>& X, std::size_t k, std::size_t count,
                                                   std::uint64_t seed = 0, const volume_statistics_options& options = {})
        {
            using T = value_type_t<E>;
            const char* fn = "simplex::volume_statistics";
            const auto ev = tessera::detail::evaluate_finite<T, 2>(X, fn, "X");
            const auto& A = ev.get();
            const std::size_t n = A.shape(0), d = A.shape(1);
            require(k >= 1 && k <= d, fn, "k=", k, " must be in [1, d=", d, "]");
            const auto idx = sample_simplices(n, k, count, seed);
            std::vector<double> mean(d, 0.0), sigma(d, 0.0);
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < d; ++j)
                    mean[j] += static_cast<double>(A(i, j));
            for (double& x : mean)
                x /= static_cast<double>(n);
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < d; ++j)
                {
                    const double t = static_cast<double>(A(i, j)) - mean[j];
                    sigma[j] += t * t;
                }
            for (std::size_t j = 0; j < d; ++j)
                sigma[j] = std::sqrt(sigma[j] / static_cast<double>(n));
            return volume_statistics_indexed(A, idx, k, seed, options, sigma);
        }
    }  // namespace detail

    using detail::volume_statistics;
}  // namespace tessera::simplex
