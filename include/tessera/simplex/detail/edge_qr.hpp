#pragma once
/// \file edge_qr.hpp
/// Internal kernels: Householder QR of a simplex's k edge vectors (rows of E [k, d], double),
/// for compile-time k (template recursion, unrolled) and runtime k, returning the k x k upper
/// triangular R of E^T = Q R. |R_jj| is the height of vertex j+1 over the span of the earlier
/// edges, so V = prod |R_jj| / k!; the columns of R are the edges in an orthonormal basis,
/// which gives every edge length of the simplex at O(k^3) cost.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace tessera::simplex::detail
{
    /// Scales E [k, d] by a power of two so that max |E| is in [0.5, 1) (exact); returns the
    /// inverse factor to apply to R afterwards (0 when E is all zero).
    inline double scale_edges(double* E, std::size_t count) noexcept
    {
        double m = 0.0;
        for (std::size_t i = 0; i < count; ++i)
            m = std::max(m, std::fabs(E[i]));
        if (m == 0.0 || !std::isfinite(m))
            return m == 0.0 ? 0.0 : m;
        int e = 0;
        std::frexp(m, &e);
        const double s = std::ldexp(1.0, -e), inv = std::ldexp(1.0, e);
#pragma omp simd
        for (std::size_t i = 0; i < count; ++i)
            E[i] *= s;
        return inv;
    }

    /// One Householder step J of a compile-time-K edge QR (rows J+1..K-1 updated in one pass).
    template <std::size_t K, std::size_t J>
    inline void householder_step(double* E, std::size_t d, double* R) noexcept
    {
        if constexpr (J < K)
        {
            constexpr std::size_t L = K - J - 1;
            double* x = E + J * d + J;
            const std::size_t m = d - J;
            std::array<double, L + 1> s{};  // s[0] = x.x, s[1 + l] = x.y_l
            std::array<double*, L + 1> y{};
            for (std::size_t l = 0; l < L; ++l)
                y[l] = E + (J + 1 + l) * d + J;
            {
                double a0 = 0.0;
                std::array<double, L + 1> acc{};
#pragma omp simd reduction(+ : a0)
                for (std::size_t i = 0; i < m; ++i)
                    a0 += x[i] * x[i];
                for (std::size_t l = 0; l < L; ++l)
                {
                    const double* yl = y[l];
                    double al = 0.0;
#pragma omp simd reduction(+ : al)
                    for (std::size_t i = 0; i < m; ++i)
                        al += x[i] * yl[i];
                    acc[l] = al;
                }
                s[0] = a0;
                for (std::size_t l = 0; l < L; ++l)
                    s[1 + l] = acc[l];
            }
            const double alpha = std::sqrt(s[0]);
            if (alpha == 0.0)
            {
                R[J * K + J] = 0.0;
                for (std::size_t l = 0; l < L; ++l)
                    R[J * K + J + 1 + l] = y[l][0];
            }
            else
            {
                const double x0 = x[0];
                const double beta = x0 >= 0.0 ? -alpha : alpha;  // R_JJ
                const double v0 = x0 - beta;
                const double tau = 1.0 / (alpha * (alpha + std::fabs(x0)));  // 2 / v.v
                R[J * K + J] = beta;
                x[0] = v0;
                for (std::size_t l = 0; l < L; ++l)
                {
                    double* yl = y[l];
                    const double c = tau * (s[1 + l] - x0 * yl[0] + v0 * yl[0]);  // tau * (v . y_l)
#pragma omp simd
                    for (std::size_t i = 0; i < m; ++i)
                        yl[i] -= c * x[i];
                    R[J * K + J + 1 + l] = yl[0];
                }
            }
            householder_step<K, J + 1>(E, d, R);
        }
    }

    /// R [K, K] (row-major, upper triangular, lower part zero) of the edges E [K, d] (destroyed).
    template <std::size_t K>
    inline void edge_qr_fixed(double* E, std::size_t d, double* R) noexcept
    {
        std::fill(R, R + K * K, 0.0);
        const double inv = scale_edges(E, K * d);
        if (inv == 0.0 || !std::isfinite(inv))
        {
            if (inv != 0.0)
                std::fill(R, R + K * K, inv);  // propagate NaN / Inf
            return;
        }
        householder_step<K, 0>(E, d, R);
        for (std::size_t i = 0; i < K * K; ++i)
            R[i] *= inv;
    }

    /// Runtime-k edge QR (any k <= d): R [k, k] of E [k, d] (destroyed).
    inline void edge_qr_dynamic(double* E, std::size_t k, std::size_t d, double* R) noexcept
    {
        std::fill(R, R + k * k, 0.0);
        const double inv = scale_edges(E, k * d);
        if (inv == 0.0 || !std::isfinite(inv))
        {
            if (inv != 0.0)
                std::fill(R, R + k * k, inv);
            return;
        }
        for (std::size_t j = 0; j < k; ++j)
        {
            double* x = E + j * d + j;
            const std::size_t m = d - j;
            double a2 = 0.0;
#pragma omp simd reduction(+ : a2)
            for (std::size_t i = 0; i < m; ++i)
                a2 += x[i] * x[i];
            const double alpha = std::sqrt(a2);
            if (alpha == 0.0)
            {
                for (std::size_t l = j + 1; l < k; ++l)
                    R[j * k + l] = E[l * d + j];
                continue;
            }
            const double x0 = x[0];
            const double beta = x0 >= 0.0 ? -alpha : alpha;
            const double tau = 1.0 / (alpha * (alpha + std::fabs(x0)));
            R[j * k + j] = beta;
            x[0] = x0 - beta;
            for (std::size_t l = j + 1; l < k; ++l)
            {
                double* yl = E + l * d + j;
                double s = 0.0;
#pragma omp simd reduction(+ : s)
                for (std::size_t i = 0; i < m; ++i)
                    s += x[i] * yl[i];
                const double c = tau * s;
#pragma omp simd
                for (std::size_t i = 0; i < m; ++i)
                    yl[i] -= c * x[i];
                R[j * k + l] = yl[0];
            }
        }
        for (std::size_t i = 0; i < k * k; ++i)
            R[i] *= inv;
    }

    /// The largest k with unrolled kernels (edge_qr_fixed, the batch loops, simplex_volume_raw).
    inline constexpr std::size_t max_unrolled_k = 8;

    template <class F, std::size_t... I>
    bool with_unrolled_k(std::size_t k, F& f, std::index_sequence<I...>)
    {
        return ((k == I + 1 ? (f(std::integral_constant<std::size_t, I + 1>{}), true) : false) || ...);
    }

    /// Calls f(std::integral_constant<std::size_t, k>{}) when 1 <= k <= max_unrolled_k, so that f
    /// can pass k to an unrolled kernel as a template argument; returns whether it did.
    template <class F>
    bool with_unrolled_k(std::size_t k, F&& f)
    {
        return with_unrolled_k(k, f, std::make_index_sequence<max_unrolled_k>{});
    }

    /// Dispatches to the unrolled kernel for k = 1..8, else the runtime one.
    inline void edge_qr(double* E, std::size_t k, std::size_t d, double* R) noexcept
    {
        if (!with_unrolled_k(k, [&](auto kc) { edge_qr_fixed<decltype(kc)::value>(E, d, R); }))
            edge_qr_dynamic(E, k, d, R);
    }

    /// k! as a double (exact for k <= 22).
    inline double factorial(std::size_t k) noexcept
    {
        double f = 1.0;
        for (std::size_t i = 2; i <= k; ++i)
            f *= static_cast<double>(i);
        return f;
    }

    /// From R [k, k]: V^2 = prod R_jj^2 / (k!)^2, and the mean of the k(k+1)/2 edge lengths
    /// (edge 0-i is column i of R, edge i-j the difference of columns i and j).
    inline void volume_from_r(const double* R, std::size_t k, double& volume_squared, double& mean_edge) noexcept
    {
        double p = 1.0;
        for (std::size_t j = 0; j < k; ++j)
            p *= R[j * k + j];
        const double f = factorial(k);
        volume_squared = (p / f) * (p / f);
        double sum = 0.0;
        for (std::size_t i = 0; i < k; ++i)
        {
            double n0 = 0.0;
            for (std::size_t r = 0; r <= i; ++r)
                n0 += R[r * k + i] * R[r * k + i];
            sum += std::sqrt(n0);
            for (std::size_t j = i + 1; j < k; ++j)
            {
                double nij = 0.0;
                for (std::size_t r = 0; r <= j; ++r)
                {
                    const double t = R[r * k + j] - (r <= i ? R[r * k + i] : 0.0);
                    nij += t * t;
                }
                sum += std::sqrt(nij);
            }
        }
        mean_edge = sum / (0.5 * static_cast<double>(k) * static_cast<double>(k + 1));
    }
}  // namespace tessera::simplex::detail
