#pragma once
/// \file detail/orthonormalize.hpp
/// Fast orthonormal bases of tall thin blocks for the randomized paths: Cholesky QR applied
/// twice (CholQR2) to the permuted LU factor of the block, with the Gram matrices accumulated
/// in double. Internal.
///
/// Why: range(P^T L) = range(Y) for the partial-pivoting LU P Y = L U of a full-rank Y, and
/// L is unit lower triangular with |L_ij| <= 1, so it is well conditioned in practice whatever
/// the conditioning of Y (which after q power iterations is (sigma_1/sigma_l)^(2q+1)).
/// CholQR2 of such a matrix is orthonormal to O(eps) and costs two m l^2 syrk passes and two
/// triangular solves, all level-3 BLAS, where Householder QR (gelqf/orglq of the row-major
/// transpose) runs at a small fraction of the BLAS rate.

#include <cmath>
#include <cstddef>
#include <type_traits>

#include <cblas.h>
#include <xtensor/xtensor.hpp>

#include "../../core/blas.hpp"
#include "../../core/lapack.hpp"
#include "../../core/status.hpp"

namespace tessera::spectral::detail
{
    /// One Cholesky QR pass in place: G = X^T X (double), G = Lc Lc^T, X <- X Lc^{-T}.
    /// Returns false (X untouched) when G is not numerically positive definite.
    template <class W>
    bool cholesky_qr_pass(xt::xtensor<W, 2>& X)
    {
        const std::size_t m = X.shape(0), l = X.shape(1);
        auto G = tessera::blas::gram<double>(X);
        auto c = tessera::lapack::cholesky<double>(std::move(G));
        if (!c.status.ok())
            return false;
        for (std::size_t i = 0; i < l; ++i)
            if (!(c.L(i, i) > 0.0) || !std::isfinite(c.L(i, i)))
                return false;
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
        return true;
    }

    /// An orthonormal basis Q [m, l] of range(Y) for Y [m, l], m >= l: CholQR2 of the permuted
    /// LU factor of Y; Householder QR (lapack::qr) if a Cholesky pass fails. Cost about
    /// 4 m l^2 flops (getrf, 2 syrk, 2 trsm).
    template <class W>
    xt::xtensor<W, 2> orthonormal_basis(const xt::xtensor<W, 2>& Y)
    {
        if (Y.shape(1) == 0 || Y.shape(0) < Y.shape(1))
            return tessera::lapack::qr(Y).Q;
        xt::xtensor<W, 2> X = tessera::lapack::lu_permuted_lower(Y);
        if (cholesky_qr_pass(X) && cholesky_qr_pass(X))
            return X;
        return tessera::lapack::qr(Y).Q;
    }
}  // namespace tessera::spectral::detail
