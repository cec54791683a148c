#pragma once
/// \file noise.hpp
/// Noise robustness as a "compressed form": \f$W + s\,\sigma_W\,N\f$ with N i.i.d. N(0, 1) and
/// \f$\sigma_W\f$ the standard deviation of all entries of W, so the quality report scores
/// additive noise with the same metrics as every compression and both sit on one plot.

#include <cmath>
#include <cstddef>
#include <cstdint>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/random.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"

namespace tessera::compress
{
    namespace detail
    {
        /// Stream of the counter-based generator that draws the noise (independent of the other
        /// draws of the same seed).
        inline constexpr std::uint64_t noise_stream = 0x6e6f697365ull;  // "noise"
    }  // namespace detail

    /// A noisy copy of a matrix, held dense: storage is the dense matrix (rows * cols * sizeof(T)).
    template <class T>
    struct noisy_matrix
    {
        static_assert(std::is_floating_point_v<T>, "tessera::noisy_matrix<T>: T must be float or double");
        xt::xtensor<T, 2> matrix;   ///< \f$W + s \sigma_W N\f$ [rows, cols]
        double relative_scale = 0;  ///< s
        double noise_std = 0;       ///< \f$s \sigma_W\f$, the standard deviation of every noise entry
        std::uint64_t seed = 0;     ///< seed of N
        /// The noisy matrix (a copy).
        xt::xtensor<T, 2> reconstruct() const { return matrix; }
        /// rows * cols * sizeof(T).
        std::size_t storage_bytes() const noexcept { return matrix.size() * sizeof(T); }
    };

    namespace detail
    {
        /// \f$W + s\,\sigma_W\,N\f$: \f$\sigma_W\f$ is the population standard deviation of all
        /// entries of W (in double), N(i, j) the standard normal at position i * cols + j of
        /// tessera::counter_rng(seed, noise_stream) (same seed => same bits at any thread count).
        /// In expectation \f$\|W' - W\|_F^2 = s^2 \sigma_W^2 n d\f$: for zero-mean W the relative
        /// Frobenius error tends to s, and a row of norm \f$\sigma_W\sqrt d\f$ keeps cosine
        /// \f$\approx 1/\sqrt{1+s^2}\f$.
        /// \param W [n, d], finite. \param s relative noise level, finite and >= 0. \param seed of N.
        /// \return noisy_matrix<T> (s = 0 gives W exactly).
        /// \throws tessera::invalid_argument if W holds NaN or Inf, or s is negative or not finite.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        noisy_matrix<value_type_t<E>> add_gaussian_noise(const xt::xexpression<E>& W, double s, std::uint64_t seed = 0)
        {
            using T = value_type_t<E>;
            const char* fn = "compress::add_gaussian_noise";
            require(std::isfinite(s) && s >= 0.0, fn, "s=", s, " must be finite and >= 0");
            const auto ev = tessera::detail::evaluate_finite<T, 2>(W, fn, "W");
            const auto& M = ev.get();
            double mean = 0.0, var = 0.0;
            for (std::size_t i = 0; i < M.size(); ++i)
                mean += static_cast<double>(M.data()[i]);
            mean = M.size() ? mean / static_cast<double>(M.size()) : 0.0;
            for (std::size_t i = 0; i < M.size(); ++i)
            {
                const double c = static_cast<double>(M.data()[i]) - mean;
                var += c * c;
            }
            var = M.size() ? var / static_cast<double>(M.size()) : 0.0;
            noisy_matrix<T> r;
            r.relative_scale = s;
            r.noise_std = s * std::sqrt(var);
            r.seed = seed;
            r.matrix = xt::xtensor<T, 2>::from_shape(M.shape());
            fill_normal(r.matrix.data(), r.matrix.size(), counter_rng(seed, noise_stream), static_cast<T>(r.noise_std));
            for (std::size_t i = 0; i < M.size(); ++i)
                r.matrix.data()[i] += M.data()[i];
            return r;
        }
    }  // namespace detail

    using detail::add_gaussian_noise, detail::noise_stream;
}  // namespace tessera::compress
