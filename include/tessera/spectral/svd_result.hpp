#pragma once
/// \file svd_result.hpp
/// The result and options of tessera::spectral::truncated_svd, the method selector, and the
/// deterministic sign convention (svd_flip) shared by every SVD path of the module.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"

namespace tessera::spectral
{
    namespace detail
    {
        using tessera::detail::concat;
        using tessera::detail::require;
    }  // namespace detail

    /// How truncated_svd computes the factors.
    enum class svd_method
    {
        /// Picks by shape and rank (choose_svd_method): with k = min(m, n) and
        /// l = min(rank + oversampling, k): gram when k <= 4096 and k <= 16 l, else
        /// randomized when 4 l <= k, else exact.
        automatic,
        /// LAPACK gesdd on the thin problem (gesvd when gesdd fails; status fallback_used).
        /// Reports a tail below its precision: rank_deficient when sigma_r <=
        /// sqrt(max(m, n)) eps_T sigma_1, accuracy_limited when eps_T sigma_1 / sigma_r >
        /// gram_tolerance.
        exact,
        /// Eigendecomposition of A^T A (accumulated in double; for float A first from float32
        /// block products with a double Rayleigh-Ritz refinement, options.gram_float32),
        /// U = A V S^-1. Relative error
        /// of sigma_i ~ eps_double (sigma_1 / sigma_i)^2; falls back to exact in double (or
        /// reports accuracy_limited / rank_deficient) when the requested tail is below that
        /// accuracy, below the Gram's numerical zero, or U is not orthonormal.
        gram,
        /// Halko-Martinsson-Tropp randomized range finder with power iterations. Reports
        /// accuracy_limited when sigma_r < sqrt(eps_W) sigma_1 (W: the precision of the
        /// products), rank_deficient when sigma_r <= sqrt(max(m, n)) eps_W sigma_1.
        randomized
    };

    /// Re-normalization of the sample block between power iterations (randomized path).
    enum class power_normalizer
    {
        lu,  ///< permuted unit-lower LU factor (getrf): cheap, well-conditioned (sklearn's default)
        qr   ///< orthonormal basis (LU then Cholesky QR twice, Householder QR if that fails): about 2x lu
    };

    /// Options of truncated_svd. Members carry their defaults; set only what you need.
    struct truncated_svd_options
    {
        svd_method method = svd_method::automatic;  ///< which algorithm (see svd_method)
        std::size_t oversampling = 10;              ///< randomized: extra sample columns p
        std::size_t power_iterations = 4;           ///< randomized: subspace iterations q
        power_normalizer normalizer = power_normalizer::lu;  ///< randomized: between iterations
        /// randomized: renormalize the samples on both sides of each iteration (as sklearn)
        /// instead of only on the small side (min(m, n) rows): slower for very tall or wide
        /// A, and more accurate only for directions below sqrt(eps) sigma_1.
        bool renormalize_both_sides = false;
        bool float32_products = true;  ///< randomized: run the big GEMMs in float32 (also for double A)
        /// randomized: block Krylov instead of subspace iteration: keep every iteration's block
        /// (orthonormalized against the earlier ones on the small side) and take the factors from a
        /// Rayleigh-Ritz step on their span, (q + 1) l columns: 2 q + 1 passes over A instead of
        /// 2 q + 2. q = 3 with oversampling 0 (7 passes) measured within 0.03 % of the optimal
        /// error on power-law spectra, where the plain q = 4, oversampling 10 (10 passes) ranged
        /// 0.003-0.15 % (docs/spectral.md, "Block Krylov"). power_iterations is q; normalizer and
        /// renormalize_both_sides are unused.
        bool block_krylov = false;
        std::uint64_t seed = 0x7e55e7a5eedULL;  ///< randomized: Gaussian test matrix seed
        /// gram and exact: largest acceptable estimated relative error of the smallest
        /// requested singular value sigma_r (gram: eps_double (sigma_1 / sigma_r)^2; exact:
        /// eps_T sigma_1 / sigma_r); 0 means the default for T (1e-4 for float, 1e-8 for double).
        double gram_tolerance = 0.0;
        /// gram: when its tail is unresolved (accuracy_limited or rank_deficient), rerun exact
        /// in double (status fallback_used, or exact's own report); when false, return the
        /// gram result with that status.
        bool gram_fallback = true;
        /// gram, float A: form A^T A from float32 products (2048-row blocks summed in double,
        /// twice the double rate) and refine the top rank + oversampling eigenvectors by a
        /// Rayleigh-Ritz step in double; kept when the estimated relative error of sigma_r is
        /// within gram_tolerance, else the double Gram is formed (docs/spectral.md). Singular
        /// values match the double route to float rounding; singular vectors to an angle of about
        /// eps_float sigma_1^2 / (sigma_j^2 - sigma_{l+1}^2) (false: the double Gram always).
        bool gram_float32 = true;
        bool flip_signs = true;  ///< apply svd_flip (largest-|.| entry of each U column positive)
    };

