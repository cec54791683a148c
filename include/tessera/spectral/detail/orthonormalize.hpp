#pragma once
/// \file detail/orthonormalize.hpp
/// Fast orthonormal bases of tall thin blocks for the randomized paths: Cholesky QR applied
/// twice (CholQR2), with the Gram matrices accumulated in double, directly when the block is
/// well enough conditioned, else to the permuted LU factor of the block. Internal.
///
/// Why LU: range(P^T L) = range(Y) for the partial-pivoting LU P Y = L U of a full-rank Y, and
/// L is unit lower triangular with |L_ij| <= 1, so it is well conditioned in practice whatever
/// the conditioning of Y (which after q power iterations is (sigma_1/sigma_l)^(2q+1)).
/// CholQR2 of such a matrix is orthonormal to O(eps) and costs two m l^2 syrk passes and two
/// triangular solves, all level-3 BLAS, where Householder QR (gelqf/orglq of the row-major
/// transpose) runs at a small fraction of the BLAS rate.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>

#include <cblas.h>
#include <xtensor/xtensor.hpp>

#include "../../core/blas.hpp"
#include "../../core/lapack.hpp"
#include "../../core/memory.hpp"
#include "../../core/triangular.hpp"
#include "../../core/status.hpp"

namespace tessera::spectral::detail
{
    /// One Cholesky QR pass in place: G = X^T X (double), G = Lc Lc^T, X <- X Lc^{-T}.
    /// Returns the ratio max/min of Lc's diagonal (a condition proxy of X; 1 for orthonormal
    /// X), or 0 (X untouched) when G is not numerically positive definite.
    template <class W>
    double cholesky_qr_pass(xt::xtensor<W, 2>& X)
    {
        const std::size_t m = X.shape(0), l = X.shape(1);
        auto G = tessera::blas::gram<double>(X);
        auto c = tessera::lapack::cholesky<double>(std::move(G));
        if (!c.status.ok())
            return 0.0;
        double lo = c.L(0, 0), hi = c.L(0, 0);
        for (std::size_t i = 0; i < l; ++i)
        {
            const double d = c.L(i, i);
            if (!(d > 0.0) || !std::isfinite(d))
                return 0.0;
            lo = std::min(lo, d);
            hi = std::max(hi, d);
        }
        const int mi = static_cast<int>(m), li = static_cast<int>(l);
        if constexpr (std::is_same_v<W, double>)
            cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, mi, li, 1.0, c.L.data(), li,
                        X.data(), li);
        else
        {
            xt::xtensor<float, 2> Lf = xt::xtensor<float, 2>::from_shape({l, l});
            for (std::size_t i = 0; i < l * l; ++i)
                Lf.data()[i] = static_cast<float>(c.L.data()[i]);
            cblas_strsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, mi, li, 1.0f, Lf.data(), li,
                        X.data(), li);
        }
        return hi / lo;
    }

    /// Y [rows, w] <- (I - Q_k Q_k^T)^passes Y for the first k columns Q_k of an orthonormal
    /// row-major Q [rows, ldq] (products in W; two passes re-orthogonalize, as classical
    /// Gram-Schmidt needs). `work` is resized to k w values and may be reused between calls.
    /// Used by adaptive_svd (against the basis built so far) and block Krylov (against the
    /// earlier blocks).
    template <class W>
    void project_out(const W* Q, std::size_t ldq, std::size_t k, xt::xtensor<W, 2>& Y, int passes,
                     std::vector<W>& work)
    {
        using tessera::blas::op;
        using tessera::blas::detail::gemm_raw;
        const std::size_t rows = Y.shape(0), w = Y.shape(1);
        if (k == 0 || w == 0)
            return;
        work.resize(k * w);
        for (int pass = 0; pass < passes; ++pass)
        {
            gemm_raw(op::transpose, op::none, k, w, rows, W(1), Q, ldq, Y.data(), w, W(0), work.data(), w);
            gemm_raw(op::none, op::none, rows, w, k, W(-1), Q, ldq, work.data(), w, W(1), Y.data(), w);
        }
    }

    /// An orthonormal basis Q [m, l] of range(Y) for Y [m, l], m >= l. First CholQR2 on Y
    /// itself, accepted when the second pass finds a nearly orthonormal input (diagonal ratio
    /// below 1.5, so the result is orthonormal to O(eps)); else CholQR2 of the permuted LU factor
    /// of Y; Householder QR (lapack::qr) if that fails too. Cost 4 m l^2 flops (two syrk, two
    /// trsm) in the common case.
    template <class W>
    xt::xtensor<W, 2> orthonormal_basis(const xt::xtensor<W, 2>& Y)
    {
        if (Y.shape(1) == 0 || Y.shape(0) < Y.shape(1))
            return tessera::lapack::qr(Y).Q;
        xt::xtensor<W, 2> X = tessera::detail::fresh_tensor<W, 2>({Y.shape(0), Y.shape(1)});
        std::copy(Y.begin(), Y.end(), X.begin());
        if (cholesky_qr_pass(X) > 0.0)
        {
            const double second = cholesky_qr_pass(X);
            if (second > 0.0 && second < 1.5)
                return X;
        }
        X = tessera::lapack::lu_permuted_lower(Y);
        if (cholesky_qr_pass(X) > 0.0 && cholesky_qr_pass(X) > 0.0)
            return X;
        return tessera::lapack::qr(Y).Q;
    }
}  // namespace tessera::spectral::detail
