#pragma once
/// \file generalized_procrustes.hpp
/// Generalized Procrustes analysis (Gower 1975): aligns k >= 2 spaces of the same shape to
/// their common consensus by alternating Procrustes fits and consensus updates.

#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "detail/moments.hpp"
#include "procrustes.hpp"
#include "similarity_transform.hpp"

namespace tessera::align
{
    /// Options of generalized_procrustes().
    struct generalized_procrustes_options
    {
        bool center = true;             ///< centre each space on its column mean first
        bool scale = false;             ///< fit one scale per space (consensus norm held fixed)
        bool allow_reflection = false;  ///< allow det(R_i) = -1
        std::size_t max_iterations = 100;  ///< at most this many consensus updates
        /// Stop when the residual sum of squares changes by <= tolerance * (total sum of
        /// squares of the centred inputs) between two iterations.
        double tolerance = 1e-10;
    };

    /// Result of generalized_procrustes().
    template <class T>
    struct generalized_procrustes_result
    {
        /// transforms[i] maps space i into the consensus frame (mean_b = 0):
        /// transforms[i].apply(spaces[i]) is the aligned copy of space i.
        std::vector<similarity_transform<T>> transforms;
        xt::xtensor<T, 2> consensus = xt::xtensor<T, 2>::from_shape({0, 0});  ///< [n, d] mean of the aligned spaces
        std::size_t iterations = 0;  ///< consensus updates performed
        double residual = 0.0;       ///< sum_i ||aligned_i - consensus||_F^2 at exit
        tessera::status status;      ///< not_converged at max_iterations; any fit status is forwarded
    };

    namespace detail
    {
        template <class T>
        double sum_squares(const xt::xtensor<T, 2>& X)
        {
            double acc = 0.0;
            for (const T v : X)
                acc += static_cast<double>(v) * static_cast<double>(v);
            return acc;
        }

        /// Generalized Procrustes analysis of k >= 2 spaces of equal shape [n, d].
        ///
        /// Minimises \f$ \sum_i \| s_i (X_i - \mu_i) R_i - C \|_F^2 \f$ with C the mean of the aligned
        /// copies: start from C = X_0 (centred), then repeat { fit each space to C by procrustes();
        /// C <- mean of the aligned copies (rescaled to the mean input norm when scaling) } until
        /// the residual stops decreasing by more than tolerance * total sum of squares.
        /// \param spaces k >= 2 matrices [n, d] with identical shapes, finite entries.
        /// \return transforms, consensus [n, d], iterations, residual and status.
        /// \throws tessera::invalid_argument when fewer than 2 spaces are given, shapes differ, an
        ///   entry is not finite, or max_iterations == 0.
        /// \note Cost per iteration: k fits of 2 n d^2 + O(d^3) flops, plus k GEMMs to apply them.
        template <class T>
        generalized_procrustes_result<T> generalized_procrustes(const std::vector<xt::xtensor<T, 2>>& spaces,
                                                                const generalized_procrustes_options& opts = {})
        {
            static_assert(is_real_v<T>, "tessera::align::generalized_procrustes: T must be float or double");
            const char* fn = "align::generalized_procrustes";
            require(spaces.size() >= 2, fn, "spaces must hold at least 2 matrices, got ", spaces.size());
            require(opts.max_iterations > 0, fn, "options.max_iterations must be positive, got 0");
            const auto shape = spaces[0].shape();
            require(shape[0] > 0 && shape[1] > 0, fn, "spaces[0] must be non-empty, got ", shape_to_string(shape));
            for (std::size_t i = 0; i < spaces.size(); ++i)
            {
                require(spaces[i].shape() == shape, fn, "spaces[", i, "] must have the shape of spaces[0] ",
                        shape_to_string(shape), ", got ", shape_to_string(spaces[i].shape()));
                require_finite(spaces[i], fn, "spaces[i]");
            }
            const std::size_t k = spaces.size(), n = shape[0], d = shape[1];

            // Centred copies (the fits below run uncentred on them).
            std::vector<xt::xtensor<T, 2>> centred(k);
            std::vector<std::vector<double>> means(k);
            double total = 0.0, mean_norm = 0.0;
            for (std::size_t i = 0; i < k; ++i)
            {
                means[i] = opts.center ? column_mean(spaces[i], {}, static_cast<double>(n)) : std::vector<double>(d, 0.0);
                centred[i] = xt::xtensor<T, 2>::from_shape({n, d});
                const double ss = centred_block(spaces[i], means[i], 0, n, centred[i].data(),
                                                [](std::size_t) { return 1.0; }, [](std::size_t) { return 1.0; });
                total += ss;
                mean_norm += std::sqrt(ss) / static_cast<double>(k);
            }

            generalized_procrustes_result<T> r;
            r.consensus = centred[0];
            procrustes_options po;
            po.center = false;
            po.scale = opts.scale;
            po.allow_reflection = opts.allow_reflection;
            std::vector<xt::xtensor<T, 2>> aligned(k);
            r.transforms.resize(k);
            double previous = -1.0;
            bool converged = false;
            for (std::size_t it = 0; it < opts.max_iterations && !converged; ++it)
            {
                xt::xtensor<double, 2> acc = xt::zeros<double>({n, d});
                for (std::size_t i = 0; i < k; ++i)
                {
                    r.transforms[i] = fit_procrustes<T>(centred[i], r.consensus, po, static_cast<double>(n));
                    aligned[i] = r.transforms[i].apply(centred[i]);
                    acc += xt::cast<double>(aligned[i]);
                }
                acc /= static_cast<double>(k);
                if (opts.scale)
                {
                    const double norm = std::sqrt(sum_squares(acc));
                    if (norm > 0.0)
                        acc *= mean_norm / norm;
                }
                r.consensus = xt::cast<T>(acc);
                double residual = 0.0;
                for (std::size_t i = 0; i < k; ++i)
                    residual += sum_squares(xt::xtensor<double, 2>(xt::cast<double>(aligned[i]) - acc));
                r.iterations = it + 1;
                r.residual = residual;
                converged = previous >= 0.0 && std::abs(previous - residual) <= opts.tolerance * total;
                converged = converged || residual <= opts.tolerance * total;
                previous = residual;
            }
            for (std::size_t i = 0; i < k; ++i)
            {
                r.transforms[i].mean_a = to_tensor<T>(means[i], d);
                if (!r.transforms[i].status.ok())
                    add_status(r.status, r.transforms[i].status.code,
                               concat("fit of space ", i, ": ", r.transforms[i].status.message));
            }
            if (!converged)
                add_status(r.status, status_code::not_converged,
                           concat("residual ", r.residual, " still changing after ", r.iterations,
                                  " iterations (tolerance ", opts.tolerance, " x total ", total, ")"));
            return r;
        }
    }  // namespace detail

    using detail::generalized_procrustes;
}  // namespace tessera::align
