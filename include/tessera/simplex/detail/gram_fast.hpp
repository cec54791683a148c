#pragma once
/// \file gram_fast.hpp
/// Internal fast path for k <= 8: one fused pass over the k+1 vertex rows accumulates the
/// Gram matrix of edges G = E E^T in double (SIMD through GCC/Clang vector extensions, four
/// doubles per lane group; a scalar tail), then a k x k Cholesky. The result is accepted only
/// when its first-order error bound
///   |dV^2| / V^2 <= (d + k + 1) u k max_j G_jj ||R^{-1}||_F^2      (u = 2^-53)
/// is below `gram_accept` = 1e-10; otherwise the caller falls back to Householder QR. Real
/// embedding simplices almost always pass (their heights are a sizable fraction of the edges),
/// so the batch runs at the speed of the gather; near-flat ones get the backward-stable path.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "../../core/cpu.hpp"

namespace tessera::simplex::detail
{
    constexpr double gram_accept = 1e-10;

#if defined(__GNUC__) || defined(__clang__)
    typedef double v4d __attribute__((vector_size(32)));
    typedef float v4f __attribute__((vector_size(16)));

    /// Four values of p widened to doubles. Returned through a reference: a 32-byte vector
    /// passed by value changes the ABI between AVX and plain x86-64 code (GCC's -Wpsabi).
    template <class T>
    inline void load4(const T* p, v4d& v) noexcept
    {
        if constexpr (std::is_same_v<T, float>)
        {
            v4f f;
            std::memcpy(&f, p, sizeof f);
            v = __builtin_convertvector(f, v4d);
        }
        else
            std::memcpy(&v, p, sizeof v);
    }
#endif

    /// Pair table of the upper triangle (a <= c) in row order.
    template <std::size_t K>
    struct pair_table
    {
        static constexpr std::size_t count = K * (K + 1) / 2;
        std::array<std::size_t, count> a{};
        std::array<std::size_t, count> c{};
        constexpr pair_table()
        {
            std::size_t t = 0;
            for (std::size_t i = 0; i < K; ++i)
                for (std::size_t j = i; j < K; ++j)
                {
                    a[t] = i;
                    c[t] = j;
                    ++t;
                }
        }
    };

    /// Accumulates pairs [P0, P0 + NP) of the Gram of edges into g.
    template <std::size_t K, std::size_t P0, std::size_t NP, class T>
    inline void gram_group(const T* p0, const std::array<const T*, K>& r, std::size_t d, double* g) noexcept
    {
        constexpr pair_table<K> pt{};
        const std::size_t d4 = d - d % 4;
        std::size_t i0 = 0;  // start of the scalar tail
#if defined(__GNUC__) || defined(__clang__)
        v4d acc[NP];
        for (std::size_t t = 0; t < NP; ++t)
            acc[t] = v4d{0.0, 0.0, 0.0, 0.0};
        for (std::size_t i = 0; i < d4; i += 4)
        {
            v4d b, e[K];
            load4(p0 + i, b);
            for (std::size_t l = 0; l < K; ++l)
            {
                load4(r[l] + i, e[l]);
                e[l] -= b;
            }
            for (std::size_t t = 0; t < NP; ++t)
                acc[t] += e[pt.a[P0 + t]] * e[pt.c[P0 + t]];
        }
        for (std::size_t t = 0; t < NP; ++t)
            g[P0 + t] = (acc[t][0] + acc[t][1]) + (acc[t][2] + acc[t][3]);
        i0 = d4;
#else
        for (std::size_t t = 0; t < NP; ++t)
            g[P0 + t] = 0.0;
#endif
        for (std::size_t i = i0; i < d; ++i)
        {
            const double b = static_cast<double>(p0[i]);
            double e[K];
            for (std::size_t l = 0; l < K; ++l)
                e[l] = static_cast<double>(r[l][i]) - b;
            for (std::size_t t = 0; t < NP; ++t)
                g[P0 + t] += e[pt.a[P0 + t]] * e[pt.c[P0 + t]];
        }
    }

    /// All pairs, in groups of at most 12 accumulators (register pressure).
    template <std::size_t K, std::size_t P0, class T>
    inline void gram_all(const T* p0, const std::array<const T*, K>& r, std::size_t d, double* g) noexcept
    {
        constexpr std::size_t total = K * (K + 1) / 2;
        if constexpr (P0 < total)
        {
            constexpr std::size_t np = total - P0 < 12 ? total - P0 : 12;
            gram_group<K, P0, np>(p0, r, d, g);
            gram_all<K, P0 + np>(p0, r, d, g);
        }
    }

