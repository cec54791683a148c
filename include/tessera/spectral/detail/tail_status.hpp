#pragma once
/// \file detail/tail_status.hpp
/// The rules that decide the `status` of every truncated-SVD route from the singular values it
/// computed: when the smallest requested sigma_r is numerically zero (rank_deficient) or below
/// what the route's working precision resolves (accuracy_limited). Internal; the rules are
/// stated on docs/spectral.md ("What status means").

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>

#include "../../core/errors.hpp"
#include "../../core/status.hpp"

namespace tessera::spectral::detail
{
    using tessera::detail::concat;

    /// Unit roundoff of the working precision W (float or double), as a double.
    template <class W>
    constexpr double eps_of() noexcept
    {
        return static_cast<double>(std::numeric_limits<W>::epsilon());
    }

    /// Number of sigma[0..r) above `zero` (sigma descending): the numerical rank among the first r.
    template <class S>
    std::size_t count_above(const S& sigma, std::size_t r, double zero)
    {
        std::size_t j = 0;
        while (j < r && static_cast<double>(sigma[j]) > zero)
            ++j;
        return j;
    }

    /// status rank_deficient when sigma_r <= `zero` (the route's numerical zero), else
    /// accuracy_limited when the estimated relative error `est` of sigma_r exceeds `tolerance`,
    /// else ok. `route`, `rule` and `tol_name` name the route, the estimate and the tolerance in
    /// the message.
    template <class S>
    tessera::status tail_status(const char* route, const S& sigma, std::size_t r, double zero, double est,
                                double tolerance, const char* rule, const char* tol_name = "options.gram_tolerance")
    {
        const double s1 = static_cast<double>(sigma[0]), sr = static_cast<double>(sigma[r - 1]);
        if (!(s1 > 0.0))
            return {status_code::rank_deficient, concat(route, ": A is zero (sigma_1 = 0)")};
        if (!(sr > zero))
            return {status_code::rank_deficient,
                    concat(route, ": numerical rank ", count_above(sigma, r, zero), " < rank=", r, ": sigma_", r, "=",
                           sr, " <= ", zero, " (numerical zero of this route, sigma_1=", s1, ")")};
        if (est > tolerance)
            return {status_code::accuracy_limited,
                    concat(route, ": estimated relative error of sigma_", r, " is ", rule, "=", est, " (sigma_1=", s1,
                           ", sigma_r=", sr, "), above ", tol_name, "=", tolerance)};
        return {};
    }

    /// Combines a LAPACK status (ok, fallback_used or not_converged) with a tail status: the
    /// more severe code wins and both messages are kept.
    inline tessera::status merge_status(tessera::status lapack, tessera::status tail)
    {
        if (lapack.ok())
            return tail;
        if (tail.ok() || lapack.code == status_code::not_converged)
            return lapack;
        tail.message = concat(tail.message, "; ", lapack.message);
        return tail;
    }
}  // namespace tessera::spectral::detail
