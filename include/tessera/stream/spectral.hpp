#pragma once
/// \file spectral.hpp
/// PCA, covariance spectrum and truncated SVD of a matrix read in blocks from a row_source:
/// the Gram route (one pass: the n x n centred scatter in double, then eigh) and the randomized
/// route with a fixed number of passes (an n x l sketch per pass; for wide rows whose n x n
/// scatter does not fit, or when a few leading directions suffice). Every routine takes a
/// reducer, so the same code runs over one process's rows or, with stream/mpi.hpp, over the
/// shards of several processes.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/blas.hpp"
#include "../core/errors.hpp"
#include "../core/lapack.hpp"
#include "../core/random.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "../spectral/detail/gram_svd.hpp"
#include "../spectral/detail/orthonormalize.hpp"
#include "../spectral/detail/tail_status.hpp"
#include "../spectral/pca.hpp"
#include "../spectral/svd_result.hpp"
#include "../stats/spectrum.hpp"
#include "moments.hpp"
#include "pass.hpp"
#include "source.hpp"

namespace tessera::stream
{
    /// How the sign of each principal axis / singular vector pair is fixed.
    enum class sign_rule
    {
        /// The largest-|.| entry of each component (row of Vt) is positive (first on ties): no
        /// extra pass (sklearn >= 1.5's PCA rule, svd_flip(u_based_decision=False)).
        components,
        /// The largest-|.| entry of each score column (U) is positive, as the in-memory
        /// spectral::pca / truncated_svd (svd_flip u-based): one more pass over the rows.
        scores
    };

    /// Which algorithm a streaming PCA / SVD runs.
    enum class stream_method
    {
        gram,        ///< one pass, n x n scatter in double, exact to the tail rule
        randomized   ///< `passes` passes, n x l sketch (block power iteration, Rayleigh-Ritz)
    };

    /// Options of stream::pca and stream::truncated_svd.
    struct svd_options
    {
        stream_method method = stream_method::gram;  ///< algorithm
        sign_rule signs = sign_rule::components;      ///< sign convention (scores: one extra pass)
        std::size_t passes = 4;       ///< randomized: passes over the rows (>= 1); power iterations = passes - 1
        std::size_t oversampling = 10;  ///< randomized: extra sketch columns p (l = min(r + p, n))
        std::uint64_t seed = 0x5eed5eedULL;  ///< randomized: Gaussian start
        /// Largest acceptable estimated relative error of the smallest requested singular value
        /// (gram: eps_double (sigma_1/sigma_r)^2; randomized: min(rho, rho^2 / gap) / (2 sigma_r^2)
        /// from the Ritz residual rho = ||X^T X v_r - sigma_r^2 v_r||, the gap to the next Ritz
        /// value); 0 = 1e-4 for float, 1e-8 for double (gram) and 1e-3 (randomized).
        double tolerance = 0.0;
        bool whiten = false;           ///< pca: as spectral::pca_options::whiten
        bool left_vectors = false;     ///< truncated_svd: also compute U [rows, r] (one more pass)
        stream_options stream{};       ///< budget, block size, prefetch, progress
    };

    /// A streamed PCA: spectral::pca_result (transform/inverse_transform work as in memory) plus
    /// what the passes cost.
    template <class T>
    struct pca_result : spectral::pca_result<T>
    {
        pass_report report;  ///< passes, bytes, time, memory held
    };

    /// A streamed truncated SVD: spectral::svd_result (U empty unless left_vectors) plus the cost.
    template <class T>
    struct svd_result : spectral::svd_result<T>
    {
        pass_report report;  ///< passes, bytes, time, memory held
    };

    /// A streamed covariance spectrum (stats::covariance_spectrum_result) plus the cost.
    struct covariance_spectrum_result : stats::covariance_spectrum_result
    {
        pass_report report;  ///< passes, bytes, time, memory held
    };

