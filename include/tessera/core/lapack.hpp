#pragma once
/// \file lapack.hpp
/// LAPACK factorizations for row-major `xt::xtensor<T, 2>` (float or double).
///
/// (Cholesky and LU: core/triangular.hpp; the largest eigenpairs: core/eigh_top.hpp.)
/// A row-major [m, n] buffer is the column-major [n, m] transpose, so each wrapper factors
/// the transpose and reads the factors back without copies (SVD via gesdd/gesvd, QR via
/// gelqf/orglq, Cholesky via potrf on the opposite triangle). Every `info` is checked:
/// info < 0 throws tessera::lapack_error; info > 0 (a numerical outcome) is reported in the
/// result's `status`, after a fallback where one exists.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

#include <cblas.h>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xtensor.hpp>

#include "blas.hpp"
#include "detail/lapack_prototypes.hpp"
#include "errors.hpp"
#include "status.hpp"
#include "traits.hpp"

namespace tessera::lapack
{
    /// Thin SVD A = U diag(S) Vt with U [m, k], S [k] (descending), Vt [k, n], k = min(m, n).
    template <class T>
    struct svd_factors
    {
        xt::xtensor<T, 2> U;   ///< [m, k], orthonormal columns
        xt::xtensor<T, 1> S;   ///< [k], descending, non-negative
        xt::xtensor<T, 2> Vt;  ///< [k, n], orthonormal rows
        tessera::status status;  ///< fallback_used when gesdd failed and gesvd ran
    };

    /// Symmetric eigendecomposition A = V diag(values) V^T.
    template <class T>
    struct eigh_factors
    {
        xt::xtensor<T, 1> values;   ///< [n], descending
        xt::xtensor<T, 2> vectors;  ///< [n, n], column j is the eigenvector of values[j]
        tessera::status status;
    };

    /// Thin QR A = Q R with Q [m, k] (orthonormal columns), R [k, n] upper triangular.
    template <class T>
    struct qr_factors
    {
        xt::xtensor<T, 2> Q;
        xt::xtensor<T, 2> R;
    };


    namespace detail
    {
        using tessera::detail::lapack_prefix;

        inline int to_int(std::size_t v, const char* fn)
        {
            require(v <= static_cast<std::size_t>(2147483647), fn, "dimension ", v, " exceeds the 32-bit LAPACK limit");
            return static_cast<int>(v);
        }

        template <class T>
        void check_info(const char* routine, int info, const char* fn)
        {
            if (info < 0)
                throw lapack_error(std::string(lapack_prefix<T>()) + routine, info, fn);
        }

        template <class T>
        int workspace_size(T query)
        {
            return static_cast<int>(std::ceil(static_cast<double>(query) * (1.0 + 1e-7))) + 1;
        }

        /// n of a square A [n, n]. \throws tessera::invalid_argument naming `fn` if A is not square.
        template <class T>
        std::size_t square_order(const xt::xtensor<T, 2>& A, const char* fn)
        {
            require(A.shape(0) == A.shape(1), fn, "A must be square, got ", shape_to_string(A.shape()));
            return A.shape(0);
        }

        /// LAPACK's two-call workspace protocol: `call(work, lwork, info)` first as the size query
        /// (lwork = -1), then with a workspace of the size it reported. A negative info throws
        /// lapack_error naming `routine` and `fn`; returns the second call's info.
        template <class T, class Call>
        int with_workspace(const char* routine, const char* fn, Call&& call)
        {
            int info = 0, lwork = -1;
            T wq{};
            call(&wq, &lwork, &info);
            check_info<T>(routine, info, fn);
            lwork = workspace_size(wq);
            std::vector<T> work(static_cast<std::size_t>(lwork));
            call(work.data(), &lwork, &info);
            check_info<T>(routine, info, fn);
            return info;
        }

