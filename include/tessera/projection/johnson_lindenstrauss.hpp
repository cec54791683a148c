#pragma once
/// \file johnson_lindenstrauss.hpp
/// The Johnson-Lindenstrauss bound in the form scikit-learn uses (Dasgupta & Gupta 2003):
/// k >= 4 ln(n) / (eps^2/2 - eps^3/3) dimensions keep all n(n-1)/2 squared distances of n
/// points within a factor 1 +- eps with positive probability.

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../core/errors.hpp"

namespace tessera::projection
{
    namespace detail
    {
        // pow as numpy/Python evaluate eps**2 / 2 - eps**3 / 3, so truncation matches sklearn bit for bit.
        inline double jl_denominator(double eps) noexcept
        {
            return std::pow(eps, 2.0) / 2.0 - std::pow(eps, 3.0) / 3.0;
        }

        /// Minimum k for n points and distortion eps:
        /// \f$ k = \lfloor 4 \ln n / (\epsilon^2/2 - \epsilon^3/3) \rfloor \f$, truncated to an integer
        /// exactly as sklearn.random_projection.johnson_lindenstrauss_min_dim does (n=32000,
        /// eps=0.1 -> 8891). It does not depend on the input dimension d. Cost O(1).
        /// \param n number of points, >= 1. \param eps distortion, in (0, 1).
        /// \throws tessera::invalid_argument if n == 0 or eps is not in (0, 1) (NaN included).
        inline std::uint64_t johnson_lindenstrauss_min_dim(std::uint64_t n, double eps)
        {
            const char* fn = "projection::johnson_lindenstrauss_min_dim";
            require(n >= 1, fn, "n=", n, " must be at least 1");
            require(eps > 0.0 && eps < 1.0, fn, "eps=", eps, " must be in (0, 1)");
            return static_cast<std::uint64_t>(4.0 * std::log(static_cast<double>(n)) / jl_denominator(eps));
        }

        /// The inverse bound: the eps in (0, 1) with 4 ln(n) / (eps^2/2 - eps^3/3) = k, i.e. the
        /// distortion the JL lemma guarantees for n points in k dimensions (0 when n == 1).
        /// Solved by bisection to double precision (the left side decreases in eps on (0, 1)).
        /// \throws tessera::invalid_argument if n == 0, k == 0, or k <= 24 ln(n) (the bound then
        /// guarantees no eps below 1).
        inline double johnson_lindenstrauss_eps(std::uint64_t n, std::uint64_t k)
        {
            const char* fn = "projection::johnson_lindenstrauss_eps";
            require(n >= 1, fn, "n=", n, " must be at least 1");
            require(k >= 1, fn, "k=", k, " must be at least 1");
            const double target = 4.0 * std::log(static_cast<double>(n)) / static_cast<double>(k);
            require(target < 1.0 / 6.0, fn, "k=", k, " must exceed 24 ln(n)=", 24.0 * std::log(static_cast<double>(n)),
                    " for n=", n, " (the bound gives no eps < 1 below that)");
            if (target == 0.0)
                return 0.0;
            double lo = 0.0, hi = 1.0;
            for (int it = 0; it < 200 && hi - lo > 0.0; ++it)
            {
                const double mid = 0.5 * (lo + hi);
                if (mid <= lo || mid >= hi)
                    break;
                (jl_denominator(mid) < target ? lo : hi) = mid;
            }
            return hi;
        }
    }  // namespace detail

    using detail::johnson_lindenstrauss_eps, detail::johnson_lindenstrauss_min_dim;
}  // namespace tessera::projection