    /// The reductions a streaming routine needs across the processes that hold its rows. This
    /// one is a single process (every reduction is the identity); stream/mpi.hpp has the MPI one.
    struct local_reducer
    {
        /// Sums `n` doubles over the processes, in place.
        void sum(double*, std::size_t) const {}
        /// Moments of all processes' rows (each process passes its own).
        moments all_moments(moments m) const { return m; }
        /// For each column j, the (|value|, row, value) triple of largest |value| over the
        /// processes (the smallest row on ties); `best` holds 3 doubles per column.
        void argmax_abs(std::vector<double>&) const {}
        /// Rows of all processes together.
        std::size_t total_rows(std::size_t local) const { return local; }
    };

    namespace detail
    {
        template <class T>
        double default_tolerance(stream_method m) noexcept
        {
            if (m == stream_method::randomized)
                return 1e-3;
            return std::is_same_v<T, float> ? 1e-4 : 1e-8;
        }

        /// B[i, j] -= shift[j] for a block of rows.
        inline void subtract_shift(double* B, std::size_t rows, std::size_t n, const std::vector<double>& shift)
        {
            for (std::size_t i = 0; i < rows; ++i)
                for (std::size_t j = 0; j < n; ++j)
                    B[i * n + j] -= shift[j];
        }

        /// Throws invalid_argument naming fn, the row, the column and the source for the first
        /// non-finite value of a block.
        inline void require_finite_rows(const double* B, std::size_t rows, std::size_t n, std::size_t first,
                                        const row_source& src, const char* fn)
        {
            for (std::size_t i = 0; i < rows; ++i)
            {
                bool finite = true;
                for (std::size_t j = 0; j < n; ++j)
                    finite = finite && std::isfinite(B[i * n + j]);
                if (!finite)
                    for (std::size_t j = 0; j < n; ++j)
                        require(std::isfinite(B[i * n + j]), fn, "value ", B[i * n + j], " at row ", first + i,
                                ", column ", j, " of ", src.description(), " is not finite");
            }
        }

        /// Flips column j of V [n, k] (row j of the result) so its largest-|.| entry is positive.
        inline void flip_by_components(xt::xtensor<double, 2>& V, std::size_t k)
        {
            const std::size_t n = V.shape(0);
            for (std::size_t j = 0; j < k; ++j)
            {
                double best = -1.0;
                bool neg = false;
                for (std::size_t i = 0; i < n; ++i)
                    if (std::abs(V(i, j)) > best)
                    {
                        best = std::abs(V(i, j));
                        neg = V(i, j) < 0.0;
                    }
                if (neg)
                    for (std::size_t i = 0; i < n; ++i)
                        V(i, j) = -V(i, j);
            }
        }

        /// One pass: scores S = (X - shift) V[:, :k] block by block; `visit(S, rows, first)` sees
        /// each block's scores [rows, k] in double. The scores' buffer is counted in the budget.
        template <class Visit>
        void score_pass(const row_source& src, const stream_options& o, const xt::xtensor<double, 2>& V, std::size_t k,
                        const std::vector<double>* shift, std::size_t fixed, pass_report& report, std::size_t passes,
                        const char* fn, Visit&& visit)
        {
            const std::size_t n = src.cols();
            xt::xtensor<double, 2> Vk = xt::xtensor<double, 2>::from_shape({n, k});
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < k; ++j)
                    Vk(i, j) = V(i, j);
            const std::size_t acc = fixed + n * k * sizeof(double);
            const std::size_t per_row = bytes_per_block_row<double>(src, o) + k * sizeof(double);
            const std::size_t rows = block_rows_for(src, o, acc, per_row, fn);
            std::vector<double> S(rows * k);
            for_each_block<double>(src, o, rows, passes, acc + S.size() * sizeof(double), report,
                                   [&](const double* B, std::size_t cnt, std::size_t first) {
                if (shift)
                    subtract_shift(const_cast<double*>(B), cnt, n, *shift);
                tessera::blas::detail::gemm_raw(tessera::blas::op::none, tessera::blas::op::none, cnt, k, n, 1.0, B, n,
                                                Vk.data(), k, 0.0, S.data(), k);
                visit(static_cast<const double*>(S.data()), cnt, first);
            });
        }