        /// gesdd (jobz='S') on the column-major [n, m] buffer of row-major A [m, n];
        /// returns info (> 0: did not converge). `a` is destroyed.
        template <class T>
        int svd_gesdd(T* a, int m, int n, T* s, T* u_rowmajor, T* vt_rowmajor)
        {
            // Column-major problem: A' = A^T is [n, m]; A' = U' S V'^T  =>  A = V' S U'^T.
            const int rows = n, cols = m, k = std::min(m, n);
            const int lda = std::max(1, rows), ldu = std::max(1, rows), ldvt = std::max(1, k);
            std::vector<int> iwork(static_cast<std::size_t>(8) * static_cast<std::size_t>(std::max(1, k)));
            // U' [n, k] col-major is Vt [k, n] row-major; VT' [k, m] col-major is U [m, k] row-major.
            return with_workspace<T>("gesdd", "lapack::svd", [&](T* work, int* lwork, int* info) {
                tessera::detail::gesdd("S", &rows, &cols, a, &lda, s, vt_rowmajor, &ldu, u_rowmajor, &ldvt, work, lwork,
                                       iwork.data(), info);
            });
        }

        template <class T>
        int svd_gesvd(T* a, int m, int n, T* s, T* u_rowmajor, T* vt_rowmajor)
        {
            const int rows = n, cols = m, k = std::min(m, n);
            const int lda = std::max(1, rows), ldu = std::max(1, rows), ldvt = std::max(1, k);
            return with_workspace<T>("gesvd", "lapack::svd", [&](T* work, int* lwork, int* info) {
                tessera::detail::gesvd("S", "S", &rows, &cols, a, &lda, s, vt_rowmajor, &ldu, u_rowmajor, &ldvt, work,
                                       lwork, info);
            });
        }
        /// QR of a tall A [m, n] (m > n): geqrf/orgqr on a column-major copy (LAPACK's blocked
        /// Householder QR; gelqf on the wide transpose is several times slower for tall A).
        template <class T>
        qr_factors<T> qr_tall(const xt::xtensor<T, 2>& A)
        {
            const std::size_t m = A.shape(0), n = A.shape(1);
            qr_factors<T> r{{}, xt::zeros<T>({n, n})};
            xt::xtensor<T, 2> C = blas::transposed(A);  // row-major [n, m] == column-major [m, n], ld m
            const int mi = to_int(m, "lapack::qr"), ni = to_int(n, "lapack::qr");
            std::vector<T> tau(n);
            with_workspace<T>("geqrf", "lapack::qr", [&](T* work, int* lwork, int* info) {
                tessera::detail::geqrf(&mi, &ni, C.data(), &mi, tau.data(), work, lwork, info);
            });
            for (std::size_t j = 0; j < n; ++j)  // column-major R(i, j) at C.data()[i + j m], i <= j
                for (std::size_t i = 0; i <= j; ++i)
                    r.R(i, j) = C.data()[i + j * m];
            with_workspace<T>("orgqr", "lapack::qr", [&](T* work, int* lwork, int* info) {
                tessera::detail::orgqr(&mi, &ni, &ni, C.data(), &mi, tau.data(), work, lwork, info);
            });
            r.Q = blas::transposed(C);
            return r;
        }

        /// Thin SVD of a wide or square row-major A [m, n] (m <= n) by gesdd, destroying A; if
        /// gesdd does not converge, `refill(A)` restores the input and gesvd runs (status
        /// fallback_used; not_converged if that fails too). Factors in fresh (huge-page) memory.
        template <class T, class Refill>
        svd_factors<T> svd_wide(xt::xtensor<T, 2>& A, Refill&& refill)
        {
            const std::size_t m = A.shape(0), n = A.shape(1), k = std::min(m, n);
            svd_factors<T> r{tessera::detail::fresh_tensor<T, 2>({m, k}), xt::xtensor<T, 1>::from_shape({k}),
                             tessera::detail::fresh_tensor<T, 2>({k, n}), {}};
            if (k == 0)
                return r;
            const int mi = to_int(m, "lapack::svd"), ni = to_int(n, "lapack::svd");
            int info = svd_gesdd(A.data(), mi, ni, r.S.data(), r.U.data(), r.Vt.data());
            if (info > 0)
            {
                refill(A);
                info = svd_gesvd(A.data(), mi, ni, r.S.data(), r.U.data(), r.Vt.data());
                r.status = info > 0 ? tessera::status{status_code::not_converged,
                                                      concat("gesdd and gesvd did not converge (gesvd info=", info, ")")}
                                    : tessera::status{status_code::fallback_used, "gesdd did not converge; gesvd used"};
            }
            return r;
        }

