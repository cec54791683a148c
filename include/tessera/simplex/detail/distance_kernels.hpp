#pragma once
/// \file distance_kernels.hpp
/// Internal kernels on squared-distance matrices: the Gram-of-edges reduction factored by a
/// diagonally pivoted LDL^T in double-double arithmetic (about 32 significant digits, so the
/// reduction loses nothing that the double input carries), and the naive bordered
/// Cayley-Menger determinant by Gaussian elimination with partial pivoting in double (the
/// `volume_method::cayley_menger` option, kept for comparison with the seeds).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

namespace tessera::simplex::detail
{
    /// A double-double number hi + lo, |lo| <= ulp(hi)/2 (Dekker / Knuth error-free transforms).
    struct dd
    {
        double hi = 0.0;
        double lo = 0.0;
    };

    inline dd two_sum(double a, double b) noexcept
    {
        const double s = a + b, bb = s - a;
        return {s, (a - (s - bb)) + (b - bb)};
    }
    inline dd quick_two_sum(double a, double b) noexcept
    {
        const double s = a + b;
        return {s, b - (s - a)};
    }
    inline dd operator+(dd a, dd b) noexcept
    {
        dd s = two_sum(a.hi, b.hi);
        const dd t = two_sum(a.lo, b.lo);
        s.lo += t.hi;
        s = quick_two_sum(s.hi, s.lo);
        s.lo += t.lo;
        return quick_two_sum(s.hi, s.lo);
    }
    inline dd operator-(dd a) noexcept { return {-a.hi, -a.lo}; }
    inline dd operator-(dd a, dd b) noexcept { return a + (-b); }
    inline dd operator*(dd a, dd b) noexcept
    {
        const double p = a.hi * b.hi;
        const double e = std::fma(a.hi, b.hi, -p);
        return quick_two_sum(p, e + (a.hi * b.lo + a.lo * b.hi));
    }
    inline dd operator/(dd a, dd b) noexcept
    {
        const double q1 = a.hi / b.hi;
        const dd r = a - b * dd{q1, 0.0};
        const double q2 = r.hi / b.hi;
        const dd r2 = r - b * dd{q2, 0.0};
        const double q3 = r2.hi / b.hi;
        return dd{q1, 0.0} + dd{q2, 0.0} + dd{q3, 0.0};
    }

