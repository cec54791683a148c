#pragma once
/// \file spectrum.hpp
/// Covariance eigenspectrum of an embedding matrix, participation ratio and the number of
/// dimensions needed for a fraction of the variance.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/blas.hpp"
#include "../core/detail/column_means.hpp"
#include "../core/errors.hpp"
#include "../core/lapack.hpp"
#include "../core/parallel.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"

namespace tessera::stats
{
    /// Eigenvalues of the sample covariance and the effective-dimension measures built on them.
    struct covariance_spectrum_result
    {
        xt::xtensor<double, 1> eigenvalues;         ///< [d] descending, >= 0 (round-off negatives clipped to 0)
        xt::xtensor<double, 1> explained;           ///< [d] cumulative fraction of variance, explained(i) = sum_{j<=i} / sum
        double total_variance = 0.0;                ///< sum of eigenvalues = trace of the covariance
        double participation_ratio = 0.0;           ///< (sum lambda)^2 / sum lambda^2, in [1, d] (0 when all variance is 0)
        double participation_ratio_fraction = 0.0;  ///< participation_ratio / d
        std::size_t dims_80 = 0;                    ///< dims needed for 80% of the variance
        std::size_t dims_90 = 0;                    ///< ... 90%
        std::size_t dims_95 = 0;                    ///< ... 95%
        std::size_t dims_99 = 0;                    ///< ... 99%
        tessera::status status;                     ///< not_converged if syevd failed
    };

    namespace detail
    {
        /// Smallest m such that the m largest eigenvalues hold at least `fraction` of their sum
        /// (eigenvalues descending, non-negative). 0 when the sum is 0.
        /// \throws tessera::invalid_argument unless 0 < fraction <= 1.
        inline std::size_t dims_for_variance(const xt::xtensor<double, 1>& eigenvalues, double fraction)
        {
            require(fraction > 0.0 && fraction <= 1.0, "stats::dims_for_variance", "fraction must be in (0, 1], got ",
                    fraction);
            double total = 0.0;
            for (double v : eigenvalues)
                total += std::max(v, 0.0);
            if (total <= 0.0)
                return 0;
            double acc = 0.0;
            for (std::size_t i = 0; i < eigenvalues.size(); ++i)
            {
                acc += std::max(eigenvalues(i), 0.0);
                // a relative slack of 1e-12 keeps "exactly 90%" from failing on round-off
                if (acc >= fraction * total * (1.0 - 1e-12))
                    return i + 1;
            }
            return eigenvalues.size();
        }

        /// Participation ratio \f$(\sum\lambda)^2/\sum\lambda^2\f$ of non-negative eigenvalues (0 if all are 0).
        inline double participation_ratio(const xt::xtensor<double, 1>& eigenvalues) noexcept
        {
            double s1 = 0.0, s2 = 0.0;
            for (double v : eigenvalues)
            {
                const double c = std::max(v, 0.0);
                s1 += c;
                s2 += c * c;
            }
            return s2 > 0.0 ? s1 * s1 / s2 : 0.0;
        }

        /// The covariance_spectrum_result of a covariance matrix C [d, d] (symmetric, both
        /// triangles): eigenvalues by syevd without vectors (round-off negatives clipped to 0), cumulative explained
        /// fraction, participation ratio, dims for 80/90/95/99%. Shared by covariance_spectrum and
        /// stream::covariance_spectrum. Cost O(d^3).
        inline covariance_spectrum_result spectrum_of_covariance(xt::xtensor<double, 2> C)
        {
            const std::size_t d = C.shape(0);
            auto eig = lapack::eigvalsh(std::move(C));
            covariance_spectrum_result out;
            out.status = eig.status;
            out.eigenvalues = xt::xtensor<double, 1>::from_shape({d});
            for (std::size_t i = 0; i < d; ++i)
                out.eigenvalues(i) = std::max(eig.values(i), 0.0);
            out.explained = xt::xtensor<double, 1>::from_shape({d});
            double total = 0.0;
            for (double v : out.eigenvalues)
                total += v;
            out.total_variance = total;
            double acc = 0.0;
            for (std::size_t i = 0; i < d; ++i)
            {
                acc += out.eigenvalues(i);
                out.explained(i) = total > 0.0 ? acc / total : 0.0;
            }
            out.participation_ratio = participation_ratio(out.eigenvalues);
            out.participation_ratio_fraction = out.participation_ratio / static_cast<double>(d);
            out.dims_80 = dims_for_variance(out.eigenvalues, 0.80);
            out.dims_90 = dims_for_variance(out.eigenvalues, 0.90);
            out.dims_95 = dims_for_variance(out.eigenvalues, 0.95);
            out.dims_99 = dims_for_variance(out.eigenvalues, 0.99);
            return out;
        }

        /// Eigenspectrum of the sample covariance \f$C = \frac{1}{n-1}(X-\bar x)^T (X-\bar x)\f$ of
        /// X [n, d] (numpy.cov(X, rowvar=False)): columns centred in double, C accumulated in
        /// double in blocks of 4096 rows (blas::gram<double>), eigenvalues by syevd
        /// (lapack::eigh), plus participation ratio and dims for 80/90/95/99% of the variance.
        /// Memory O(d^2 + 4096 d) doubles; cost n d^2 + O(d^3) flops.
        /// \throws tessera::invalid_argument if X is not a matrix, n < 2, d == 0, or X holds NaN / Inf.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        covariance_spectrum_result covariance_spectrum(const xt::xexpression<E>& X)
        {
            using T = value_type_t<E>;
            const char* fn = "stats::covariance_spectrum";
            const auto ev = tessera::detail::evaluate_finite<T, 2>(X, fn, "X");
            const auto& A = ev.get();
            const std::size_t n = A.shape(0), d = A.shape(1);
            require(n >= 2 && d >= 1, fn, "X must have at least 2 rows and 1 column, got ", shape_to_string(A.shape()));
            const std::vector<double> mean = tessera::detail::column_means(A);
            xt::xtensor<double, 2> C = xt::zeros<double>({d, d});
            constexpr std::size_t block = 4096;
            xt::xtensor<double, 2> buf = xt::xtensor<double, 2>::from_shape({std::min(block, n), d});
            for (std::size_t r0 = 0; r0 < n; r0 += block)
            {
                const std::size_t rows = std::min(block, n - r0);
                tessera::detail::parallel_for(0, static_cast<std::ptrdiff_t>(rows), [&](std::ptrdiff_t ii) {
                    const auto i = static_cast<std::size_t>(ii);
                    const T* r = A.data() + (r0 + i) * d;
                    double* o = buf.data() + i * d;
                    for (std::size_t j = 0; j < d; ++j)
                        o[j] = static_cast<double>(r[j]) - mean[j];
                }, 64);
                C += blas::detail::gram_strided<double>(buf.data(), rows, d, d);
            }
            C /= static_cast<double>(n - 1);
            return spectrum_of_covariance(std::move(C));
        }
    }  // namespace detail

    using detail::covariance_spectrum, detail::dims_for_variance, detail::participation_ratio;
}  // namespace tessera::stats
