#pragma once
/// \file truncated_svd.hpp
/// tessera::spectral::truncated_svd: the r leading singular triplets of a matrix by one of
/// four methods (exact, gram, randomized, automatic), with deterministic signs.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/lapack.hpp"
#include "../core/memory.hpp"
#include "../core/traits.hpp"
#include "detail/gram_float32.hpp"
#include "detail/gram_svd.hpp"
#include "detail/randomized_svd.hpp"
#include "detail/tail_status.hpp"
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
        /// lapack::svd hands tall inputs to gesdd's QR-first route), run in precision W (W = double
        /// for float A when the float SVD cannot resolve the tail). status: LAPACK's
        /// (fallback_used, not_converged) merged with the tail rule: rank_deficient when
        /// sigma_r <= sqrt(max(m, n)) eps_W sigma_1, accuracy_limited when eps_W sigma_1 / sigma_r > tolerance.
        template <class W, class T>
        svd_result<T> exact_svd(const xt::xtensor<T, 2>& A, std::size_t r, double tolerance)
        {
            const std::size_t m = A.shape(0), n = A.shape(1);
            auto f = [&] {
                if constexpr (std::is_same_v<W, T>)
                    return tessera::lapack::svd<W>(A);
                else
                {
                    xt::xtensor<W, 2> Aw = xt::xtensor<W, 2>::from_shape({m, n});
                    std::copy(A.begin(), A.end(), Aw.begin());
                    return tessera::lapack::svd<W>(std::move(Aw));
                }
            }();
            const std::size_t k = f.S.size();
            const double s1 = static_cast<double>(f.S(0)), sr = static_cast<double>(f.S(r - 1));
            const double eps = eps_of<W>();
            svd_result<T> out;
            out.method = svd_method::exact;
            const char* route = std::is_same_v<W, float> ? "exact (gesdd in float)" : "exact (gesdd in double)";
            const double zero = std::sqrt(static_cast<double>(std::max(m, n))) * eps * s1;
            const double est = sr > 0.0 ? eps * s1 / sr : std::numeric_limits<double>::infinity();
            out.status = merge_status(std::move(f.status),
                                      tail_status(route, f.S, r, zero, est, tolerance, "eps*sigma_1/sigma_r"));
            if constexpr (std::is_same_v<W, T>)
                if (r == k)
                {
                    out.U = std::move(f.U);
                    out.S = std::move(f.S);
                    out.Vt = std::move(f.Vt);
                    return out;
                }
            out.U = tessera::detail::fresh_tensor<T, 2>({m, r});
            for (std::size_t i = 0; i < m; ++i)
                std::copy(f.U.data() + i * k, f.U.data() + i * k + r, out.U.data() + i * r);
            out.S = xt::xtensor<T, 1>::from_shape({r});
            std::copy(f.S.data(), f.S.data() + r, out.S.data());
            out.Vt = xt::xtensor<T, 2>::from_shape({r, n});
            std::copy(f.Vt.data(), f.Vt.data() + r * n, out.Vt.data());
            return out;
        }

        /// Whether the float32 route costs less than the double Gram for A [m, n] (m >= n), rank r:
        /// it saves half the syrk pass, m n^2 flops at the double rate, and adds the Rayleigh-Ritz
        /// products 2 m n (l - r) + m l^2 + 2 m l r (float): n^2 > 2 n (l - r) + l^2 + 2 l r.
        inline bool float32_gram_pays(std::size_t n, std::size_t r, std::size_t oversampling) noexcept
        {
            const double N = double(n), R = double(r), L = double(std::min(r + oversampling, n));
            return N * N > 2.0 * N * (L - R) + L * L + 2.0 * L * R;
        }

        /// Gram path of a tall A: for float A with options.gram_float32, where it costs less
        /// (float32_gram_pays), the float32 route (gram_svd_tall_float32) when its estimate of
        /// sigma_r's error is within `tolerance`, else the double Gram (gram_svd_tall).
        template <class T>
        svd_result<T> gram_svd_route(const xt::xtensor<T, 2>& A, std::size_t r, double tolerance,
                                     const truncated_svd_options& o)
        {
            if constexpr (std::is_same_v<T, float>)
                if (o.gram_float32 && float32_gram_pays(A.shape(1), r, o.oversampling))
                {
                    auto f = gram_svd_tall_float32(A, r, o.oversampling, tolerance);
                    if (f.accepted)
                        return std::move(f.result);
                }
            return gram_svd_tall(A, r, tolerance);
        }

        /// Gram path for any shape: wide matrices are transposed and the factors swapped.
        template <class T>
        svd_result<T> gram_svd(const xt::xtensor<T, 2>& A, std::size_t r, double tolerance,
                               const truncated_svd_options& o = {})
        {
            if (A.shape(0) >= A.shape(1))
                return gram_svd_route(A, r, tolerance, o);
            auto t = gram_svd_route(tessera::blas::transposed(A), r, tolerance, o);
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
        ///  - gram, float A with options.gram_float32 (the default): A^T A from float products
        ///    over 2048-row blocks summed in double, its top rank + oversampling eigenvectors refined
        ///    by a Rayleigh-Ritz step in double (gram_svd_tall_float32); kept when the estimated
        ///    error of sigma_r (eps_float sigma_1/sigma_r + the subspace term) is within the
        ///    tolerance, else the double route below runs. Cost m n^2 (ssyrk) + O(n^3) + 2 m n l.
        ///  - gram: A^T A (A A^T when wide) accumulated in double, eigh, U = A V S^-1 (U^T U checked
        ///    in double where a loss is plausible; recomputed with double products for float when
        ///    it is off by more than 1e-5). Relative error of sigma_i ~ eps_double (sigma_1/sigma_i)^2. When the
        ///    tail is unresolved (that estimate for sigma_r above options.gram_tolerance, sigma_r
        ///    below the Gram's numerical zero, or U not orthonormal) the exact path runs instead,
        ///    in double (status fallback_used), or, with gram_fallback = false, the gram result is
        ///    returned with status accuracy_limited / rank_deficient. Cost m n^2 (dsyrk) + O(n^3)
        ///    + 2 m n r, plus up to m r^2 for the U check when a loss is plausible.
        ///  - randomized: HMT range finder with l = rank + oversampling columns and
        ///    power_iterations re-normalized (LU or QR) subspace iterations, GEMMs in float32 by
        ///    default; seeded by options.seed (same seed, same bits at any thread count).
        ///    Cost (4 q + 4) m n l flops. Error close to optimal for decaying spectra.
        /// Every route reports in `status` a sigma_r it cannot resolve (rules on svd_method and
        /// docs/spectral.md "What status means"): rank_deficient when sigma_r is numerically zero
        /// for the route, accuracy_limited when its estimated error is above tolerance.
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
            const char* fn = "spectral::truncated_svd";
            auto held = evaluate_nonempty_finite<T>(A_expr, fn);
            const xt::xtensor<T, 2>& A = held.get();
            const std::size_t m = A.shape(0), n = A.shape(1);
            require_rank(rank, m, n, fn);
            require(options.gram_tolerance >= 0.0 && std::isfinite(options.gram_tolerance), fn,
                    "options.gram_tolerance=", options.gram_tolerance, " must be finite and >= 0");
            svd_result<T> out;
            switch (choose_svd_method(m, n, rank, options))
            {
                case svd_method::gram:
                {
                    const double tol = gram_tolerance_for<T>(options);
                    out = gram_svd(A, rank, tol, options);
                    const bool unresolved = out.status.code == status_code::accuracy_limited ||
                                            out.status.code == status_code::rank_deficient;
                    if (unresolved && options.gram_fallback)
                    {
                        // The fallback runs in double: a float gesdd resolves sigma_i only to
                        // eps_float sigma_1, worse than the gram result it replaces.
                        std::string why = out.status.message;
                        out = exact_svd<double>(A, rank, tol);
                        const char* how = "; exact (gesdd in double) used instead";
                        out.status = out.status.ok()
                                         ? tessera::status{status_code::fallback_used, concat(why, how)}
                                         : tessera::status{out.status.code, concat(why, how, ": ", out.status.message)};
                    }
                    break;
                }
                case svd_method::randomized: out = randomized_svd(A, rank, options); break;
                case svd_method::exact:
                case svd_method::automatic: out = exact_svd<T>(A, rank, gram_tolerance_for<T>(options)); break;
            }
            if (options.flip_signs)
                svd_flip(out.U, out.Vt);
            return out;
        }
    }  // namespace detail

    using detail::choose_svd_method, detail::truncated_svd;
}  // namespace tessera::spectral
