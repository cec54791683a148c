#pragma once
/// \file battery_weights.hpp
/// The per-tensor part of the weight-terrain battery: spectral metrics of one 2-D weight from
/// its singular values (computed once, values only), sparsity at four magnitudes and the norm
/// and scale statistics, in one call.

#include <array>
#include <cmath>
#include <cstddef>
#include <string>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"
#include "../spectral/metrics.hpp"
#include "detail/battery_spectrum.hpp"

namespace tessera::model
{
    /// Options of measure_weight(); every member has a documented default.
    struct weight_metrics_options
    {
        double energy_tau = 0.9;         ///< energy_rank keeps this fraction of ||W||_F^2, in (0, 1]
        double active_threshold = 0.01;  ///< active_fraction counts sigma > threshold * sigma_1, in [0, 1)
        std::array<double, 4> sparsity_thresholds = {1e-4, 1e-3, 1e-2, 1e-1};  ///< sparsity[t] = fraction |w| < these
        /// Largest element count for which an unresolved Gram tail is recomputed exactly (gesdd
        /// 'N' on a double copy, 8 bytes per element); larger matrices report accuracy_limited.
        std::size_t exact_tail_max_elements = std::size_t(1) << 25;
    };

    /// Every per-tensor metric of a weight W [m, n].
    struct weight_metrics
    {
        std::size_t rows = 0;                          ///< m
        std::size_t cols = 0;                          ///< n
        xt::xtensor<double, 1> singular_values;        ///< [min(m, n)] descending
        double stable_rank = 0.0;                      ///< ||W||_F^2 / sigma_1^2
        double participation_ratio = 0.0;              ///< (sum sigma)^2 / sum sigma^2
        double effective_rank = 0.0;                   ///< exp H(sigma / sum sigma) (entropy effective rank)
        std::size_t energy_rank = 0;                   ///< smallest k keeping energy_tau of sum sigma^2
        double condition_number = 0.0;                 ///< sigma_1 / sigma_min (inf when singular)
        double active_fraction = 0.0;                  ///< fraction of sigma > active_threshold * sigma_1
        std::array<double, 4> sparsity{};              ///< fraction of |w| < sparsity_thresholds[t]
        double frobenius = 0.0;                        ///< ||W||_F
        double mean_abs = 0.0;                         ///< mean |w|
        double mean = 0.0;                             ///< mean w
        double stddev = 0.0;                           ///< population std of the entries (ddof = 0, numpy.std)
        double max_abs = 0.0;                          ///< max |w|
        double row_norm_mean = 0.0;                    ///< mean of ||w_i||_2 over rows
        double row_norm_std = 0.0;                     ///< population std of the row norms
        std::string method;                            ///< "gram" or "gram+exact" (how sigma was computed)
        tessera::status status;                        ///< accuracy_limited / not_converged, see method
    };

    namespace detail
    {
        /// measure_weight of an evaluated W; `gram_out` (optional) receives the double Gram matrix
        /// of W's smaller side (run_battery reuses the embedding's for its covariance spectrum).
        /// Non-finite entries make the double sum of squares non-finite (a float squared cannot
        /// overflow a double sum), so require_finite's own pass runs only then, to name the entry.
        template <class T>
        weight_metrics weight_metrics_of(const xt::xtensor<T, 2>& A, const weight_metrics_options& options,
                                         xt::xtensor<double, 2>* gram_out)
        {
            const char* fn = "model::measure_weight";
            require(options.energy_tau > 0.0 && options.energy_tau <= 1.0, fn, "options.energy_tau=",
                    options.energy_tau, " must be in (0, 1]");
            require(options.active_threshold >= 0.0 && options.active_threshold < 1.0, fn,
                    "options.active_threshold=", options.active_threshold, " must be in [0, 1)");
            require(A.shape(0) > 0 && A.shape(1) > 0, fn, "W must be a non-empty matrix, got shape ",
                    shape_to_string(A.shape()));
            const element_stats e = one_pass_stats(A, options.sparsity_thresholds);
            if (!std::isfinite(e.sum_sq) || !std::isfinite(e.mean))
                require_finite(A, fn, "W");
            weight_metrics r;
            r.rows = A.shape(0);
            r.cols = A.shape(1);
            const double count = static_cast<double>(A.size());
            r.frobenius = std::sqrt(e.sum_sq);
            r.mean_abs = e.sum_abs / count;
            r.mean = e.mean;
            r.stddev = std::sqrt(e.m2 / count);
            r.max_abs = e.max_abs;
            r.row_norm_mean = e.row_norm_mean;
            r.row_norm_std = std::sqrt(e.row_norm_m2 / static_cast<double>(r.rows));
            for (std::size_t t = 0; t < 4; ++t)
                r.sparsity[t] = static_cast<double>(e.below[t]) / count;
            auto sv = weight_singular_values(A, options.exact_tail_max_elements, gram_out);
            r.singular_values = std::move(sv.sigma);
            r.method = std::move(sv.method);
            r.status = std::move(sv.status);
            const auto& s = r.singular_values;
            r.stable_rank = spectral::stable_rank(s);
            r.participation_ratio = spectral::participation_ratio_sigma(s);
            r.effective_rank = spectral::effective_rank_entropy(s);
            r.energy_rank = spectral::energy_rank(s, options.energy_tau);
            r.condition_number = spectral::condition_number(s);
            r.active_fraction = spectral::active_fraction(s, options.active_threshold);
            if (r.status.ok() && !(s(0) > 0.0))
                r.status = {status_code::degenerate, "W is all zeros: every spectral metric is 0"};
            return r;
        }

        /// Battery metrics of one weight W [m, n] (float or double). Singular values once, values
        /// only: the double Gram of the smaller side (m n min(m, n) flops, BLAS-3 syrk) and syevd
        /// JOBZ='N' — fewer flops than gesdd 'N' (~4 m n^2 with BLAS-2 bidiagonalization) and
        /// accurate to eps (sigma_1 / sigma_i)^2 relative; when that bound exceeds 1e-6 at
        /// sigma_min the values are recomputed with gesdd 'N' (method "gram+exact"), or status
        /// accuracy_limited for matrices over options.exact_tail_max_elements. Element statistics
        /// and the finiteness check in one read of W (OpenMP over rows; BLAS threads the Gram, the
        /// phases never nest).
        /// \param W [m, n], m, n >= 1, finite. \return weight_metrics.
        /// \throws tessera::invalid_argument for an empty or non-finite W or options out of range.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        weight_metrics measure_weight(const xt::xexpression<E>& W, const weight_metrics_options& options = {})
        {
            using T = value_type_t<E>;
            const auto held = tessera::detail::evaluate<T, 2>(W, "model::measure_weight", "W");
            return weight_metrics_of(held.get(), options, nullptr);
        }
    }  // namespace detail

    using detail::measure_weight;
}  // namespace tessera::model