        /// sign_rule::scores: one pass finding, per column j of the scores (X - shift) V, the entry
        /// of largest |.| (first row on ties, over all processes); flips V's column j when negative.
        template <class Reducer>
        void flip_by_scores(const row_source& src, const stream_options& o, xt::xtensor<double, 2>& V, std::size_t k,
                            const std::vector<double>* shift, std::size_t fixed, pass_report& report, std::size_t passes,
                            const Reducer& red, std::size_t row_offset, const char* fn)
        {
            std::vector<double> best(3 * k);
            for (std::size_t j = 0; j < k; ++j)
            {
                best[3 * j] = -1.0;
                best[3 * j + 1] = std::numeric_limits<double>::max();
                best[3 * j + 2] = 0.0;
            }
            score_pass(src, o, V, k, shift, fixed, report, passes, fn, [&](const double* S, std::size_t cnt, std::size_t first) {
                for (std::size_t i = 0; i < cnt; ++i)
                    for (std::size_t j = 0; j < k; ++j)
                    {
                        const double a = std::abs(S[i * k + j]);
                        if (a > best[3 * j])
                        {
                            best[3 * j] = a;
                            best[3 * j + 1] = static_cast<double>(row_offset + first + i);
                            best[3 * j + 2] = S[i * k + j];
                        }
                    }
            });
            red.argmax_abs(best);
            const std::size_t n = V.shape(0);
            for (std::size_t j = 0; j < k; ++j)
                if (best[3 * j + 2] < 0.0)
                    for (std::size_t i = 0; i < n; ++i)
                        V(i, j) = -V(i, j);
        }

        /// Leading eigenpairs of X^T X (of (X - shift)^T (X - shift) when shift is given) from
        /// `passes` passes of block power iteration on an n x l sketch, then Rayleigh-Ritz:
        /// lambda [l] descending, V [n, l], and each pair's residual ||X^T X v - lambda v||.
        struct ritz_pairs
        {
            std::vector<double> lambda;
            xt::xtensor<double, 2> V;
            std::vector<double> residual;
            tessera::status status;
        };

