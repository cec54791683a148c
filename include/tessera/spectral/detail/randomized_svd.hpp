#pragma once
/// \file detail/randomized_svd.hpp
/// The randomized path of truncated_svd (Halko, Martinsson & Tropp 2011, Alg. 4.4 with
/// re-normalized subspace iteration). Internal: call tessera::spectral::truncated_svd with
/// svd_method::randomized.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>

#include <xtensor/xtensor.hpp>

#include "../../core/blas.hpp"
#include "../../core/lapack.hpp"
#include "../../core/triangular.hpp"
#include "../../core/random.hpp"
#include "../svd_result.hpp"
#include "block_krylov.hpp"
#include "projection_svd.hpp"
#include "orthonormalize.hpp"
#include "tail_status.hpp"

namespace tessera::spectral::detail
{
    /// A basis of range(Y) that keeps the power iteration well conditioned.
    template <class W>
    xt::xtensor<W, 2> renormalize(const xt::xtensor<W, 2>& Y, power_normalizer how)
    {
        if (how == power_normalizer::lu)
            return tessera::lapack::lu_permuted_lower(Y);
        return orthonormal_basis(Y);
    }

    /// The default `after_product` hook of randomized_range: does nothing.
    struct no_projection
    {
        template <class W>
        void operator()(xt::xtensor<W, 2>&) const noexcept
        {
        }
    };

    /// The one randomized range finder of tessera (truncated_svd's randomized route,
    /// adaptive_svd's blocks, tt's randomized unfoldings).
    /// Orthonormal Q [m, l] whose range approximates the dominant l-dimensional left singular
    /// subspace of A [m, n]: Y = A Omega, then q times Z = A^T Y, Y = A Z, renormalizing the
    /// samples of the small side (Z when m >= n, Y when m < n; both sides with `both`) after each
    /// product, then Q = orthonormal_basis(Y). Omega [n, l] is N(0, 1) from counter_rng(seed, stream).
    /// `after_product(Y)` runs after every product into Y (adaptive_svd projects out the basis it
    /// already has). Renormalizing one side bounds the growth to one factor A^T A per iteration:
    /// directions with sigma_i < sqrt(eps_W) sigma_1 then converge as with fewer iterations, which
    /// does not matter unless sigma_r is that small. Cost (2 q + 1) 2 m n l flops in W plus
    /// O(min(m, n) l^2) per renormalization (O(max(m, n) l^2) with `both`) and 4 m l^2 for Q.
    template <class W, class F = no_projection>
    xt::xtensor<W, 2> randomized_range(const xt::xtensor<W, 2>& A, std::size_t l, std::size_t q,
                                       power_normalizer how, bool both, std::uint64_t seed,
                                       std::uint64_t stream = 0, const F& after_product = F{})
    {
        using tessera::blas::op;
        const std::size_t m = A.shape(0), n = A.shape(1);
        const bool tall = m >= n;
        const auto omega = tessera::random_normal<W>(n, l, seed, stream);
        xt::xtensor<W, 2> Y = xt::xtensor<W, 2>::from_shape({m, l});
        tessera::blas::gemm(op::none, op::none, W(1), A, omega, W(0), Y);
        after_product(Y);
        xt::xtensor<W, 2> Z = xt::xtensor<W, 2>::from_shape({n, l});
        for (std::size_t it = 0; it < q; ++it)
        {
            if (!tall || both)
                Y = renormalize(Y, how);
            tessera::blas::gemm(op::transpose, op::none, W(1), A, Y, W(0), Z);
            if (tall || both)
                Z = renormalize(Z, how);
            tessera::blas::gemm(op::none, op::none, W(1), A, Z, W(0), Y);
            after_product(Y);
        }
        return orthonormal_basis(Y);
    }

    /// Randomized truncated SVD of A [m, n] already converted to the working precision W.
    template <class T, class W>
    svd_result<T> randomized_svd_work(const xt::xtensor<W, 2>& A, std::size_t r, const truncated_svd_options& o)
    {
        const std::size_t m = A.shape(0), n = A.shape(1);
        svd_result<T> out;
        if (o.block_krylov)
            out = block_krylov_svd_work<T, W>(A, r, o);
        else
        {
            const std::size_t l = std::min(r + o.oversampling, std::min(m, n));
            auto Q = randomized_range(A, l, o.power_iterations, o.normalizer, o.renormalize_both_sides, o.seed);
            xt::xtensor<W, 2> B = xt::xtensor<W, 2>::from_shape({Q.shape(1), n});
            tessera::blas::gemm(tessera::blas::op::transpose, tessera::blas::op::none, W(1), Q, A, W(0), B);
            out = svd_from_projection<T, W>(Q, B, r);
            out.method = svd_method::randomized;
            out.power_iterations = o.power_iterations;
        }
        // Directions below sqrt(eps_W) sigma_1 are lost to rounding in the W-precision power
        // iterations (near full rank they come back 60-100 % too small): report them.
        const double s1 = static_cast<double>(out.S(0)), sr = static_cast<double>(out.S(r - 1));
        const double eps = eps_of<W>();
        constexpr bool f32 = std::is_same_v<W, float>;
        const char* route = o.block_krylov ? (f32 ? "block Krylov (float32 products)" : "block Krylov (double products)")
                                           : (f32 ? "randomized (float32 products)" : "randomized (double products)");
        out.status = merge_status(
            std::move(out.status),
            tail_status(route, out.S, r, std::sqrt(static_cast<double>(std::max(m, n))) * eps * s1,
                        sr > 0.0 ? std::sqrt(eps) * s1 / sr : std::numeric_limits<double>::infinity(), 1.0,
                        "sqrt(eps_products)*sigma_1/sigma_r", "the resolution limit"));
        return out;
    }

    /// Randomized truncated SVD of A [m, n]: the GEMMs run in float32 when
    /// o.float32_products (A is converted once when T is double), else in T.
    template <class T>
    svd_result<T> randomized_svd(const xt::xtensor<T, 2>& A, std::size_t r, const truncated_svd_options& o)
    {
        if constexpr (std::is_same_v<T, double>)
            if (o.float32_products)
            {
                xt::xtensor<float, 2> Af = xt::xtensor<float, 2>::from_shape({A.shape(0), A.shape(1)});
                std::transform(A.begin(), A.end(), Af.begin(), [](double v) { return static_cast<float>(v); });
                return randomized_svd_work<T, float>(Af, r, o);
            }
        return randomized_svd_work<T, T>(A, r, o);
    }
}  // namespace tessera::spectral::detail
