#pragma once
/// \file kernels.hpp
/// Internals of the tt module: rank selection from singular values, truncated SVD of an
/// unfolding, tensor permutation and the strided batch of GEMMs used by the TT-matrix
/// products. Not part of the public API.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../../core/blas.hpp"
#include "../../core/errors.hpp"
#include "../../core/lapack.hpp"
#include "../../core/status.hpp"
#include "../../spectral/detail/randomized_svd.hpp"
#include "../options.hpp"

namespace tessera::tt::detail
{
    /// Product of a list of sizes; throws when it overflows std::size_t.
    inline std::size_t product(const std::vector<std::size_t>& v, const char* fn, const char* param)
    {
        std::size_t p = 1;
        for (std::size_t x : v)
        {
            require(x == 0 || p <= std::numeric_limits<std::size_t>::max() / x, fn, param, "=",
                    shape_to_string(v), " has a product that overflows size_t");
            p *= x;
        }
        return p;
    }

    /// Truncated factors of one unfolding: U [m, r], SVt = diag(S) Vt [r, n].
    template <class T>
    struct truncated
    {
        xt::xtensor<T, 2> U;
        xt::xtensor<T, 2> SVt;
        double discarded2 = 0.0;  ///< squared Frobenius norm of the discarded part
        tessera::status status;
    };

