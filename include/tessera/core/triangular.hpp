#pragma once
/// \file triangular.hpp
/// Triangular factorizations for row-major `xt::xtensor<T, 2>` (float or double): Cholesky
/// (potrf) with its solve (trsm), and the permuted lower factor of a partial-pivoting LU
/// (getrf) that randomized SVD uses as a renormalization. Same conventions as lapack.hpp: the
/// row-major buffer is the column-major transpose, info < 0 throws tessera::lapack_error and
/// info > 0 is reported in `status`.

#include <algorithm>
#include <cstddef>
#include <vector>

#include <cblas.h>
#include <xtensor/xtensor.hpp>

#include "blas.hpp"
#include "detail/lapack_prototypes.hpp"
#include "errors.hpp"
#include "lapack.hpp"
#include "memory.hpp"
#include "parallel.hpp"
#include "status.hpp"
#include "traits.hpp"

namespace tessera::lapack
{
    /// Cholesky A = L L^T with L [n, n] lower triangular (strict upper part zero).
    template <class T>
    struct cholesky_factor
    {
        xt::xtensor<T, 2> L;
        tessera::status status;  ///< rank_deficient when A is not numerically positive definite
    };

    /// Cholesky factor of the symmetric positive definite A [n, n] (lower triangle read).
    /// When A is not numerically positive definite, status is rank_deficient and L holds the
    /// partial factor. Cost n^3/3 flops.
    template <class T>
    cholesky_factor<T> cholesky(xt::xtensor<T, 2> A)
    {
        static_assert(is_real_v<T>, "tessera::lapack::cholesky: T must be float or double");
        const std::size_t n = detail::square_order(A, "lapack::cholesky");
        cholesky_factor<T> r;
        if (n == 0)
        {
            r.L = A;
            return r;
        }
        const int ni = detail::to_int(n, "lapack::cholesky");
        int info = 0;
        tessera::detail::potrf("U", &ni, A.data(), &ni, &info);  // column-major upper == row-major lower
        detail::check_info<T>("potrf", info, "lapack::cholesky");
        if (info > 0)
            r.status = {status_code::rank_deficient,
                        concat("matrix is not positive definite: leading minor of order ", info, " is not positive")};
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = i + 1; j < n; ++j)
                A(i, j) = T(0);
        r.L = std::move(A);
        return r;
    }

    /// Solves (L L^T) X = B for X [n, nrhs] given the Cholesky factor L [n, n] (two triangular
    /// solves, trsm). \throws tessera::invalid_argument on shape mismatch.
    template <class T>
    xt::xtensor<T, 2> cholesky_solve(const xt::xtensor<T, 2>& L, xt::xtensor<T, 2> B)
    {
        require(L.shape(0) == L.shape(1) && L.shape(0) == B.shape(0), "lapack::cholesky_solve",
                "L must be [n, n] and B [n, nrhs], got L ", shape_to_string(L.shape()), " and B ",
                shape_to_string(B.shape()));
        const int n = detail::to_int(L.shape(0), "lapack::cholesky_solve");
        const int nrhs = detail::to_int(B.shape(1), "lapack::cholesky_solve");
        if (n == 0 || nrhs == 0)
            return B;
        for (const CBLAS_TRANSPOSE t : {CblasNoTrans, CblasTrans})  // L Y = B, then L^T X = Y
            if constexpr (std::is_same_v<T, float>)
                cblas_strsm(CblasRowMajor, CblasLeft, CblasLower, t, CblasNonUnit, n, nrhs, 1.0f, L.data(), n, B.data(),
                            nrhs);
            else
                cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, t, CblasNonUnit, n, nrhs, 1.0, L.data(), n, B.data(),
                            nrhs);
        return B;
    }

    /// For A [m, n] with m >= n, the permuted unit-lower factor P^T L [m, n] of the partial-
    /// pivoting LU P A = L U (scipy.linalg.lu(A, permute_l=True)[0]): a well-conditioned basis
    /// of range(A) used for LU renormalization in randomized SVD. getrf; cost O(m n^2).
    template <class T>
    xt::xtensor<T, 2> lu_permuted_lower(const xt::xtensor<T, 2>& A)
    {
        const std::size_t m = A.shape(0), n = A.shape(1);
        require(m >= n, "lapack::lu_permuted_lower", "A must have at least as many rows as columns, got ",
                shape_to_string(A.shape()));
        // Fresh (huge-page) buffers written in full: on this VM zeroed 4 KiB pages cost ~20 us
        // each, 46 of the 60 ms for 32128 x 74 (getrf itself takes 4).
        xt::xtensor<T, 2> out = tessera::detail::fresh_tensor<T, 2>({m, n});
        if (n == 0)
            return out;
        auto colmajor = tessera::blas::transposed(A);  // A^T row-major = A column-major
        T* cm = colmajor.data();
        const int mi = detail::to_int(m, "lapack::lu"), ni = detail::to_int(n, "lapack::lu");
        std::vector<int> ipiv(n);
        int info = 0;
        tessera::detail::getrf(&mi, &ni, cm, &mi, ipiv.data(), &info);
        detail::check_info<T>("getrf", info, "lapack::lu_permuted_lower");  // info > 0: singular U, L still valid
        T* o = out.data();
        tessera::detail::parallel_for(0, static_cast<std::ptrdiff_t>((m + 63) / 64), [&](std::ptrdiff_t band) {
            const std::size_t i0 = static_cast<std::size_t>(band) * 64, i1 = std::min(m, i0 + 64);
            for (std::size_t i = i0; i < i1; ++i)
                for (std::size_t j = 0; j < n; ++j)
                    o[i * n + j] = j < i ? cm[i + j * m] : (i == j ? T(1) : T(0));
        }, 16);
        for (std::size_t jj = n; jj-- > 0;)  // apply P^T: undo the row swaps in reverse order
        {
            const std::size_t p = static_cast<std::size_t>(ipiv[jj] - 1);
            if (p != jj)
                for (std::size_t c = 0; c < n; ++c)
                    std::swap(out(jj, c), out(p, c));
        }
        return out;
    }
}  // namespace tessera::lapack
