#pragma once
/// \file spectrum_report.hpp
/// tessera::spectral::spectrum_report: every spectral metric of a matrix in one call, from
/// its singular values (uncentred) and its covariance eigenvalues (centred).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/blas.hpp"
#include "../core/errors.hpp"
#include "../core/lapack.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "detail/gram_svd.hpp"
#include "metrics.hpp"
#include "svd_result.hpp"
#include "truncated_svd.hpp"

namespace tessera::spectral
{
    /// Options of spectrum_report.
    struct spectrum_report_options
    {
        double energy_tau = 0.9;         ///< energy_rank keeps this fraction of ||A||_F^2, in (0, 1]
        double active_threshold = 1e-3;  ///< active_fraction counts sigma > threshold * sigma_1
        /// When the smallest singular value is below the Gram path's resolution
        /// (eps_double (sigma_1/sigma_min)^2 > 1e-6), recompute the singular values with the
        /// exact SVD (gesdd on a double copy: costly for big matrices). When false, keep the
        /// Gram values and report status accuracy_limited.
        bool exact_tail = true;
    };

    /// All metrics of one matrix (see metrics.hpp for each convention).
    struct spectrum_summary
    {
        xt::xtensor<double, 1> singular_values;         ///< [min(m, n)] of A, descending
        xt::xtensor<double, 1> covariance_eigenvalues;  ///< [min(m, n)] of cov(A) (ddof = 1), descending
        double frobenius_norm = 0.0;                    ///< ||A||_F
        double spectral_norm = 0.0;                     ///< sigma_1
        double stable_rank = 0.0;                       ///< ||A||_F^2 / sigma_1^2
        double participation_ratio_sigma = 0.0;         ///< (sum sigma)^2 / sum sigma^2
        double participation_ratio_lambda = 0.0;        ///< (sum lambda)^2 / sum lambda^2, centred
        double effective_rank_entropy = 0.0;            ///< exp H(sigma / sum sigma)
        double effective_rank_vonneumann = 0.0;         ///< exp H(sigma^2 / sum sigma^2)
        double spectral_entropy = 0.0;                  ///< H(sigma^2 / sum sigma^2), nats
        std::size_t energy_rank = 0;                    ///< for options.energy_tau
        double active_fraction = 0.0;                   ///< for options.active_threshold
        double condition_number = 0.0;                  ///< sigma_1 / sigma_min (inf if singular)
        std::string method;  ///< "gram" or "gram+exact" (singular values recomputed exactly)
        tessera::status status;
    };

