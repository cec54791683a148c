#pragma once
/// \file truncated_svd.hpp
/// tessera::spectral::truncated_svd: the r leading singular triplets of a matrix by one of
/// four methods (exact, gram, randomized, automatic), with deterministic signs.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/lapack.hpp"
#include "../core/traits.hpp"
#include "detail/gram_svd.hpp"
#include "detail/randomized_svd.hpp"
#include "svd_result.hpp"

namespace tessera::spectral
{
    namespace detail
    {
        /// The method svd_method::automatic resolves to for A [m, n] and `rank`
        /// (k = min(m, n), l = min(rank + oversampling, k)):
        ///  1. gram       if k <= 4096 and k <= 16 l (one syrk pass, m k^2, against 2q + 2 = 10
        ///                GEMM passes, 20 m k l, plus the m l^2 orthonormalizations: measured
        ///                faster up to k ~ 16 l on 2 cores; the gram path falls back to exact
        ///                when its tail is unresolvable);
        ///  2. randomized if 4 l <= k                (a small rank of a large matrix);
        ///  3. exact      otherwise.
        /// Other methods are returned unchanged.
        inline svd_method choose_svd_method(std::size_t m, std::size_t n, std::size_t rank,
                                            const truncated_svd_options& o = {}) noexcept
        {
            if (o.method != svd_method::automatic)
                return o.method;
            const std::size_t k = std::min(m, n), l = std::min(rank + o.oversampling, k);
            if (k <= 4096 && k <= 16 * l)
                return svd_method::gram;
            if (4 * l <= k)
                return svd_method::randomized;
            return svd_method::exact;
        }

        /// The leading r triplets from LAPACK's full thin SVD (gesdd, gesvd fallback;
        /// lapack::svd hands tall inputs to gesdd's QR-first route).
        template <class T>
        svd_result<T> exact_svd(const xt::xtensor<T, 2>& A, std::size_t r)
        {
            const std::size_t m = A.shape(0), n = A.shape(1);
            auto f = tessera::lapack::svd<T>(A);
            const std::size_t k = f.S.size();
            svd_result<T> out;
            out.method = svd_method::exact;
            out.status = std::move(f.status);
            if (r == k)
            {
                out.U = std::move(f.U);
                out.S = std::move(f.S);
                out.Vt = std::move(f.Vt);
                return out;
            }
            out.U = xt::xtensor<T, 2>::from_shape({m, r});
            for (std::size_t i = 0; i < m; ++i)
                std::copy(f.U.data() + i * k, f.U.data() + i * k + r, out.U.data() + i * r);
            out.S = xt::xtensor<T, 1>::from_shape({r});
            std::copy(f.S.data(), f.S.data() + r, out.S.data());
            out.Vt = xt::xtensor<T, 2>::from_shape({r, n});
            std::copy(f.Vt.data(), f.Vt.data() + r * n, out.Vt.data());
            return out;
        }

        /// Gram path for any shape: wide matrices are transposed and the factors swapped.
        template <class T>
        svd_result<T> gram_svd(const xt::xtensor<T, 2>& A, std::size_t r, double tolerance)
        {
            if (A.shape(0) >= A.shape(1))
                return gram_svd_tall(A, r, tolerance);
            auto t = gram_svd_tall(tessera::blas::transposed(A), r, tolerance);
            svd_result<T> out;
            out.U = tessera::blas::transposed(t.Vt);
            out.S = std::move(t.S);
            out.Vt = tessera::blas::transposed(t.U);
            out.status = std::move(t.status);
            out.method = t.method;
            return out;
        }

        /// Truncated SVD A ~ U diag(S) Vt of the r = `rank` leading singular triplets.
        ///
        /// Methods (options.method; see svd_method and choose_svd_method for `automatic`):
        ///  - exact: gesdd (gesvd fallback, status fallback_used). Cost O(m n min(m, n)).
        ///  - gram: A^T A (A A^T when wide) accumulated in double, eigh, U = A V S^-1. Relative
        ///    error of sigma_i ~ eps_double (sigma_1/sigma_i)^2; when that estimate for sigma_r
        ///    exceeds options.gram_tolerance the exact path runs instead (status fallback_used),
        ///    or, with gram_fallback = false, the gram result is returned with status
        ///    accuracy_limited. Cost m n^2 (dsyrk) + O(n^3) + 2 m n r.
        ///  - randomized: HMT range finder with l = rank + oversampling columns and
        ///    power_iterations re-normalized (LU or QR) subspace iterations, GEMMs in float32 by
        ///    default; seeded by options.seed (same seed, same bits at any thread count).
        ///    Cost (4 q + 4) m n l flops. Error close to optimal for decaying spectra.
        /// \param A matrix [m, n] of float or double, non-empty, all entries finite.
        /// \param rank 1 <= rank <= min(m, n).
        /// \return svd_result{U [m, rank], S [rank] descending, Vt [rank, n], status, method};
        ///         signs follow svd_flip unless options.flip_signs is false.
        /// \throws tessera::invalid_argument when A is empty or holds NaN/Inf (message gives the
        ///         position), when rank is 0 or exceeds min(m, n), or gram_tolerance < 0.
        /// \note ||A - U S Vt||_F = sqrt(sum of the discarded sigma_i^2) for exact and gram.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        svd_result<value_type_t<E>> truncated_svd(const xt::xexpression<E>& A_expr, std::size_t rank,
                                                  const truncated_svd_options& options = {})
        {
            using T = value_type_t<E>;
            const char* fn = "truncated_svd";
            auto held = tessera::detail::evaluate<T, 2>(A_expr, fn, "A");
            const xt::xtensor<T, 2>& A = held.get();
            require_finite_nonempty(A, fn);
            const std::size_t m = A.shape(0), n = A.shape(1);
            require_rank(rank, m, n, fn);
            require(options.gram_tolerance >= 0.0 && std::isfinite(options.gram_tolerance), fn,
                    "options.gram_tolerance=", options.gram_tolerance, " must be finite and >= 0");
            svd_result<T> out;
            switch (choose_svd_method(m, n, rank, options))
            {
                case svd_method::gram:
                {
                    out = gram_svd(A, rank, gram_tolerance_for<T>(options));
                    if (out.status.code == status_code::accuracy_limited && options.gram_fallback)
                    {
                        std::string why = out.status.message;
                        out = exact_svd(A, rank);
                        if (out.status.ok())
                            out.status = {status_code::fallback_used, concat(why, "; exact (gesdd) used instead")};
                    }
                    break;
                }
                case svd_method::randomized: out = randomized_svd(A, rank, options); break;
                case svd_method::exact:
                case svd_method::automatic: out = exact_svd(A, rank); break;
            }
            if (options.flip_signs)
                svd_flip(out.U, out.Vt);
            return out;
        }
    }  // namespace detail

    using detail::choose_svd_method;
    using detail::truncated_svd;
}  // namespace tessera::spectral