        template <class Reducer>
        ritz_pairs randomized_pairs(const row_source& src, std::size_t r, const svd_options& o,
                                    const std::vector<double>* shift, pass_report& report, const Reducer& red,
                                    std::size_t passes_total, const char* fn)
        {
            using tessera::blas::op;
            const std::size_t n = src.cols();
            const std::size_t l = std::min(r + o.oversampling, n);
            xt::xtensor<double, 2> Q = spectral::detail::orthonormal_basis<double>(random_normal<double>(n, l, o.seed, 17));
            const std::size_t fixed = (3 * n * l + 2 * l * l) * sizeof(double);
            const std::size_t per_row = bytes_per_block_row<double>(src, o.stream) + l * sizeof(double);
            const std::size_t rows = block_rows_for(src, o.stream, fixed, per_row, fn);
            xt::xtensor<double, 2> Z;
            std::vector<double> Y(rows * l);
            for (std::size_t pass = 1; pass <= o.passes; ++pass)
            {
                Z = xt::zeros<double>({n, l});
                for_each_block<double>(src, o.stream, rows, passes_total, fixed + Y.size() * sizeof(double), report,
                                       [&](const double* B, std::size_t cnt, std::size_t first) {
                    require_finite_rows(B, cnt, n, first, src, fn);
                    if (shift)
                        subtract_shift(const_cast<double*>(B), cnt, n, *shift);
                    tessera::blas::detail::gemm_raw(op::none, op::none, cnt, l, n, 1.0, B, n, Q.data(), l, 0.0, Y.data(), l);
                    tessera::blas::detail::gemm_raw(op::transpose, op::none, n, l, cnt, 1.0, B, n, Y.data(), l, 1.0,
                                                    Z.data(), l);
                });
                red.sum(Z.data(), Z.size());
                if (pass < o.passes)
                    Q = spectral::detail::orthonormal_basis<double>(Z);
            }
            // Rayleigh-Ritz: H = Q^T (X^T X Q) = Q^T Z, symmetrized.
            xt::xtensor<double, 2> H = xt::xtensor<double, 2>::from_shape({l, l});
            tessera::blas::detail::gemm_raw(op::transpose, op::none, l, l, n, 1.0, Q.data(), l, Z.data(), l, 0.0, H.data(), l);
            for (std::size_t i = 0; i < l; ++i)
                for (std::size_t j = 0; j < i; ++j)
                    H(i, j) = H(j, i) = 0.5 * (H(i, j) + H(j, i));
            auto e = lapack::eigh<double>(std::move(H));
            ritz_pairs out;
            out.status = e.status;
            out.lambda.resize(l);
            for (std::size_t j = 0; j < l; ++j)
                out.lambda[j] = std::max(e.values(j), 0.0);
            out.V = xt::xtensor<double, 2>::from_shape({n, l});
            tessera::blas::detail::gemm_raw(op::none, op::none, n, l, l, 1.0, Q.data(), l, e.vectors.data(), l, 0.0,
                                            out.V.data(), l);
            // X^T X v_j = Z w_j exactly for the final Q, so the residual costs no pass.
            xt::xtensor<double, 2> ZW = xt::xtensor<double, 2>::from_shape({n, l});
            tessera::blas::detail::gemm_raw(op::none, op::none, n, l, l, 1.0, Z.data(), l, e.vectors.data(), l, 0.0,
                                            ZW.data(), l);
            out.residual.assign(l, 0.0);
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < l; ++j)
                {
                    const double d = ZW(i, j) - out.lambda[j] * out.V(i, j);
                    out.residual[j] += d * d;
                }
            for (double& v : out.residual)
                v = std::sqrt(v);
            return out;
        }

        /// sigma_j = sqrt(max(lambda_j, 0)).
        inline std::vector<double> sqrt_clipped(const std::vector<double>& lambda)
        {
            std::vector<double> s(lambda.size());
            for (std::size_t j = 0; j < s.size(); ++j)
                s[j] = std::sqrt(std::max(lambda[j], 0.0));
            return s;
        }

        /// The numerical zero of sigma for a Gram-based route on an [m, n] matrix (as spectral's gram path).
        inline double gram_zero(double sigma1, std::size_t m, std::size_t n)
        {
            return std::sqrt(std::sqrt(static_cast<double>(std::max(m, n))) * spectral::detail::eps_of<double>()) * sigma1;
        }

        /// Status of a route: rank_deficient below the Gram's numerical zero; accuracy_limited when
        /// the estimated relative error of sigma_r exceeds the tolerance (gram: eps_double
        /// (sigma_1/sigma_r)^2; randomized: residual_r / (2 lambda_r)).
        inline tessera::status route_status(tessera::status lapack_status, const std::vector<double>& sigma,
                                            const std::vector<double>* residual, std::size_t r, double tolerance,
                                            std::size_t m, std::size_t n)
        {
            const double zero = gram_zero(sigma[0], m, n);
            if (!residual)
                return spectral::detail::merge_status(
                    lapack_status, spectral::detail::tail_status("stream gram", sigma, r, zero,
                                                                 spectral::detail::gram_relative_error(sigma[0], sigma[r - 1]),
                                                                 tolerance, "eps*(sigma_1/sigma_r)^2", "options.tolerance"));
            // Residual rho of the Ritz pair (theta, v) of X^T X: some eigenvalue lies within rho of
            // theta, and within rho^2 / delta when the rest of the spectrum is delta away
            // (Kato-Temple; delta estimated by the gap to the next Ritz value of the sketch).
            const double lam = sigma[r - 1] * sigma[r - 1], rho = (*residual)[r - 1];
            double est = lam > 0.0 ? rho / (2.0 * lam) : std::numeric_limits<double>::infinity();
            if (lam > 0.0 && sigma.size() > r)
            {
                const double delta = lam - sigma[r] * sigma[r];
                if (delta > 0.0)
                    est = std::min(est, rho * rho / (delta * 2.0 * lam));
            }
            return spectral::detail::merge_status(
                lapack_status, spectral::detail::tail_status("stream randomized", sigma, r, zero, est, tolerance,
                                                             "min(rho, rho^2/gap) / (2 sigma_r^2), rho = ||X^T X v_r - sigma_r^2 v_r||",
                                                             "options.tolerance"));
        }

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
            const std::size_t nonzero = spectral::detail::count_above(sigma, r, gram_zero(sigma[0], m, n));
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