    namespace detail
    {
        /// Gram matrices of the tall A [m, n] (m >= n) in one pass: centred Gc = sum (a_i - mu)
        /// (a_i - mu)^T (2048-row blocks converted to double, dsyrk) and G = Gc + m mu mu^T
        /// (a sum of PSD terms: no cancellation). Both triangles filled.
        template <class T>
        void centred_and_plain_gram(const xt::xtensor<T, 2>& A, xt::xtensor<double, 2>& G, xt::xtensor<double, 2>& Gc)
        {
            const std::size_t m = A.shape(0), n = A.shape(1);
            std::vector<double> mu(n, 0.0);
            for (std::size_t i = 0; i < m; ++i)
                for (std::size_t j = 0; j < n; ++j)
                    mu[j] += static_cast<double>(A(i, j));
            for (double& v : mu)
                v /= static_cast<double>(m);
            constexpr std::size_t block = 2048;
            std::vector<double> buf(std::min(m, block) * n);
            Gc = xt::zeros<double>({n, n});
            const int ni = static_cast<int>(n);
            for (std::size_t r0 = 0; r0 < m; r0 += block)
            {
                const std::size_t rows = std::min(block, m - r0);
                for (std::size_t i = 0; i < rows; ++i)
                    for (std::size_t j = 0; j < n; ++j)
                        buf[i * n + j] = static_cast<double>(A(r0 + i, j)) - mu[j];
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, ni, static_cast<int>(rows), 1.0, buf.data(), ni,
                            1.0, Gc.data(), ni);
            }
            G = xt::xtensor<double, 2>::from_shape({n, n});
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = i; j < n; ++j)
                {
                    Gc(j, i) = Gc(i, j);
                    G(i, j) = G(j, i) = Gc(i, j) + static_cast<double>(m) * mu[i] * mu[j];
                }
        }

        /// Every spectral metric of A [m, n]: singular values from the Gram matrix (A^T A, or
        /// A A^T when wide) accumulated in double, with an exact recomputation when the tail is
        /// unresolvable (options.exact_tail); covariance eigenvalues lambda from the centred Gram
        /// divided by m - 1 (for a wide A, the centred row Gram, same non-zero eigenvalues).
        /// \param A [m, n], m >= 2, finite. Cost m n^2 + O(n^3) flops (n = min(m, n)).
        /// \throws tessera::invalid_argument for an empty or non-finite A, m < 2, or options out of range.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        spectrum_summary spectrum_report(const xt::xexpression<E>& A_expr, const spectrum_report_options& options = {})
        {
            using T = value_type_t<E>;
            const char* fn = "spectral::spectrum_report";
            require(options.energy_tau > 0.0 && options.energy_tau <= 1.0, fn,
                    "options.energy_tau=", options.energy_tau, " must be in (0, 1]");
            require(options.active_threshold >= 0.0 && options.active_threshold < 1.0, fn,
                    "options.active_threshold=", options.active_threshold, " must be in [0, 1)");
            auto held = evaluate_nonempty_finite<T>(A_expr, fn);
            const xt::xtensor<T, 2>& A0 = held.get();
            require(A0.shape(0) >= 2, fn, "A must have at least 2 rows for a covariance, got shape ",
                    shape_to_string(A0.shape()));
            const bool wide = A0.shape(0) < A0.shape(1);
            xt::xtensor<double, 2> G, Gc;
            if (!wide)
                centred_and_plain_gram(A0, G, Gc);
            else
            {
                // Rows of the transpose are the original columns; centre the original rows.
                const std::size_t m = A0.shape(0), n = A0.shape(1);
                xt::xtensor<double, 2> Ac = xt::xtensor<double, 2>::from_shape({m, n});
                std::vector<double> mu(n, 0.0);
                for (std::size_t i = 0; i < m; ++i)
                    for (std::size_t j = 0; j < n; ++j)
                        mu[j] += static_cast<double>(A0(i, j)) / static_cast<double>(m);
                for (std::size_t i = 0; i < m; ++i)
                    for (std::size_t j = 0; j < n; ++j)
                        Ac(i, j) = static_cast<double>(A0(i, j)) - mu[j];
                G = tessera::blas::gram<double>(tessera::blas::transposed(A0));
                Gc = tessera::blas::gram<double>(tessera::blas::transposed(Ac));
            }
            const std::size_t k = G.shape(0);
            auto ev = tessera::lapack::eigh<double>(std::move(G));
            auto evc = tessera::lapack::eigh<double>(std::move(Gc));
            spectrum_summary r;
            r.method = "gram";
            r.status = ev.status.ok() ? evc.status : ev.status;
            r.singular_values = xt::xtensor<double, 1>::from_shape({k});
            r.covariance_eigenvalues = xt::xtensor<double, 1>::from_shape({k});
            const double dof = static_cast<double>(A0.shape(0) - 1);
            double fro2 = 0.0;
            for (std::size_t i = 0; i < k; ++i)
            {
                r.singular_values(i) = std::sqrt(std::max(ev.values(i), 0.0));
                r.covariance_eigenvalues(i) = std::max(evc.values(i), 0.0) / dof;
                fro2 += std::max(ev.values(i), 0.0);
            }
            const double s1 = r.singular_values(0), smin = r.singular_values(k - 1);
            const double est = gram_relative_error(s1, smin);
            if (s1 > 0.0 && est > 1e-6)
            {
                if (options.exact_tail)
                {
                    // Singular values of A^T: the tall column-major orientation takes gesdd's fast path.
                    xt::xtensor<double, 2> Ad = xt::xtensor<double, 2>::from_shape({A0.shape(0), A0.shape(1)});
                    std::copy(A0.begin(), A0.end(), Ad.begin());
                    auto f = tessera::lapack::svd<double>(wide ? std::move(Ad) : tessera::blas::transposed(Ad));
                    std::copy(f.S.begin(), f.S.end(), r.singular_values.begin());
                    r.method = "gram+exact";
                    if (!f.status.ok())
                        r.status = f.status;
                }
                else
                    r.status = {status_code::accuracy_limited,
                                concat("the Gram path resolves sigma_min only to an estimated relative error of ", est,
                                       " = eps*(sigma_1/sigma_min)^2; set exact_tail = true for exact values")};
            }
            r.frobenius_norm = std::sqrt(fro2);
            r.spectral_norm = r.singular_values(0);
            r.stable_rank = stable_rank(r.singular_values);
            r.participation_ratio_sigma = participation_ratio_sigma(r.singular_values);
            r.participation_ratio_lambda = participation_ratio_lambda(r.covariance_eigenvalues);
            r.effective_rank_entropy = effective_rank_entropy(r.singular_values);
            r.effective_rank_vonneumann = effective_rank_vonneumann(r.singular_values);
            r.spectral_entropy = spectral_entropy(r.singular_values);
            r.energy_rank = energy_rank(r.singular_values, options.energy_tau);
            r.active_fraction = active_fraction(r.singular_values, options.active_threshold);
            r.condition_number = condition_number(r.singular_values);
            return r;
        }
    }  // namespace detail

    using detail::spectrum_report;
}  // namespace tessera::spectral