    /// Fast path: V^2 and mean edge of the K-simplex rows[0..K] via Gram + Cholesky.
    /// \return false when the error bound is not met (flat or ill-conditioned simplex, or
    ///         non-finite input): the caller must use Householder QR.
    template <std::size_t K, class T>
    inline bool gram_volume(const T* const* rows, std::size_t d, double& volume_squared, double& mean_edge) noexcept
    {
        constexpr pair_table<K> pt{};
        std::array<const T*, K> r{};
        for (std::size_t l = 0; l < K; ++l)
            r[l] = rows[l + 1];
        double g[pair_table<K>::count];
        gram_all<K, 0>(rows[0], r, d, g);
        double G[K][K];
        for (std::size_t t = 0; t < pair_table<K>::count; ++t)
            G[pt.a[t]][pt.c[t]] = G[pt.c[t]][pt.a[t]] = g[t];
        double maxdiag = 0.0, sum = 0.0;
        for (std::size_t a = 0; a < K; ++a)
        {
            maxdiag = std::max(maxdiag, G[a][a]);
            sum += std::sqrt(G[a][a]);
            for (std::size_t c = a + 1; c < K; ++c)
                sum += std::sqrt(std::max(0.0, G[a][a] + G[c][c] - 2.0 * G[a][c]));
        }
        if (!(maxdiag > 0.0) || !std::isfinite(maxdiag))
            return false;
        // Cholesky G = R^T R (R upper), in place in the upper triangle
        double R[K][K] = {};
        double inv_diag[K] = {};
        double prod = 1.0;
        for (std::size_t j = 0; j < K; ++j)
        {
            double s = G[j][j];
            for (std::size_t p = 0; p < j; ++p)
                s -= R[p][j] * R[p][j];
            if (!(s > 0.0))
                return false;
            const double rjj = std::sqrt(s);
            R[j][j] = rjj;
            inv_diag[j] = 1.0 / rjj;
            prod *= s;
            for (std::size_t c = j + 1; c < K; ++c)
            {
                double t = G[j][c];
                for (std::size_t p = 0; p < j; ++p)
                    t -= R[p][j] * R[p][c];
                R[j][c] = t * inv_diag[j];
            }
        }
        // ||R^{-1}||_F^2 by back substitution, column by column of the inverse
        double inv2 = 0.0;
        for (std::size_t c = 0; c < K; ++c)
        {
            double x[K] = {};
            for (std::size_t i = c + 1; i-- > 0;)
            {
                double s = i == c ? 1.0 : 0.0;
                for (std::size_t p = i + 1; p <= c; ++p)
                    s -= R[i][p] * x[p];
                x[i] = s * inv_diag[i];
                inv2 += x[i] * x[i];
            }
        }
        constexpr double u = 1.1102230246251565e-16;
        const double bound = (static_cast<double>(d) + K + 1.0) * u * K * maxdiag * inv2;
        if (!(bound <= gram_accept))
            return false;
        double f = 1.0;
        for (std::size_t i = 2; i <= K; ++i)
            f *= static_cast<double>(i);
        volume_squared = prod / (f * f);
        mean_edge = sum / (0.5 * static_cast<double>(K) * static_cast<double>(K + 1));
        return true;
    }

#if defined(TESSERA_X86_DISPATCH)
    /// gram_volume compiled for AVX2 + FMA whatever the build's -march: `flatten` inlines all
    /// it calls into this targeted function, so the whole Gram pass runs on 256-bit vectors.
    template <std::size_t K, class T>
    __attribute__((target("avx,avx2,fma"), flatten)) bool gram_volume_avx2(const T* const* rows, std::size_t d,
                                                                           double& volume_squared,
                                                                           double& mean_edge) noexcept
    {
        return gram_volume<K>(rows, d, volume_squared, mean_edge);
    }
#endif

    /// gram_volume on the SIMD level this CPU runs (core/cpu.hpp): AVX2 + FMA when available
    /// (1.2-1.4x faster than SSE2 on 100-d pentachora; with FMA contraction its last bits may
    /// differ from the scalar build's), else the build's own code. A build that already targets
    /// AVX2 + FMA (-march=native) inlines its own code, as before, with no run-time check.
    template <std::size_t K, class T>
    inline bool gram_volume_dispatch(const T* const* rows, std::size_t d, double& volume_squared,
                                     double& mean_edge) noexcept
    {
#if defined(TESSERA_X86_DISPATCH) && !(defined(__AVX2__) && defined(__FMA__))
        if (tessera::simd_dispatch_level() != tessera::simd_level::scalar)
            return gram_volume_avx2<K>(rows, d, volume_squared, mean_edge);
#endif
        return gram_volume<K>(rows, d, volume_squared, mean_edge);
    }
}  // namespace tessera::simplex::detail
