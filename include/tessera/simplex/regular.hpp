#pragma once
/// \file regular.hpp
/// The regular simplex: its vertices (centred at the origin) and its volume.

#include <algorithm>
#include <cmath>
#include <cstddef>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"

namespace tessera::simplex
{
    namespace detail
    {
        /// Volume of the regular k-simplex with edge length `edge`:
        /// \f$V = \frac{\sqrt{k+1}}{k!\,\sqrt{2^k}}\, a^k\f$ (k = 1: a; k = 2: \f$\sqrt3 a^2/4\f$;
        /// k = 3: \f$a^3/(6\sqrt2)\f$).
        /// \throws tessera::invalid_argument if k == 0 or edge < 0 or edge is not finite.
        inline double regular_simplex_volume(std::size_t k, double edge)
        {
            require(k >= 1, "simplex::regular_simplex_volume", "k must be >= 1, got 0");
            require(edge >= 0.0 && std::isfinite(edge), "simplex::regular_simplex_volume",
                    "edge must be finite and >= 0, got ", edge);
            double f = 1.0;
            for (std::size_t i = 2; i <= k; ++i)
                f *= static_cast<double>(i);
            const double kd = static_cast<double>(k);
            return std::sqrt(kd + 1.0) / (f * std::pow(2.0, 0.5 * kd)) * std::pow(edge, kd);
        }

        /// Normalized volume V / V_regular(mean edge) (0 when the mean edge is 0); `unit` is
        /// regular_simplex_volume(k, 1), hoisted out of per-simplex loops.
        inline double normalized_volume(double volume_squared, double mean_edge, std::size_t k, double unit) noexcept
        {
            double vr = unit;
            for (std::size_t i = 0; i < k; ++i)
                vr *= mean_edge;
            return vr > 0.0 && std::isfinite(vr) ? std::sqrt(std::max(volume_squared, 0.0)) / vr : 0.0;
        }

        /// The k+1 vertices of a regular k-simplex with all edges equal to `edge`, centred at the
        /// origin (the rows sum to zero), embedded in R^dim (columns beyond k are zero).
        /// Built from e_1..e_k and the point \f$\frac{1-\sqrt{k+1}}{k}(1,\dots,1)\f$ (all pairwise
        /// distances \f$\sqrt2\f$), centred and scaled by edge/\f$\sqrt2\f$.
        /// \return [k+1, dim] matrix of T (default double).
        /// \throws tessera::invalid_argument if k == 0, k > dim, or edge < 0 or not finite.
        template <class T = double>
        xt::xtensor<T, 2> regular_simplex(std::size_t k, std::size_t dim, double edge = 1.0)
        {
            static_assert(is_real_v<T>, "tessera::simplex::regular_simplex<T>: T must be float or double");
            const char* fn = "simplex::regular_simplex";
            require(k >= 1, fn, "k must be >= 1, got 0");
            require(k <= dim, fn, "k=", k, " exceeds dim=", dim, " (a k-simplex needs k dimensions)");
            require(edge >= 0.0 && std::isfinite(edge), fn, "edge must be finite and >= 0, got ", edge);
            const double kd = static_cast<double>(k);
            const double a = (1.0 - std::sqrt(kd + 1.0)) / kd;
            // centroid: each coordinate is (1 + a) / (k + 1)
            const double c = (1.0 + a) / (kd + 1.0);
            const double s = edge / std::sqrt(2.0);
            xt::xtensor<T, 2> V = xt::zeros<T>({k + 1, dim});
            for (std::size_t i = 0; i <= k; ++i)
                for (std::size_t j = 0; j < k; ++j)
                {
                    const double x = i < k ? (i == j ? 1.0 : 0.0) : a;
                    V(i, j) = static_cast<T>((x - c) * s);
                }
            return V;
        }
    }  // namespace detail

    using detail::regular_simplex, detail::regular_simplex_volume;
}  // namespace tessera::simplex