    /// Signed det(G) / (k!)^2 for the Gram matrix of edges G_ij = (D_0i + D_0j - D_ij) / 2,
    /// i, j = 1..k, of the symmetric (k+1) x (k+1) squared-distance matrix D (row-major), i.e.
    /// V^2 of the simplex (negative when D is not Euclidean). G is formed exactly in
    /// double-double and factored by LDL^T with the largest remaining diagonal as pivot; if the
    /// remaining diagonal is all <= 0 while off-diagonal mass remains (indefinite G), the rest
    /// is finished by partial-pivoting elimination on the Schur complement. With `conditioning`,
    /// also \f$\sum_j D_{max} / d_j\f$ over the pivots d_j (squared heights): relative errors of
    /// size e in D move V^2 by about 2 e times that (first order); +inf when flat or indefinite.
    inline double volume_squared_gram_ldl(const double* D, std::size_t n, double* conditioning = nullptr)
    {
        const std::size_t k = n - 1;
        double dmax = 0.0, cond = 0.0;
        for (std::size_t i = 0; i < n * n; ++i)
            dmax = std::max(dmax, D[i]);
        if (conditioning != nullptr)
            *conditioning = INFINITY;  // until the factorization completes with positive pivots
        std::vector<dd> G(k * k);
        for (std::size_t i = 0; i < k; ++i)
            for (std::size_t j = 0; j < k; ++j)
            {
                const dd s = two_sum(D[i + 1], D[j + 1]);  // D_0i + D_0j exactly
                const dd g = s - dd{D[(i + 1) * n + (j + 1)], 0.0};
                G[i * k + j] = dd{0.5 * g.hi, 0.5 * g.lo};
            }
        std::vector<std::size_t> perm(k);
        for (std::size_t i = 0; i < k; ++i)
            perm[i] = i;
        dd det{1.0, 0.0};
        for (std::size_t j = 0; j < k; ++j)
        {
            std::size_t p = j;  // largest remaining diagonal
            for (std::size_t i = j + 1; i < k; ++i)
                if (G[i * k + i].hi > G[p * k + p].hi)
                    p = i;
            if (!(G[p * k + p].hi > 0.0))
            {
                // All remaining pivots <= 0. If the Schur complement is zero, the simplex is flat;
                // otherwise finish with partial-pivoting elimination (non-Euclidean input).
                double mass = 0.0;
                for (std::size_t r = j; r < k; ++r)
                    for (std::size_t c = j; c < k; ++c)
                        mass = std::max(mass, std::fabs(G[r * k + c].hi));
                if (mass == 0.0)
                    return 0.0;
                for (std::size_t c = j; c < k; ++c)
                {
                    std::size_t q = c;
                    for (std::size_t r = c + 1; r < k; ++r)
                        if (std::fabs(G[r * k + c].hi) > std::fabs(G[q * k + c].hi))
                            q = r;
                    if (G[q * k + c].hi == 0.0)
                        return 0.0;
                    if (q != c)
                    {
                        for (std::size_t cc = 0; cc < k; ++cc)
                            std::swap(G[q * k + cc], G[c * k + cc]);
                        det = -det;
                    }
                    det = det * G[c * k + c];
                    for (std::size_t r = c + 1; r < k; ++r)
                    {
                        const dd f = G[r * k + c] / G[c * k + c];
                        for (std::size_t cc = c + 1; cc < k; ++cc)
                            G[r * k + cc] = G[r * k + cc] - f * G[c * k + cc];
                    }
                }
                cond = INFINITY;  // indefinite: no conditioning estimate
                break;
            }
            if (p != j)  // symmetric permutation: swap rows and columns j and p
            {
                for (std::size_t c = 0; c < k; ++c)
                    std::swap(G[j * k + c], G[p * k + c]);
                for (std::size_t r = 0; r < k; ++r)
                    std::swap(G[r * k + j], G[r * k + p]);
            }
            const dd piv = G[j * k + j];
            det = det * piv;
            cond += dmax / piv.hi;
            for (std::size_t r = j + 1; r < k; ++r)
            {
                const dd l = G[r * k + j] / piv;
                for (std::size_t c = j + 1; c < k; ++c)
                    G[r * k + c] = G[r * k + c] - l * G[j * k + c];
            }
        }
        double f = 1.0;
        for (std::size_t i = 2; i <= k; ++i)
            f *= static_cast<double>(i);
        if (conditioning != nullptr && det.hi > 0.0 && k > 0)
            *conditioning = cond;
        return ((det.hi + det.lo) / f) / f;
    }

    /// det of the bordered Cayley-Menger matrix of D [(k+1) x (k+1)] by Gaussian elimination
    /// with partial pivoting in double, turned into V^2 = (-1)^(k+1) det(CM) / (2^k (k!)^2).
    inline double volume_squared_bordered(const double* D, std::size_t n)
    {
        const std::size_t m = n + 1, k = n - 1;
        std::vector<double> A(m * m, 1.0);
        A[0] = 0.0;
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j)
                A[(i + 1) * m + (j + 1)] = D[i * n + j];
        double det = 1.0;
        for (std::size_t c = 0; c < m; ++c)
        {
            std::size_t q = c;
            for (std::size_t r = c + 1; r < m; ++r)
                if (std::fabs(A[r * m + c]) > std::fabs(A[q * m + c]))
                    q = r;
            if (A[q * m + c] == 0.0)
                return 0.0;
            if (q != c)
            {
                for (std::size_t cc = 0; cc < m; ++cc)
                    std::swap(A[q * m + cc], A[c * m + cc]);
                det = -det;
            }
            det *= A[c * m + c];
            for (std::size_t r = c + 1; r < m; ++r)
            {
                const double f = A[r * m + c] / A[c * m + c];
                for (std::size_t cc = c + 1; cc < m; ++cc)
                    A[r * m + cc] -= f * A[c * m + cc];
            }
        }
        double f = 1.0;
        for (std::size_t i = 2; i <= k; ++i)
            f *= static_cast<double>(i);
        const double sign = (k + 1) % 2 == 0 ? 1.0 : -1.0;
        return sign * std::ldexp(det, -static_cast<int>(k)) / (f * f);
    }
}  // namespace tessera::simplex::detail