    /// A (truncated) singular value decomposition A ~ U diag(S) Vt.
    template <class T>
    struct svd_result
    {
        static_assert(is_real_v<T>, "tessera::spectral::svd_result<T>: T must be float or double");
        xt::xtensor<T, 2> U;    ///< [m, r], orthonormal columns (left singular vectors)
        xt::xtensor<T, 1> S;    ///< [r], singular values, descending, non-negative
        xt::xtensor<T, 2> Vt;   ///< [r, n], orthonormal rows (right singular vectors)
        /// ok, fallback_used, rank_deficient, accuracy_limited or not_converged (docs/spectral.md,
        /// "What status means")
        tessera::status status;
        svd_method method = svd_method::exact;  ///< the method that produced the factors
        /// randomized: the power (or block Krylov) iterations run; 0 for the other methods.
        std::size_t power_iterations = 0;

        /// Number of singular triplets r.
        std::size_t rank() const noexcept { return S.size(); }
    };

    namespace detail
    {
        /// Name of a method, e.g. "gram".
        inline const char* to_string(svd_method m) noexcept
        {
            switch (m)
            {
                case svd_method::automatic: return "automatic";
                case svd_method::exact: return "exact";
                case svd_method::gram: return "gram";
                case svd_method::randomized: return "randomized";
            }
            return "unknown";
        }

        /// Makes signs deterministic: for each column j of U, the entry of largest |U(i, j)|
        /// (the first one on ties) is made positive; row j of Vt flips with it, so U S Vt is
        /// unchanged. This is sklearn.utils.extmath.svd_flip(u, v, u_based_decision=True).
        /// Cost O(m r + r n). \throws tessera::invalid_argument if U and Vt disagree on r.
        template <class T>
        void svd_flip(xt::xtensor<T, 2>& U, xt::xtensor<T, 2>& Vt)
        {
            const std::size_t m = U.shape(0), r = U.shape(1), n = Vt.shape(1);
            require(Vt.shape(0) == r, "spectral::svd_flip", "U is ", shape_to_string(U.shape()), " and Vt is ",
                    shape_to_string(Vt.shape()), ": Vt must have ", r, " rows");
            // One row-major pass to find each column's largest |entry| (first on ties), one to flip.
            std::vector<T> best_abs(r, T(-1));
            std::vector<char> negative(r, 0);
            for (std::size_t i = 0; i < m; ++i)
            {
                const T* row = U.data() + i * r;
                for (std::size_t j = 0; j < r; ++j)
                {
                    const T a = std::abs(row[j]);
                    if (a > best_abs[j])
                    {
                        best_abs[j] = a;
                        negative[j] = row[j] < T(0);
                    }
                }
            }
            bool any = false;
            for (char c : negative)
                any = any || c;
            if (!any)
                return;
            for (std::size_t i = 0; i < m; ++i)
            {
                T* row = U.data() + i * r;
                for (std::size_t j = 0; j < r; ++j)
                    if (negative[j])
                        row[j] = -row[j];
            }
            for (std::size_t j = 0; j < r; ++j)
                if (negative[j])
                    for (std::size_t c = 0; c < n; ++c)
                        Vt(j, c) = -Vt(j, c);
        }

        /// Evaluates `e` once as a matrix A and throws unless it is non-empty and finite (the
        /// module's NaN policy: non-finite input is rejected, with the position of the first
        /// offending entry).
        template <class T, class E>
        tessera::detail::evaluated<T, 2> evaluate_nonempty_finite(const xt::xexpression<E>& e, const char* fn,
                                                                  const char* param = "A")
        {
            auto held = tessera::detail::evaluate<T, 2>(e, fn, param);
            const auto& A = held.get();
            require(A.shape(0) > 0 && A.shape(1) > 0, fn, param, " must be a non-empty matrix, got shape ",
                    shape_to_string(A.shape()));
            tessera::detail::require_finite(A, fn, param);
            return held;
        }

        /// Checks 1 <= rank <= min(m, n).
        inline void require_rank(std::size_t rank, std::size_t m, std::size_t n, const char* fn)
        {
            require(rank >= 1, fn, "rank=", rank, " must be at least 1");
            require(rank <= std::min(m, n), fn, "rank=", rank, " exceeds min(rows, cols)=", std::min(m, n),
                    " of A [", m, ", ", n, "]");
        }

        /// The gram tolerance actually used for T.
        template <class T>
        double gram_tolerance_for(const truncated_svd_options& o) noexcept
        {
            if (o.gram_tolerance > 0.0)
                return o.gram_tolerance;
            return std::is_same_v<T, float> ? 1e-4 : 1e-8;
        }
    }  // namespace detail

    using detail::svd_flip, detail::to_string;
}  // namespace tessera::spectral
