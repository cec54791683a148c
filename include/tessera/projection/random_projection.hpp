#pragma once
/// \file random_projection.hpp
/// A seeded random projection P [d, k] (Gaussian, orthonormal, Achlioptas or Li's very sparse),
/// `project(W) = W P` and the pseudoinverse reconstruction `reconstruct(Y) = Y pinv(P)`.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include <xtensor/xmanipulation.hpp>
#include <xtensor/xtensor.hpp>

#include "../core/memory.hpp"
#include "../core/blas.hpp"
#include "../core/errors.hpp"
#include "../core/lapack.hpp"
#include "../core/triangular.hpp"
#include "../core/random.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"
#include "detail/sparse_sign_matrix.hpp"

namespace tessera::projection
{
    /// How the entries of P [d, k] are drawn (all have E[P P^T] = I_d, except orthonormal).
    enum class projection_kind
    {
        gaussian,     ///< i.i.d. N(0, 1/k) (sklearn GaussianRandomProjection)
        orthonormal,  ///< Gaussian then QR: k orthonormal columns, Haar distributed (needs k <= d)
        achlioptas,   ///< +-sqrt(3/k) with probability 1/6 each, 0 with probability 2/3
        very_sparse   ///< Li et al.: s = sqrt(d), +-sqrt(s/k) with probability 1/(2s) each, else 0
    };

    /// Name of a projection kind, e.g. "very_sparse".
    inline const char* to_string(projection_kind kind) noexcept
    {
        switch (kind)
        {
            case projection_kind::gaussian: return "gaussian";
            case projection_kind::orthonormal: return "orthonormal";
            case projection_kind::achlioptas: return "achlioptas";
            case projection_kind::very_sparse: return "very_sparse";
        }
        return "unknown";
    }

    /// Options of the reconstruction.
    struct reconstruct_options
    {
        /// false: structured pinv(P) = (P^T P)^-1 P^T by a k x k Cholesky in double (P^T for
        /// the orthonormal kind). true: the SVD pseudoinverse (reference; numpy.linalg.pinv).
        bool exact = false;
    };

    /// A pseudoinverse with the numerical outcome of computing it.
    template <class T>
    struct pinv_result
    {
        xt::xtensor<T, 2> matrix;  ///< [k, d]
        tessera::status status;    ///< fallback_used (Cholesky failed: SVD used) or rank_deficient
    };

    namespace detail
    {
        constexpr std::uint64_t rng_stream_base = 0x70726f6a00000000ull;  // "proj"

        /// src copied into precision U.
        template <class U, class T>
        xt::xtensor<U, 2> cast_matrix(const xt::xtensor<T, 2>& src)
        {
            xt::xtensor<U, 2> out = xt::xtensor<U, 2>::from_shape({src.shape(0), src.shape(1)});
            std::transform(src.begin(), src.end(), out.begin(), [](T v) { return static_cast<U>(v); });
            return out;
        }

        /// SVD pseudoinverse of P [d, k] in double: V diag(1/s) U^T [k, d], dropping singular
        /// values below max(d, k) * eps * s_max (numpy's and MATLAB's default cutoff).
        inline pinv_result<double> svd_pinv(const xt::xtensor<double, 2>& P)
        {
            const std::size_t d = P.shape(0), k = P.shape(1);
            auto f = lapack::svd<double>(P);
            const std::size_t r = f.S.size();
            const double cutoff = static_cast<double>(std::max(d, k)) * 2.220446049250313e-16 * (r ? f.S(0) : 0.0);
            std::size_t kept = 0;
            while (kept < r && f.S(kept) > cutoff)  // S is descending
                ++kept;
            // pinv = V_r diag(1/s_r) U_r^T = (diag(1/s_r) Vt_r)^T U_r^T: one GEMM.
            xt::xtensor<double, 2> Vts = xt::xtensor<double, 2>::from_shape({kept, k});
            xt::xtensor<double, 2> Ur = xt::xtensor<double, 2>::from_shape({d, kept});
            for (std::size_t j = 0; j < kept; ++j)
                for (std::size_t a = 0; a < k; ++a)
                    Vts(j, a) = f.Vt(j, a) / f.S(j);
            for (std::size_t b = 0; b < d; ++b)
                for (std::size_t j = 0; j < kept; ++j)
                    Ur(b, j) = f.U(b, j);
            pinv_result<double> out{xt::zeros<double>({k, d}), f.status};
            if (kept > 0)
                out.matrix = blas::matmul(Vts, Ur, blas::op::transpose, blas::op::transpose);
            if (kept < k && out.status.ok())
                out.status = {status_code::rank_deficient,
                              concat("P has numerical rank ", kept, " < k=", k, "; singular values below ", cutoff,
                                     " were dropped")};
            return out;
        }

        /// A seeded random projection P [d, k]; see the public alias for documentation.
        template <class T>
        class random_projection
        {
            static_assert(is_real_v<T>, "tessera::projection::random_projection<T>: T must be float or double");

