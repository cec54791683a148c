#pragma once
/// \file spectral.hpp
/// PCA, covariance spectrum and truncated SVD of a matrix read in blocks from a row_source:
/// the Gram route (one pass: the n x n centred scatter in double, then eigh) and the randomized
/// route with a fixed number of passes (an n x l sketch per pass; for wide rows whose n x n
/// scatter does not fit, or when a few leading directions suffice). Every routine takes a
/// reducer, so the same code runs over one process's rows or, with stream/mpi.hpp, over the
/// shards of several processes. Options and result types: svd_options.hpp.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/lapack.hpp"
#include "../core/traits.hpp"
#include "detail/randomized.hpp"
#include "detail/score_pass.hpp"
#include "moments.hpp"
#include "pass.hpp"
#include "source.hpp"
#include "svd_options.hpp"

namespace tessera::stream
{
    namespace detail
    {
        /// The eigen-decomposition both routes end in: lambda (descending), V [n, >= k], status.
        struct spectral_pairs
        {
            std::vector<double> lambda;
            xt::xtensor<double, 2> V;
            tessera::status status;
        };

        /// Leading pairs of the (shifted) second-moment matrix of the rows: gram from the
        /// moments' matrix `S` (consumed), or randomized with `shift`.
        template <class T, class Reducer>
        spectral_pairs leading_pairs(const row_source& src, std::size_t k, const svd_options& o, xt::xtensor<double, 2>* S,
                                     const std::vector<double>* shift, pass_report& report, const Reducer& red,
                                     std::size_t passes_total, std::size_t m, const char* fn)
        {
            const std::size_t n = src.cols();
            const double tol = o.tolerance > 0.0 ? o.tolerance : default_tolerance<T>(o.method);
            spectral_pairs p;
            if (o.method == stream_method::gram)
            {
                auto e = lapack::eigh<double>(std::move(*S));
                p.lambda.assign(e.values.begin(), e.values.end());
                p.status = route_status(e.status, sqrt_clipped(p.lambda), nullptr, k, tol, m, n);
                p.V = std::move(e.vectors);
            }
            else
            {
                auto r = randomized_pairs(src, k, o, shift, report, red, passes_total, fn);
                p.status = route_status(r.status, sqrt_clipped(r.lambda), &r.residual, k, tol, m, n);
                p.lambda = std::move(r.lambda);
                p.V = std::move(r.V);
            }
            return p;
        }

        template <class T, class Reducer>
        pca_result<T> pca_impl(const row_source& src, std::size_t k, const svd_options& o, const Reducer& red,
                               std::size_t row_offset)
        {
            const char* fn = "stream::pca";
            const std::size_t n = src.cols();
            const std::size_t m = red.total_rows(src.rows());
            require(n >= 1, fn, "the source has no columns: ", src.description());
            require(m >= 2, fn, "the source must have at least 2 rows (samples) for a variance, got ", m);
            require(k >= 1 && k <= std::min(m, n), fn, "k=", k, " must be in [1, min(rows, cols)=", std::min(m, n), "]");
            require(o.method == stream_method::gram || o.passes >= 1, fn, "options.passes=", o.passes, " must be at least 1");
            const bool gram = o.method == stream_method::gram;
            // gram: 1 pass (scatter); randomized: 1 (means and variances) + passes; scores: + 1.
            const std::size_t passes = (gram ? 1 : 1 + o.passes) + (o.signs == sign_rule::scores ? 1 : 0);
            pca_result<T> out;
            moments M = red.all_moments(accumulate_moments(src, o.stream, gram, fn, passes));
            out.report = M.report;
            double trace = 0.0;
            for (double v : M.m2)
                trace += v;
            auto p = leading_pairs<T>(src, k, o, &M.scatter, &M.mean, out.report, red, passes, m, fn);
            if (o.signs == sign_rule::components)
                flip_by_components(p.V, k);
            else
                flip_by_scores(src, o.stream, p.V, k, &M.mean, (p.V.size() + 6 * n) * sizeof(double), out.report, passes,
                               red, row_offset, fn);
            const double dof = static_cast<double>(m - 1);
            out.mean = xt::xtensor<T, 1>::from_shape({n});
            for (std::size_t j = 0; j < n; ++j)
                out.mean(j) = static_cast<T>(M.mean[j]);
            out.components = xt::xtensor<T, 2>::from_shape({k, n});
            out.singular_values = xt::xtensor<T, 1>::from_shape({k});
            out.explained_variance = xt::xtensor<T, 1>::from_shape({k});
            out.explained_variance_ratio = xt::xtensor<T, 1>::from_shape({k});
            out.total_variance = trace / dof;
            for (std::size_t j = 0; j < k; ++j)
            {
                for (std::size_t i = 0; i < n; ++i)
                    out.components(j, i) = static_cast<T>(p.V(i, j));
                const double lam = std::max(p.lambda[j], 0.0);
                out.singular_values(j) = static_cast<T>(std::sqrt(lam));
                out.explained_variance(j) = static_cast<T>(lam / dof);
                out.explained_variance_ratio(j) = static_cast<T>(trace > 0.0 ? lam / trace : 0.0);
            }
            out.n_samples = m;
            out.whiten = o.whiten;
            out.status = std::move(p.status);
            out.method = gram ? spectral::svd_method::gram : spectral::svd_method::randomized;
            return out;
        }

