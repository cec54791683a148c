#pragma once
/// \file refine.hpp
/// Internal kernel: the volume of a nearly flat simplex to full double accuracy. Householder QR
/// in double is backward stable, so a height h of edges of length e carries an error of about
/// u e / h (4.5e-9 relative at h = 1e-8). When a computed height is that small, the heights are
/// recomputed from the exact edges (p_i - p_0 as double-double, no rounding) by modified
/// Gram-Schmidt with column pivoting in double-double (~32 digits): MGS's R is backward stable,
/// so the error becomes ~1e-32 e / h, far below the final rounding to double.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "distance_kernels.hpp"
#include "edge_qr.hpp"

namespace tessera::simplex::detail
{
    /// A height below this fraction of the longest edge triggers the double-double recomputation
    /// (there Householder's bound 32 k u e / h would exceed ~3e-11 k).
    inline constexpr double refine_height_ratio = 1e-3;

    /// min_j |R_jj| / longest edge of R [k, k] from edge_qr (columns of R are the edges): the
    /// smallest height relative to the simplex's size; +inf for an all-zero R (nothing to refine).
    inline double height_ratio(const double* R, std::size_t k) noexcept
    {
        double emax2 = 0.0, hmin = INFINITY;
        for (std::size_t c = 0; c < k; ++c)
        {
            double s = 0.0;
            for (std::size_t r = 0; r <= c; ++r)
                s += R[r * k + c] * R[r * k + c];
            emax2 = std::max(emax2, s);
            hmin = std::min(hmin, std::fabs(R[c * k + c]));
        }
        return emax2 > 0.0 ? hmin / std::sqrt(emax2) : INFINITY;
    }

    /// V^2 of the simplex with vertex rows rows[0..k] (each of length d): edges formed exactly in
    /// double-double (scaled by a power of two), heights by column-pivoted modified Gram-Schmidt in
    /// double-double, V^2 = prod h_j^2 / (k!)^2. Cost about 3 k^2 d double-double operations.
    /// `buf` is scratch (resized to k d).
    template <class T>
    double volume_squared_refined(const T* const* rows, std::size_t k, std::size_t d, std::vector<dd>& buf)
    {
        buf.resize(k * d);
        double m = 0.0;
        for (std::size_t l = 0; l < k; ++l)
            for (std::size_t i = 0; i < d; ++i)
            {
                const dd e = two_sum(static_cast<double>(rows[l + 1][i]), -static_cast<double>(rows[0][i]));
                buf[l * d + i] = e;
                m = std::max(m, std::fabs(e.hi));
            }
        if (m == 0.0)
            return 0.0;
        int ex = 0;
        std::frexp(m, &ex);
        for (auto& v : buf)
            v = dd{std::ldexp(v.hi, -ex), std::ldexp(v.lo, -ex)};  // exact unless a lo underflows
        std::vector<std::size_t> order(k);
        for (std::size_t l = 0; l < k; ++l)
            order[l] = l;
        dd prod{1.0, 0.0};
        for (std::size_t j = 0; j < k; ++j)
        {
            std::size_t p = j;  // pivot: the remaining vector with the largest residual norm
            dd best{-1.0, 0.0};
            for (std::size_t l = j; l < k; ++l)
            {
                const dd* v = buf.data() + order[l] * d;
                dd s{0.0, 0.0};
                for (std::size_t i = 0; i < d; ++i)
                    s = s + v[i] * v[i];
                if (s.hi > best.hi)
                {
                    best = s;
                    p = l;
                }
            }
            if (!(best.hi > 0.0))
                return 0.0;
            std::swap(order[j], order[p]);
            prod = prod * best;
            const dd* q = buf.data() + order[j] * d;
            for (std::size_t l = j + 1; l < k; ++l)
            {
                dd* v = buf.data() + order[l] * d;
                dd s{0.0, 0.0};
                for (std::size_t i = 0; i < d; ++i)
                    s = s + v[i] * q[i];
                const dd c = s / best;
                for (std::size_t i = 0; i < d; ++i)
                    v[i] = v[i] - c * q[i];
            }
        }
        const double f = factorial(k);
        return std::ldexp((prod.hi + prod.lo) / (f * f), 2 * ex * static_cast<int>(k));
    }
}  // namespace tessera::simplex::detail