        public:
            /// Draws P [d, k] of the given kind from `seed` (see the public alias).
            /// \param d input dimension, > 0 and < 2^32. \param k output dimension, > 0 (<= d for
            /// orthonormal). Cost: d k draws (+ a QR of [d, k] in double for orthonormal).
            /// \throws tessera::invalid_argument on d == 0, k == 0, or k > d for orthonormal.
            random_projection(std::size_t d, std::size_t k, projection_kind kind = projection_kind::gaussian,
                              std::uint64_t seed = 0)
                : m_d(d), m_k(k), m_kind(kind), m_seed(seed)
            {
                const char* fn = "projection::random_projection";
                require(d > 0, fn, "d=", d, " must be positive");
                require(k > 0, fn, "k=", k, " must be positive");
                require(kind != projection_kind::orthonormal || k <= d, fn, "k=", k,
                        " must not exceed d=", d, " for kind=orthonormal (at most d orthonormal columns)");
                require(d < (std::size_t(1) << 32), fn, "d=", d, " must be below 2^32");
                const counter_rng rng(seed, rng_stream_base + static_cast<std::uint64_t>(kind));
                const double kd = static_cast<double>(k);
                switch (kind)
                {
                    case projection_kind::gaussian:
                        m_dense = xt::xtensor<T, 2>::from_shape({d, k});
                        fill_normal<T>(m_dense.data(), d * k, rng, static_cast<T>(1.0 / std::sqrt(kd)));
                        break;
                    case projection_kind::orthonormal:
                    {
                        xt::xtensor<double, 2> G = xt::xtensor<double, 2>::from_shape({d, k});
                        fill_normal<double>(G.data(), d * k, rng);
                        auto f = lapack::qr<double>(std::move(G));
                        for (std::size_t j = 0; j < k; ++j)  // R with a positive diagonal: Haar Q
                            if (f.R(j, j) < 0.0)
                                for (std::size_t i = 0; i < d; ++i)
                                    f.Q(i, j) = -f.Q(i, j);
                        m_dense = cast_matrix<T>(f.Q);
                        break;
                    }
                    case projection_kind::achlioptas:
                        m_sparse = detail::sparse_sign_matrix(d, k, 1.0 / 3.0, std::sqrt(3.0 / kd), rng);
                        break;
                    case projection_kind::very_sparse:
                    {
                        const double s = std::sqrt(static_cast<double>(d));
                        m_sparse = detail::sparse_sign_matrix(d, k, 1.0 / s, std::sqrt(s / kd), rng);
                        break;
                    }
                }
            }

            std::size_t input_dim() const noexcept { return m_d; }   ///< d
            std::size_t output_dim() const noexcept { return m_k; }  ///< k
            projection_kind kind() const noexcept { return m_kind; }
            std::uint64_t seed() const noexcept { return m_seed; }
            bool is_sparse() const noexcept { return m_dense.size() == 0; }
            /// Probability that an entry is non-zero (1 for the dense kinds).
            double density() const noexcept
            {
                if (m_kind == projection_kind::achlioptas)
                    return 1.0 / 3.0;
                if (m_kind == projection_kind::very_sparse)
                    return 1.0 / std::sqrt(static_cast<double>(m_d));
                return 1.0;
            }
            /// Number of stored non-zero entries (d * k for the dense kinds).
            std::size_t nnz() const noexcept { return is_sparse() ? m_sparse.nnz() : m_d * m_k; }
            /// E ||x P||^2 / ||x||^2 for a fixed x: 1, except k/d for the orthonormal kind.
            double norm_scale() const noexcept
            {
                return m_kind == projection_kind::orthonormal ? static_cast<double>(m_k) / static_cast<double>(m_d)
                                                              : 1.0;
            }

            /// The dense [d, k] matrix P in precision U (regenerated from the stored form).
            template <class U = T>
            xt::xtensor<U, 2> matrix() const
            {
                if (is_sparse())
                    return m_sparse.template dense<U>();
                if constexpr (std::is_same_v<U, T>)
                    return m_dense;
                else
                    return cast_matrix<U>(m_dense);
            }

            /// Y = W P. \param W [n, d]. \return [n, k]. Dense kinds: one GEMM (2 n d k flops)
            /// and a finite check of the [n, k] result instead of the [n, d] input (below);
            /// sparse kinds: n * nnz adds, parallel over row blocks, never densified.
            /// \throws tessera::invalid_argument unless W has d columns and finite entries.
            template <class E, requires_t<is_real_expression_v<E>> = true>
            xt::xtensor<T, 2> project(const xt::xexpression<E>& W) const
            {
                const char* fn = "projection::random_projection::project";
                auto ev = tessera::detail::evaluate<T, 2>(W, fn, "W");
                const auto& w = ev.get();
                require(w.shape(1) == m_d, fn, "W must have ", m_d, " columns (d), got shape ", shape_to_string(w.shape()));
                const std::size_t n = w.shape(0);
                if (!is_sparse())
                {
                    // A NaN or Inf in row i of W makes every entry of row i of W P NaN or Inf (IEEE:
                    // they survive every product, 0 * Inf included, and every sum), so the result is
                    // checked, d / k times fewer bytes than W: the check cost 5 % of the GEMM on
                    // 151936 x 896, k = 128. W is searched only when Y is not finite, for the
                    // message; a finite W whose products overflowed returns Y as computed.
                    xt::xtensor<T, 2> Y = blas::matmul(w, m_dense);
                    if (tessera::detail::first_non_finite(Y.data(), Y.size()) != Y.size())
                        tessera::detail::require_finite(w, fn, "W");
                    return Y;
                }
                tessera::detail::require_finite(w, fn, "W");
                xt::xtensor<T, 2> Y = tessera::detail::fresh_tensor<T, 2>({n, m_k});
                m_sparse.apply(w.data(), n, Y.data());
                return Y;
            }

