#pragma once
/// \file pca_bridge.hpp
/// Alignment of spaces of different dimension through PCA: the larger space is reduced to k
/// principal components (tessera::spectral::pca, centred), then Procrustes aligns the two
/// k-dimensional spaces; the result is composed back into one transform between the original
/// spaces.

#include <algorithm>
#include <cstddef>
#include <utility>

#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "../core/blas.hpp"
#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "../spectral/pca.hpp"
#include "procrustes.hpp"
#include "similarity_transform.hpp"

namespace tessera::align
{
    /// Options of pca_bridge().
    struct pca_bridge_options
    {
        /// Dimension of the shared space; 0 = min(p, q). Each side wider than k is reduced.
        std::size_t components = 0;
        /// The Procrustes fit between the reduced spaces (centring, scale, weights, rank tolerance).
        /// allow_reflection acts only when neither side is reduced (p == q == k: the bridge is then
        /// procrustes itself). With a reduced side the composed map is not square and has no
        /// determinant (as procrustes with p != q), and a det(R_k) = +1 constraint in PCA coordinates,
        /// whose signs are arbitrary, would only pick a worse map at random: the k x k fit then always
        /// allows reflections.
        procrustes_options procrustes{};
        /// How the PCA is computed (tessera::spectral::pca_options; exact by default path choice).
        tessera::spectral::pca_options pca{};
    };

    /// Result of pca_bridge().
    template <class T>
    struct pca_bridge_result
    {
        /// The composed map from A's space [p] to B's space [q]: R = C_a^T R_k C_b with C the PCA
        /// components of a reduced side (identity otherwise). R has orthonormal columns (p > q
        /// = k) or rows (p = k < q); when k < min(p, q) it is a partial isometry of rank k.
        similarity_transform<T> transform;
        /// The fit between the k-dimensional spaces (reduced A -> reduced B).
        similarity_transform<T> reduced;
        bool reduced_a = false;          ///< A was reduced by PCA
        bool reduced_b = false;          ///< B was reduced by PCA
        std::size_t components = 0;      ///< k
        double retained_variance_a = 1.0;  ///< fraction of A's variance kept (1 when not reduced)
        double retained_variance_b = 1.0;  ///< fraction of B's variance kept (1 when not reduced)
        tessera::spectral::pca_result<T> pca_a;  ///< PCA of A when reduced_a (else empty)
        tessera::spectral::pca_result<T> pca_b;  ///< PCA of B when reduced_b (else empty)
    };

    namespace detail
    {
        template <class T>
        double retained(const tessera::spectral::pca_result<T>& r)
        {
            double s = 0.0;
            for (const T v : r.explained_variance_ratio)
                s += static_cast<double>(v);
            return s;
        }

        /// PCA bridge: aligns A [n, p] to B [n, q] through k = min(p, q) (or options.components)
        /// principal components of each side wider than k.
        ///
        /// \f$ A_k = (A - \mu_A) C_A^T \f$ (PCA scores), likewise B_k; \f$ (R_k, s) \f$ = procrustes(A_k, B_k);
        /// composed map \f$ y = s (x - \mu) C_A^T R_k C_B + \nu \f$ with
        /// \f$ \mu = \mu_A + m_a C_A \f$, \f$ \nu = \mu_B + m_b C_B \f$ (m_a, m_b the Procrustes centres).
        /// \param A [n, p], B [n, q] finite, same n >= 2.
        /// \return pca_bridge_result: composed transform, reduced fit, retained variance per side.
        /// \throws tessera::invalid_argument for bad shapes or values (as pca and procrustes),
        ///   components > min(p, q) or > n, or options.pca.whiten set.
        /// \note Cost: PCA of each reduced side (spectral::pca: with the Gram path n p^2 + O(p^3))
        ///   plus procrustes on [n, k] x [n, k].
        /// \note Unlike procrustes() with p != q (which searches all semi-orthogonal maps), the bridge
        ///   restricts the map to A's top-k principal subspace: it discards the low-variance
        ///   directions first, the route of the Qwen 2560 -> 1024 seed.
        template <class EA, class EB, requires_t<is_real_expression_v<EA> && is_real_expression_v<EB>> = true>
        auto pca_bridge(const xt::xexpression<EA>& A, const xt::xexpression<EB>& B, const pca_bridge_options& opts = {})
        {
            using T = std::common_type_t<value_type_t<EA>, value_type_t<EB>>;
            const char* fn = "align::pca_bridge";
            const auto ab = evaluate_pair<T>(A, B, fn);
            const auto& a = ab.a();
            const auto& b = ab.b();
            const std::size_t n = a.shape(0), p = a.shape(1), q = b.shape(1);
            const std::size_t k = opts.components == 0 ? std::min(p, q) : opts.components;
            require(k >= 1 && k <= std::min(p, q), fn, "options.components=", k, " must be in [1, min(p, q)=",
                    std::min(p, q), "]");
            require(k <= n, fn, "options.components=", k, " exceeds the number of rows n=", n);
            require(!opts.pca.whiten, fn, "options.pca.whiten must be false (whitened scores are not an isometry)");

            pca_bridge_result<T> r;
            r.components = k;
            r.reduced_a = p > k;
            r.reduced_b = q > k;
            xt::xtensor<T, 2> ak, bk;
            if (r.reduced_a)
            {
                r.pca_a = tessera::spectral::pca_with_scores(a, k, opts.pca, &ak);
                r.retained_variance_a = retained(r.pca_a);
            }
            if (r.reduced_b)
            {
                r.pca_b = tessera::spectral::pca_with_scores(b, k, opts.pca, &bk);
                r.retained_variance_b = retained(r.pca_b);
            }
            procrustes_options po = opts.procrustes;
            if (r.reduced_a || r.reduced_b)
                po.allow_reflection = true;  // see pca_bridge_options::procrustes
            r.reduced = procrustes(r.reduced_a ? ak : a, r.reduced_b ? bk : b, po);

            // Compose: R = C_a^T R_k C_b; mean_a = mu_A + m_a C_A; mean_b = mu_B + m_b C_B.
            using tessera::blas::op;
            similarity_transform<T>& t = r.transform;
            t = r.reduced;
            if (r.reduced_a)
            {
                t.R = tessera::blas::matmul(r.pca_a.components, t.R, op::transpose, op::none);
                xt::xtensor<T, 2> m = xt::view(r.reduced.mean_a, xt::newaxis(), xt::all());
                t.mean_a = r.pca_a.mean + xt::view(tessera::blas::matmul(m, r.pca_a.components), 0, xt::all());
            }
            if (r.reduced_b)
            {
                t.R = tessera::blas::matmul(t.R, r.pca_b.components);
                xt::xtensor<T, 2> m = xt::view(r.reduced.mean_b, xt::newaxis(), xt::all());
                t.mean_b = r.pca_b.mean + xt::view(tessera::blas::matmul(m, r.pca_b.components), 0, xt::all());
            }
            if (!r.pca_a.status.ok())
                add_status(t.status, r.pca_a.status.code, "PCA of A: " + r.pca_a.status.message);
            if (!r.pca_b.status.ok())
                add_status(t.status, r.pca_b.status.code, "PCA of B: " + r.pca_b.status.message);
            return r;
        }
    }  // namespace detail

    using detail::pca_bridge;
}  // namespace tessera::align
