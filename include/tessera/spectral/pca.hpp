#pragma once
/// \file pca.hpp
/// tessera::spectral::pca: principal component analysis of the rows of a matrix (centred,
/// explained variance with ddof = 1 as sklearn.decomposition.PCA), with transform,
/// inverse_transform and optional whitening.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "../core/blas.hpp"
#include "../core/memory.hpp"
#include "../core/detail/column_means.hpp"
#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "svd_result.hpp"
#include "truncated_svd.hpp"

namespace tessera::spectral
{
    /// Options of pca.
    struct pca_options
    {
        /// Scale the scores to unit variance (transform divides by sqrt(explained_variance)).
        bool whiten = false;
        /// How the centred SVD is computed. `automatic` means the fastest *exact* path:
        /// gram when min(m, n) <= 4096 (itself falling back to exact when the k-th component
        /// is below its accuracy), else exact. Any other method is used as given.
        truncated_svd_options svd{};
    };

    /// A fitted PCA: X ~ mean + scores components, scores = (X - mean) components^T.
    template <class T>
    struct pca_result
    {
        xt::xtensor<T, 1> mean;                      ///< [n] column means of A
        xt::xtensor<T, 2> components;                ///< [k, n] principal axes (rows, orthonormal)
        xt::xtensor<T, 1> explained_variance;        ///< [k] sigma_i^2 / (m - 1)
        xt::xtensor<T, 1> explained_variance_ratio;  ///< [k] explained_variance / total_variance
        xt::xtensor<T, 1> singular_values;           ///< [k] of the centred A
        double total_variance = 0.0;  ///< sum of the column variances of A (ddof = 1)
        std::size_t n_samples = 0;    ///< m
        bool whiten = false;          ///< as fitted
        tessera::status status;       ///< of the underlying truncated_svd
        svd_method method = svd_method::exact;  ///< the SVD method that ran

        /// Scores of X [p, n]: (X - mean) components^T, divided by sqrt(explained_variance)
        /// when whitening (components of zero variance then score 0). Returns [p, k].
        /// \throws tessera::invalid_argument if X has not n columns.
        xt::xtensor<T, 2> transform(const xt::xtensor<T, 2>& X) const
        {
            const std::size_t n = mean.size(), k = components.shape(0), p = X.shape(0);
            require(X.shape(1) == n, "spectral::pca_result::transform", "X must have ", n, " columns, got shape ",
                    shape_to_string(X.shape()));
            xt::xtensor<T, 2> Xc = tessera::detail::fresh_tensor<T, 2>({p, n});
            for (std::size_t i = 0; i < p; ++i)
                for (std::size_t j = 0; j < n; ++j)
                    Xc(i, j) = X(i, j) - mean(j);
            xt::xtensor<T, 2> Z = tessera::detail::fresh_tensor<T, 2>({p, k});
            tessera::blas::gemm(tessera::blas::op::none, tessera::blas::op::transpose, T(1), Xc, components, T(0),
                                Z);
            if (whiten)
                for (std::size_t j = 0; j < k; ++j)
                {
                    const T s = std::sqrt(explained_variance(j));
                    for (std::size_t i = 0; i < p; ++i)
                        Z(i, j) = s > T(0) ? Z(i, j) / s : T(0);
                }
            return Z;
        }

        /// Back to data space: Z [p, k] -> Z components + mean ([p, n]), multiplying by
        /// sqrt(explained_variance) first when whitening.
        /// \throws tessera::invalid_argument if Z has not k columns.
        xt::xtensor<T, 2> inverse_transform(const xt::xtensor<T, 2>& Z) const
        {
            const std::size_t n = mean.size(), k = components.shape(0), p = Z.shape(0);
            require(Z.shape(1) == k, "spectral::pca_result::inverse_transform", "Z must have ", k,
                    " columns, got shape ", shape_to_string(Z.shape()));
            xt::xtensor<T, 2> Zs = Z;
            if (whiten)
                for (std::size_t j = 0; j < k; ++j)
                {
                    const T s = std::sqrt(explained_variance(j));
                    for (std::size_t i = 0; i < p; ++i)
                        Zs(i, j) *= s;
                }
            xt::xtensor<T, 2> X = tessera::detail::fresh_tensor<T, 2>({p, n});
            for (std::size_t i = 0; i < p; ++i)
                std::copy(mean.begin(), mean.end(), X.begin() + static_cast<std::ptrdiff_t>(i * n));
            tessera::blas::gemm(tessera::blas::op::none, tessera::blas::op::none, T(1), Zs, components, T(1), X);
            return X;
        }
    };