            /// pinv(P) [k, d], computed in double and returned in precision U. Structured
            /// (default): (P^T P)^-1 P^T through a k x k Cholesky of the Gram matrix, exact when P
            /// has full column rank, cost 2 d k^2 + k^3/3 flops; P^T for the orthonormal kind.
            /// When the Cholesky fails (k > d, or a rank-deficient P) the SVD pinv is used and
            /// status says fallback_used. `exact`: the SVD pseudoinverse (status rank_deficient
            /// when singular values below max(d, k) eps s_max were dropped).
            template <class U = T>
            pinv_result<U> pseudoinverse(const reconstruct_options& options = {}) const
            {
                auto P = matrix<double>();
                pinv_result<double> r;
                if (options.exact)
                    r = svd_pinv(P);
                else if (m_kind == projection_kind::orthonormal)
                    r.matrix = xt::transpose(P);
                else
                {
                    auto chol = m_k <= m_d ? lapack::cholesky<double>(blas::gram<double>(P))
                                           : lapack::cholesky_factor<double>{{}, {status_code::rank_deficient, ""}};
                    if (chol.status.ok())
                        r.matrix = lapack::cholesky_solve<double>(chol.L, xt::xtensor<double, 2>(xt::transpose(P)));
                    else
                    {
                        r = svd_pinv(P);
                        r.status = {status_code::fallback_used,
                                    concat("P^T P is not positive definite (k=", m_k, ", d=", m_d,
                                           "); SVD pseudoinverse used", r.status.ok() ? "" : ": ", r.status.message)};
                    }
                }
                if constexpr (std::is_same_v<U, double>)
                    return r;
                else
                    return {cast_matrix<U>(r.matrix), r.status};
            }

            /// W_hat = Y pinv(P): the orthogonal projection of W's rows onto the k-dim row space
            /// of P^T when Y = W P (error ~ sqrt(1 - k/d) ||W|| on isotropic data).
            /// \param Y [n, k]. \return [n, d]. Cost: the pinv plus one GEMM (2 n k d flops).
            /// \throws tessera::invalid_argument unless Y has k columns and finite entries.
            template <class E, requires_t<is_real_expression_v<E>> = true>
            xt::xtensor<T, 2> reconstruct(const xt::xexpression<E>& Y, const reconstruct_options& options = {}) const
            {
                auto ev = tessera::detail::evaluate_finite<T, 2>(Y, "projection::random_projection::reconstruct", "Y");
                const auto& y = ev.get();
                require(y.shape(1) == m_k, "projection::random_projection::reconstruct", "Y must have ", m_k,
                        " columns (k), got shape ", shape_to_string(y.shape()));
                return blas::matmul(y, pseudoinverse(options).matrix);
            }

            /// The seed experiment's scale fix: (d / k) * Y pinv(P). Unbiased for the rotation
            /// invariant kinds (E[P pinv(P)] = (k/d) I), but its error is larger:
            /// sqrt(d/k - 1) ||W|| instead of sqrt(1 - k/d) ||W|| on isotropic data.
            /// \param Y [n, k]. \return [n, d]. \throws as reconstruct.
            template <class E, requires_t<is_real_expression_v<E>> = true>
            xt::xtensor<T, 2> reconstruct_scaled(const xt::xexpression<E>& Y,
                                                 const reconstruct_options& options = {}) const
            {
                auto out = reconstruct(Y, options);
                out *= static_cast<T>(static_cast<double>(m_d) / static_cast<double>(m_k));
                return out;
            }

        private:
            std::size_t m_d;
            std::size_t m_k;
            projection_kind m_kind;
            std::uint64_t m_seed;
            xt::xtensor<T, 2> m_dense;
            detail::sparse_sign_matrix m_sparse;
        };
    }  // namespace detail

    /// A random projection P [d, k] regenerable from (d, k, kind, seed): entry (i, j) is drawn
    /// at position i * k + j of `counter_rng(seed, stream(kind))`, so the same arguments give a
    /// bitwise-identical P at any thread count. Dense kinds store P and project with BLAS GEMM;
    /// sparse kinds store column index lists (4 bytes per non-zero) and never densify.
    /// \throws tessera::invalid_argument if d == 0, k == 0, or k > d for kind=orthonormal.
    /// \note The orthonormal kind has orthonormal columns (P^T P = I): it shrinks squared norms
    /// by k/d on average (see norm_scale()); the other kinds preserve them in expectation.
    template <class T>
    using random_projection = detail::random_projection<T>;
}  // namespace tessera::projection