    /// Keeps the leading r columns of U and rows of diag(S) Vt, for r chosen from tails
    /// tail2[r] = discarded squared norm when keeping r (non-increasing; tail2.size() = k + 1).
    template <class T>
    truncated<T> keep_leading(const xt::xtensor<T, 2>& U, const xt::xtensor<T, 1>& S, const xt::xtensor<T, 2>& Vt,
                              const std::vector<double>& tail2, double delta, std::size_t cap)
    {
        const std::size_t k = S.size(), m = U.shape(0), n = Vt.shape(1);
        std::size_t r = k;
        while (r > 1 && tail2[r - 1] <= delta * delta)
            --r;
        r = std::max<std::size_t>(1, std::min({r, cap, std::max<std::size_t>(k, 1)}));
        truncated<T> out;
        out.discarded2 = tail2[std::min(r, k)];
        out.U = xt::xtensor<T, 2>::from_shape({m, r});
        out.SVt = xt::xtensor<T, 2>::from_shape({r, n});
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < r; ++j)
                out.U(i, j) = j < k ? U(i, j) : T(0);
        for (std::size_t i = 0; i < r; ++i)
            for (std::size_t j = 0; j < n; ++j)
                out.SVt(i, j) = i < k ? S(i) * Vt(i, j) : T(0);
        return out;
    }

    /// Randomized range finder (spectral's, both sides renormalized by QR, 2 power iterations)
    /// + small SVD: the top l = min(cap + 10, m, n) singular triplets of C, tails computed
    /// exactly from ||C||_F^2 (projection error = ||C||^2 - ||U_r^T C||^2).
    template <class T>
    truncated<T> randomized_truncated_svd(const xt::xtensor<T, 2>& C, double delta, std::size_t cap,
                                          std::uint64_t seed, std::uint64_t stream)
    {
        using tessera::blas::op;
        const std::size_t m = C.shape(0), n = C.shape(1), l = std::min({cap + 10, m, n});
        double norm2 = 0.0;
        for (T v : C)
            norm2 += double(v) * double(v);
        const auto Q = spectral::detail::randomized_range(C, l, 2, spectral::power_normalizer::qr, true, seed, stream);
        auto B = tessera::blas::matmul(Q, C, op::transpose, op::none);  // [l, n]
        auto f = tessera::lapack::svd<T>(std::move(B));
        auto U = tessera::blas::matmul(Q, f.U);
        std::vector<double> tail2(f.S.size() + 1);
        double kept = 0.0;
        tail2[0] = norm2;
        for (std::size_t i = 0; i < f.S.size(); ++i)
        {
            kept += double(f.S(i)) * double(f.S(i));
            tail2[i + 1] = std::max(0.0, norm2 - kept);
        }
        auto out = keep_leading<T>(U, f.S, f.Vt, tail2, delta, cap);
        out.status = f.status;
        return out;
    }

    /// SVD of C [m, n] truncated by delta (absolute, Frobenius) and the rank cap; see svd_method.
    template <class T>
    truncated<T> truncated_svd(xt::xtensor<T, 2> C, double delta, std::size_t cap,
                               svd_method method = svd_method::exact, std::uint64_t seed = 0, std::uint64_t stream = 0)
    {
        const std::size_t small = std::min(C.shape(0), C.shape(1));
        const bool randomized = method == svd_method::randomized ||
                                (method == svd_method::automatic && small >= 256 && cap <= small / 4);
        if (randomized && cap < small)
            return randomized_truncated_svd<T>(C, delta, cap, seed, stream);
        auto f = tessera::lapack::svd<T>(std::move(C));
        const std::size_t k = f.S.size();
        std::vector<double> tail2(k + 1, 0.0);  // tail2[i] = sum_{j >= i} s_j^2
        for (std::size_t i = k; i-- > 0;)
            tail2[i] = tail2[i + 1] + double(f.S(i)) * double(f.S(i));
        auto out = keep_leading<T>(f.U, f.S, f.Vt, tail2, delta, cap);
        out.status = f.status;
        return out;
    }

    /// out = in permuted: `in` has row-major shape `dims`, out axis a is input axis perm[a].
    template <class T>
    void permute(const T* in, const std::vector<std::size_t>& dims, const std::vector<std::size_t>& perm, T* out)
    {
        const std::size_t d = dims.size();
        std::vector<std::size_t> in_stride(d, 1);
        for (std::size_t a = d; a-- > 1;)
            in_stride[a - 1] = in_stride[a] * dims[a];
        std::vector<std::size_t> odims(d), ostride(d);
        for (std::size_t a = 0; a < d; ++a)
        {
            odims[a] = dims[perm[a]];
            ostride[a] = in_stride[perm[a]];
        }
        std::size_t total = 1;
        for (std::size_t x : dims)
            total *= x;
        if (total == 0)
            return;
        // Odometer over the output, innermost axis as a tight loop.
        const std::size_t inner = odims[d - 1], istep = ostride[d - 1];
        std::vector<std::size_t> idx(d, 0);
        std::size_t src = 0;
        for (std::size_t o = 0; o < total; o += inner)
        {
            const T* p = in + src;
            for (std::size_t i = 0; i < inner; ++i)
                out[o + i] = p[i * istep];
            for (std::size_t a = d - 1; a-- > 0;)
            {
                src += ostride[a];
                if (++idx[a] < odims[a])
                    break;
                src -= ostride[a] * odims[a];
                idx[a] = 0;
            }
        }
    }

    /// For b in [0, count): C_b [m, n] = op(A) [m, k] * B_b [k, n], with B_b = B + b*b_stride and
    /// C_b = C + b*c_stride (all row-major, contiguous). When n == 1 the whole batch is one GEMM.
    template <class T>
    void batched_gemm(std::size_t count, tessera::blas::op ta, const T* A, std::size_t lda, std::size_t m,
                      std::size_t k, const T* B, std::size_t b_stride, std::size_t n, T* C, std::size_t c_stride)
    {
        using tessera::blas::op;
        if (n == 1 && b_stride == k && c_stride == m)
        {
            // C^T [count, m] = B^T [count, k] * op(A)^T
            tessera::blas::detail::gemm_raw(op::none, ta == op::none ? op::transpose : op::none, count, m, k, T(1),
                                            B, k, A, lda, T(0), C, m);
            return;
        }
        for (std::size_t b = 0; b < count; ++b)
            tessera::blas::detail::gemm_raw(ta, op::none, m, n, k, T(1), A, lda, B + b * b_stride, n, T(0),
                                            C + b * c_stride, n);
    }
}  // namespace tessera::tt::detail