    namespace detail
    {
        /// PCA of the rows of A [m, n] with k components: A is centred (column means, in double),
        /// then A - mean = U S Vt (truncated, svd_flip signs as sklearn 1.2); components = Vt,
        /// explained_variance = S^2 / (m - 1), explained_variance_ratio = that over the total
        /// variance ||A - mean||_F^2 / (m - 1).
        /// \param A [m, n], m >= 2, finite. \param k 1 <= k <= min(m, n).
        /// \return pca_result with mean [n], components [k, n], explained_variance [k], ...
        /// \throws tessera::invalid_argument for an empty or non-finite A, m < 2, or a bad k.
        /// \note Cost: one centred copy of A (m n values of T) plus the SVD: with the gram path,
        ///       m n^2 (dsyrk) + O(n^3) + 2 m n k flops.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        pca_result<value_type_t<E>> pca(const xt::xexpression<E>& A_expr, std::size_t k,
                                        const pca_options& options = {})
        {
            return pca_with_scores(A_expr, k, options, nullptr);
        }

        /// pca, and when `scores` is not null the scores of A itself, (A - mean) components^T =
        /// U diag(S) [m, k], taken from the SVD instead of a second product (what
        /// align::pca_bridge needs: it saves a 2 m n k GEMM and an m x n centred copy).
        template <class E, requires_t<is_real_expression_v<E>> = true>
        pca_result<value_type_t<E>> pca_with_scores(const xt::xexpression<E>& A_expr, std::size_t k,
                                                    const pca_options& options,
                                                    xt::xtensor<value_type_t<E>, 2>* scores)
        {
            using T = value_type_t<E>;
            const char* fn = "spectral::pca";
            auto held = evaluate_nonempty_finite<T>(A_expr, fn);
            const xt::xtensor<T, 2>& A = held.get();
            const std::size_t m = A.shape(0), n = A.shape(1);
            require(m >= 2, fn, "A must have at least 2 rows (samples) for a variance, got shape ",
                    shape_to_string(A.shape()));
            require(k >= 1, fn, "k=", k, " must be at least 1");
            require(k <= std::min(m, n), fn, "k=", k, " exceeds min(rows, cols)=", std::min(m, n), " of A [", m, ", ",
                    n, "]");
            const std::vector<double> sum = tessera::detail::column_sums(A);
            pca_result<T> out;
            out.mean = xt::xtensor<T, 1>::from_shape({n});
            for (std::size_t j = 0; j < n; ++j)
                out.mean(j) = static_cast<T>(sum[j] / static_cast<double>(m));
            xt::xtensor<T, 2> Ac = tessera::detail::fresh_tensor<T, 2>({m, n});
            double ss = 0.0;
            for (std::size_t i = 0; i < m; ++i)
            {
                const T* row = A.data() + i * n;
                T* dst = Ac.data() + i * n;
                for (std::size_t j = 0; j < n; ++j)
                {
                    dst[j] = static_cast<T>(static_cast<double>(row[j]) - sum[j] / static_cast<double>(m));
                    ss += static_cast<double>(dst[j]) * static_cast<double>(dst[j]);
                }
            }
            truncated_svd_options so = options.svd;
            so.flip_signs = true;
            if (so.method == svd_method::automatic)
                so.method = std::min(m, n) <= 4096 ? svd_method::gram : svd_method::exact;
            auto f = truncated_svd(Ac, k, so);
            const double dof = static_cast<double>(m - 1);
            out.total_variance = ss / dof;
            out.components = std::move(f.Vt);
            out.singular_values = f.S;
            out.explained_variance = xt::xtensor<T, 1>::from_shape({k});
            out.explained_variance_ratio = xt::xtensor<T, 1>::from_shape({k});
            for (std::size_t j = 0; j < k; ++j)
            {
                const double ev = static_cast<double>(f.S(j)) * static_cast<double>(f.S(j)) / dof;
                out.explained_variance(j) = static_cast<T>(ev);
                out.explained_variance_ratio(j) = static_cast<T>(ss > 0.0 ? ev / out.total_variance : 0.0);
            }
            out.n_samples = m;
            out.whiten = options.whiten;
            out.status = std::move(f.status);
            out.method = f.method;
            if (scores)
            {
                for (std::size_t i = 0; i < m; ++i)
                    for (std::size_t j = 0; j < k; ++j)
                        f.U(i, j) *= f.S(j);
                *scores = std::move(f.U);
            }
            return out;
        }
    }  // namespace detail

    using detail::pca, detail::pca_with_scores;
}  // namespace tessera::spectral