        /// Thin SVD of a tall A [m, n] (m > n) through its explicit transpose: a row-major tall A
        /// is a wide column-major buffer, for which gesdd takes its slower LQ-first route (3x on
        /// 8000 x 512); A^T is a tall column-major problem (QR first), and A^T = U' S Vt' gives
        /// A = Vt'^T S U'^T. A itself restores the fallback's input, so it is not copied.
        template <class T>
        svd_factors<T> svd_tall(const xt::xtensor<T, 2>& A)
        {
            auto At = blas::transposed(A);
            auto t = svd_wide(At, [&](xt::xtensor<T, 2>& buf) { buf = blas::transposed(A); });
            return {blas::transposed(t.Vt), std::move(t.S), blas::transposed(t.U), std::move(t.status)};
        }
    }  // namespace detail

    /// Thin SVD of A [m, n]: gesdd, on the transpose for tall A (QR-first route); if gesdd fails
    /// to converge (info > 0), gesvd on the input restored, status fallback_used (not_converged
    /// if that fails too). A is read, not modified: the wide case works on a copy (the rvalue
    /// overload works in place and saves a copy for the fallback instead). Cost: O(m n min(m, n)).
    /// \note No sign normalization: callers that need deterministic signs apply their own.
    /// \throws tessera::lapack_error on info < 0; tessera::invalid_argument on dimensions > 2^31.
    template <class T>
    svd_factors<T> svd(const xt::xtensor<T, 2>& A)
    {
        static_assert(is_real_v<T>, "tessera::lapack::svd: T must be float or double");
        if (A.shape(0) > A.shape(1))
            return detail::svd_tall(A);
        xt::xtensor<T, 2> work = A;
        return detail::svd_wide(work, [&](xt::xtensor<T, 2>& buf) { buf = A; });
    }

    /// Thin SVD of an A the caller gives up (overwritten in the wide case); see svd(const&).
    template <class T>
    svd_factors<T> svd(xt::xtensor<T, 2>&& A)
    {
        static_assert(is_real_v<T>, "tessera::lapack::svd: T must be float or double");
        if (A.shape(0) > A.shape(1))
            return detail::svd_tall(A);
        const xt::xtensor<T, 2> saved = A;
        return detail::svd_wide(A, [&](xt::xtensor<T, 2>& buf) { buf = saved; });
    }

    namespace detail
    {
        /// syevd of the symmetric A [n, n] (upper triangle read): values descending, and with
        /// `vectors` the eigenvectors as columns (else vectors is [n, 0]).
        template <class T>
        eigh_factors<T> syevd_sorted(xt::xtensor<T, 2> A, bool vectors, const char* fn)
        {
            static_assert(is_real_v<T>, "tessera::lapack::eigh: T must be float or double");
            const std::size_t n = square_order(A, fn);
            eigh_factors<T> r{xt::xtensor<T, 1>::from_shape({n}), xt::xtensor<T, 2>::from_shape({n, vectors ? n : 0}),
                              {}};
            if (n == 0)
                return r;
            const int ni = to_int(n, fn);
            const char* jobz = vectors ? "V" : "N";
            // Row-major upper triangle == column-major lower triangle.
            int info = 0, lwork = -1, liwork = -1, iwq = 0;
            T wq{};
            std::vector<T> w(n);
            tessera::detail::syevd(jobz, "L", &ni, A.data(), &ni, w.data(), &wq, &lwork, &iwq, &liwork, &info);
            check_info<T>("syevd", info, fn);
            lwork = workspace_size(wq);
            liwork = std::max(1, iwq);
            std::vector<T> work(static_cast<std::size_t>(lwork));
            std::vector<int> iwork(static_cast<std::size_t>(liwork));
            tessera::detail::syevd(jobz, "L", &ni, A.data(), &ni, w.data(), work.data(), &lwork, iwork.data(), &liwork,
                                   &info);
            check_info<T>("syevd", info, fn);
            if (info > 0)
                r.status = {status_code::not_converged, concat("syevd did not converge (info=", info, ")")};
            // Column-major eigenvector j is row j of the row-major buffer; reverse to descending.
            for (std::size_t j = 0; j < n; ++j)
            {
                const std::size_t src = n - 1 - j;
                r.values(j) = w[src];
                if (vectors)
                    for (std::size_t i = 0; i < n; ++i)
                        r.vectors(i, j) = A(src, i);
            }
            return r;
        }
    }  // namespace detail