        template <class T, class Reducer>
        svd_result<T> svd_impl(const row_source& src, std::size_t r, const svd_options& o, const Reducer& red)
        {
            const char* fn = "stream::truncated_svd";
            const std::size_t n = src.cols();
            const std::size_t m = red.total_rows(src.rows());
            require(n >= 1 && m >= 1, fn, "the source is empty: ", src.description());
            require(r >= 1 && r <= std::min(m, n), fn, "rank=", r, " must be in [1, min(rows, cols)=", std::min(m, n), "]");
            require(o.method == stream_method::gram || o.passes >= 1, fn, "options.passes=", o.passes, " must be at least 1");
            const bool gram = o.method == stream_method::gram;
            const std::size_t passes = (gram ? 1 : o.passes) + (o.left_vectors || o.signs == sign_rule::scores ? 1 : 0);
            svd_result<T> out;
            xt::xtensor<double, 2> G;
            if (gram)
            {
                moments M = red.all_moments(accumulate_moments(src, o.stream, true, fn, passes));
                out.report = M.report;
                G = M.gram();
            }
            auto p = leading_pairs<T>(src, r, o, &G, nullptr, out.report, red, passes, m, fn);
            std::vector<double> sigma = sqrt_clipped(p.lambda);
            const std::size_t nonzero = spectral::detail::count_above(sigma, r, spectral::detail::gram_numerical_zero(sigma[0], m, n));
            if (o.left_vectors)
            {
                // U = X V_r S_r^-1 (one more pass), then svd_flip on U as in memory.
                require(red.total_rows(src.rows()) == src.rows(), fn,
                        "left_vectors needs all rows in this process (each process would hold its own U rows)");
                out.U = xt::zeros<T>({src.rows(), r});
                score_pass(src, o.stream, p.V, r, nullptr, p.V.size() * sizeof(double),
                           out.report, passes, fn, [&](const double* S, std::size_t cnt, std::size_t first) {
                    for (std::size_t i = 0; i < cnt; ++i)
                        for (std::size_t j = 0; j < nonzero; ++j)
                            out.U(first + i, j) = static_cast<T>(S[i * r + j] / sigma[j]);
                });
            }
            else if (o.signs == sign_rule::scores)
                flip_by_scores(src, o.stream, p.V, r, nullptr, p.V.size() * sizeof(double), out.report, passes, red, 0, fn);
            else
                flip_by_components(p.V, r);
            out.S = xt::xtensor<T, 1>::from_shape({r});
            out.Vt = xt::xtensor<T, 2>::from_shape({r, n});
            for (std::size_t j = 0; j < r; ++j)
            {
                out.S(j) = j < nonzero ? static_cast<T>(sigma[j]) : T(0);
                for (std::size_t i = 0; i < n; ++i)
                    out.Vt(j, i) = static_cast<T>(p.V(i, j));
            }
            if (o.left_vectors)
                spectral::svd_flip(out.U, out.Vt);
            out.status = std::move(p.status);
            out.method = gram ? spectral::svd_method::gram : spectral::svd_method::randomized;
            return out;
        }
        /// The covariance spectrum of accumulated moments (ddof 1), with their pass report.
        inline covariance_spectrum_result spectrum_from_moments(const moments& M, const char* fn)
        {
            require(M.count >= 2, fn, "the rows must number at least 2, got ", M.count);
            covariance_spectrum_result out;
            static_cast<stats::covariance_spectrum_result&>(out) = stats::detail::spectrum_of_covariance(M.covariance(1));
            out.report = M.report;
            return out;
        }
    }  // namespace detail

    /// PCA of the rows of `src` with k components, read in blocks (memory: options.stream's
    /// budget). gram: one pass accumulating the n x n centred scatter in double (Chan updates),
    /// then eigh: equal to spectral::pca (gram path) to rounding. randomized: one pass for the
    /// means and variances, then options.passes passes of block power iteration on an n x l
    /// sketch of the centred rows (l = k + oversampling). sign_rule::scores adds one pass and
    /// gives spectral::pca's signs; the default fixes signs on the components.
    /// \return stream::pca_result<T> (a spectral::pca_result<T> plus the pass report); status
    ///         as spectral's gram path (rank_deficient / accuracy_limited for an unresolved
    ///         k-th component, with the estimate in the message).
    /// \throws tessera::invalid_argument for fewer than 2 rows, k outside [1, min(rows, cols)],
    ///         a non-finite value (row and column named), a budget that cannot hold the
    ///         accumulators plus 64 rows; tessera::io_error when a read fails.
    template <class T = float>
    pca_result<T> pca(const row_source& src, std::size_t k, const svd_options& options = {})
    {
        static_assert(is_real_v<T>, "tessera::stream::pca<T>: T must be float or double");
        return detail::pca_impl<T>(src, k, options, local_reducer{}, 0);
    }

    /// Truncated SVD X ~ U diag(S) Vt of the (uncentred) rows of `src`, rank r: gram (one pass,
    /// X^T X in double, then eigh; as spectral::truncated_svd's gram path) or randomized
    /// (options.passes passes). U [rows, r] only with options.left_vectors (one more pass; U is
    /// held in memory, rows r values of T, outside the budget like every result), then signs as
    /// in memory (svd_flip on U).
    /// \throws as stream::pca (rank in [1, min(rows, cols)]).
    template <class T = float>
    svd_result<T> truncated_svd(const row_source& src, std::size_t r, const svd_options& options = {})
    {
        static_assert(is_real_v<T>, "tessera::stream::truncated_svd<T>: T must be float or double");
        return detail::svd_impl<T>(src, r, options, local_reducer{});
    }

    /// Covariance eigenspectrum of the rows of `src` (as stats::covariance_spectrum: eigenvalues,
    /// explained fraction, participation ratio, dims for 80/90/95/99%) in one pass.
    /// \throws as stream::covariance_moments, and for fewer than 2 rows.
    inline covariance_spectrum_result covariance_spectrum(const row_source& src, const stream_options& options = {})
    {
        return detail::spectrum_from_moments(covariance_moments(src, options), "stream::covariance_spectrum");
    }
}  // namespace tessera::stream