    /// Eigendecomposition of the symmetric A [n, n] (only the upper triangle is read), values
    /// descending, eigenvectors as columns (numpy.linalg.eigh order reversed). syevd; cost O(n^3).
    /// \throws tessera::invalid_argument if A is not square; lapack_error on info < 0.
    template <class T>
    eigh_factors<T> eigh(xt::xtensor<T, 2> A)
    {
        return detail::syevd_sorted(std::move(A), true, "lapack::eigh");
    }

    /// Eigenvalues only of the symmetric A [n, n] (upper triangle read), descending
    /// (numpy.linalg.eigvalsh order reversed); `vectors` is [n, 0]. syevd without the
    /// eigenvectors: 4/3 n^3 flops for the tridiagonal reduction, no back-transformation.
    /// \throws as eigh.
    template <class T>
    eigh_factors<T> eigvalsh(xt::xtensor<T, 2> A)
    {
        return detail::syevd_sorted(std::move(A), false, "lapack::eigvalsh");
    }

    /// Thin QR of A [m, n]: Q [m, k], R [k, n], k = min(m, n). Tall A (m > n): geqrf/orgqr on a
    /// column-major copy; otherwise gelqf/orglq of the transpose, in place. Cost O(m n k).
    /// \note R's diagonal may be negative (LAPACK convention).
    template <class T>
    qr_factors<T> qr(xt::xtensor<T, 2> A)
    {
        static_assert(is_real_v<T>, "tessera::lapack::qr: T must be float or double");
        const std::size_t m = A.shape(0), n = A.shape(1), k = std::min(m, n);
        qr_factors<T> r{xt::xtensor<T, 2>::from_shape({m, k}), xt::zeros<T>({k, n})};
        if (k == 0)
            return r;
        if (m > n)
            return detail::qr_tall(A);
        // Column-major A' = A^T is [n, m] = L Q' (gelqf); A = Q'^T L^T, so R = L^T, Q = Q'^T.
        const int rows = detail::to_int(n, "lapack::qr"), cols = detail::to_int(m, "lapack::qr");
        const int ki = static_cast<int>(k), lda = std::max(1, rows);
        std::vector<T> tau(k);
        detail::with_workspace<T>("gelqf", "lapack::qr", [&](T* work, int* lwork, int* info) {
            tessera::detail::gelqf(&rows, &cols, A.data(), &lda, tau.data(), work, lwork, info);
        });
        for (std::size_t i = 0; i < k; ++i)  // R(i, j) = L(j, i) = buffer[i * n + j], j >= i
            for (std::size_t j = i; j < n; ++j)
                r.R(i, j) = A.data()[i * n + j];
        detail::with_workspace<T>("orglq", "lapack::qr", [&](T* work, int* lwork, int* info) {
            tessera::detail::orglq(&ki, &cols, &ki, A.data(), &lda, tau.data(), work, lwork, info);
        });
        // Q'(i, j) lives at buffer[i + j * n]; Q(j, i) = Q'(i, j).
        if (k == n)
            r.Q = std::move(A);
        else
            for (std::size_t j = 0; j < m; ++j)
                for (std::size_t i = 0; i < k; ++i)
                    r.Q(j, i) = A.data()[i + j * n];
        if (r.Q.shape(0) != m || r.Q.shape(1) != k)
            r.Q.reshape({m, k});
        return r;
    }

}  // namespace tessera::lapack
