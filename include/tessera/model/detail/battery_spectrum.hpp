#pragma once
/// \file detail/battery_spectrum.hpp
/// Internals of the weight battery: singular values only (no vectors) of a weight matrix from
/// its double Gram matrix of the smaller side (syevd JOBZ='N'), with an exact gesdd JOBZ='N'
/// recomputation when the Gram path cannot resolve the tail; eigenvalues only of a small
/// symmetric matrix; and the one-pass element statistics (norms, spread, sparsity counts).
/// Internal: call tessera::model::measure_weight.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include <cblas.h>
#include <xtensor/xtensor.hpp>

#include "../../core/blas.hpp"
#include "../../core/detail/lapack_prototypes.hpp"
#include "../../core/errors.hpp"
#include "../../core/lapack.hpp"
#include "../../core/parallel.hpp"
#include "../../core/status.hpp"
#include "../../spectral/detail/gram_svd.hpp"

namespace tessera::model::detail
{
    using tessera::concat;

    /// Eigenvalues only (syevd JOBZ='N') of the symmetric A [n, n] (A is overwritten), descending.
    /// `st` receives not_converged when syevd reports info > 0.
    inline std::vector<double> eigvalsh_desc(xt::xtensor<double, 2>& A, tessera::status& st)
    {
        const int n = tessera::lapack::detail::to_int(A.shape(0), "model::eigvalsh");
        std::vector<double> w(A.shape(0), 0.0);
        if (n == 0)
            return w;
        int info = 0, lwork = -1, liwork = -1, iwq = 0;
        double wq = 0.0;
        tessera::detail::syevd("N", "L", &n, A.data(), &n, w.data(), &wq, &lwork, &iwq, &liwork, &info);
        tessera::lapack::detail::check_info<double>("syevd", info, "model::eigvalsh");
        lwork = tessera::lapack::detail::workspace_size(wq);
        liwork = std::max(iwq, 1);
        std::vector<double> work(static_cast<std::size_t>(lwork));
        std::vector<int> iwork(static_cast<std::size_t>(liwork));
        tessera::detail::syevd("N", "L", &n, A.data(), &n, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
        tessera::lapack::detail::check_info<double>("syevd", info, "model::eigvalsh");
        if (info > 0)
            st = {status_code::not_converged, concat("syevd did not converge (info=", info, ")")};
        std::reverse(w.begin(), w.end());
        return w;
    }

    /// Singular values only of a row-major A [m, n] by gesdd JOBZ='N' on a double copy (the
    /// orientation does not change singular values), descending. Cost ~ 4 m n^2 flops (n <= m).
    template <class T>
    std::vector<double> exact_singular_values(const xt::xtensor<T, 2>& A, tessera::status& st)
    {
        const char* fn = "model::exact_singular_values";
        std::vector<double> a(A.begin(), A.end());
        const int rows = tessera::lapack::detail::to_int(A.shape(1), fn), cols = tessera::lapack::detail::to_int(A.shape(0), fn);
        const std::size_t k = std::min(A.shape(0), A.shape(1));
        std::vector<double> s(k, 0.0);
        std::vector<int> iwork(8 * k);
        int info = 0, lwork = -1, one = 1;
        double wq = 0.0, dummy = 0.0;
        tessera::detail::gesdd("N", &rows, &cols, a.data(), &rows, s.data(), &dummy, &one, &dummy, &one, &wq, &lwork,
                               iwork.data(), &info);
        tessera::lapack::detail::check_info<double>("gesdd", info, fn);
        lwork = tessera::lapack::detail::workspace_size(wq);
        std::vector<double> work(static_cast<std::size_t>(lwork));
        tessera::detail::gesdd("N", &rows, &cols, a.data(), &rows, s.data(), &dummy, &one, &dummy, &one, work.data(),
                               &lwork, iwork.data(), &info);
        tessera::lapack::detail::check_info<double>("gesdd", info, fn);
        if (info > 0)
            st = {status_code::not_converged, concat("gesdd (JOBZ='N') did not converge (info=", info, ")")};
        return s;
    }

    /// The Gram matrix of the smaller side of A [m, n] in double: A^T A [n, n] when m >= n
    /// (blas::gram), else A A^T [m, m] (dsyrk over column blocks of 2048 converted to double).
    /// Both triangles filled. Cost m n min(m, n) flops; extra memory 2048 min(m, n) doubles.
    template <class T>
    xt::xtensor<double, 2> small_side_gram(const xt::xtensor<T, 2>& A)
    {
        const std::size_t m = A.shape(0), n = A.shape(1);
        if (m >= n)
            return tessera::blas::gram<double>(A);
        xt::xtensor<double, 2> G = xt::zeros<double>({m, m});
        const int mi = tessera::lapack::detail::to_int(m, "model::small_side_gram");
        if constexpr (std::is_same_v<T, double>)
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, mi, tessera::lapack::detail::to_int(n, "model::small_side_gram"),
                        1.0, A.data(), tessera::lapack::detail::to_int(n, "model::small_side_gram"), 0.0, G.data(), mi);
        else
        {
            constexpr std::size_t block = 2048;
            const std::size_t bw = std::min(block, n);
            std::vector<double> buf(m * bw);
            for (std::size_t c0 = 0; c0 < n; c0 += block)
            {
                const std::size_t w = std::min(block, n - c0);
                tessera::parallel_for(0, static_cast<std::ptrdiff_t>(m), [&](std::ptrdiff_t i) {
                    const auto r = static_cast<std::size_t>(i);
                    const T* src = A.data() + r * n + c0;
                    std::copy(src, src + w, buf.begin() + static_cast<std::ptrdiff_t>(r * w));
                }, 64);
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, mi, static_cast<int>(w), 1.0, buf.data(),
                            static_cast<int>(w), 1.0, G.data(), mi);
            }
        }
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < i; ++j)
                G(i, j) = G(j, i);
        return G;
    }

    /// Singular values of A with how they were obtained.
    struct singular_values_result
    {
        xt::xtensor<double, 1> sigma;  ///< [min(m, n)] descending
        std::string method;            ///< "gram", "gram+exact" or "exact"
        tessera::status status;        ///< accuracy_limited when the tail is unresolved and not recomputed
    };

    /// Singular values only of A [m, n]: sqrt of the eigenvalues (syevd 'N') of the double Gram
    /// of the smaller side; when the smallest value is below the Gram path's resolution
    /// (eps (sigma_1 / sigma_min)^2 > 1e-6) and A has at most `exact_limit` elements,
    /// recomputed by gesdd 'N' on a double copy ("gram+exact"); otherwise status accuracy_limited.
    /// When `gram_out` is given, the Gram matrix is copied there before the eigensolver overwrites
    /// it (the battery derives the embedding's covariance from it instead of a second pass).
    template <class T>
    singular_values_result weight_singular_values(const xt::xtensor<T, 2>& A, std::size_t exact_limit,
                                                  xt::xtensor<double, 2>* gram_out = nullptr)
    {
        singular_values_result r;
        r.method = "gram";
        auto G = small_side_gram(A);
        if (gram_out)
            *gram_out = G;
        const auto ev = eigvalsh_desc(G, r.status);
        const std::size_t k = ev.size();
        r.sigma = xt::xtensor<double, 1>::from_shape({k});
        for (std::size_t i = 0; i < k; ++i)
            r.sigma(i) = std::sqrt(std::max(ev[i], 0.0));
        const double est = k ? tessera::spectral::detail::gram_relative_error(r.sigma(0), r.sigma(k - 1)) : 0.0;
        if (k && r.sigma(0) > 0.0 && est > 1e-6)
        {
            if (A.size() <= exact_limit)
            {
                const auto s = exact_singular_values(A, r.status);
                std::copy(s.begin(), s.end(), r.sigma.begin());
                r.method = "gram+exact";
            }
            else if (r.status.ok())
                r.status = {status_code::accuracy_limited,
                            concat("the Gram path resolves sigma_min only to an estimated relative error of ", est,
                                   " = eps*(sigma_1/sigma_min)^2 and ", A.size(), " elements exceed exact_tail_max_elements=",
                                   exact_limit, "; condition_number is a lower bound of accuracy")};
        }
        return r;
    }

    /// Element statistics of A [m, n] in one read (rows in parallel, merged in row order so the
    /// result is the same at any thread count); all sums in double.
    struct element_stats
    {
        double sum_sq = 0.0, sum_abs = 0.0, mean = 0.0, m2 = 0.0, max_abs = 0.0;
        std::array<std::size_t, 4> below{};  ///< count of |w| < thresholds[t]
        double row_norm_mean = 0.0, row_norm_m2 = 0.0;
    };

    /// element_stats of A with sparsity `thresholds`. Per row: sum, |w|, w^2, max |w|, the four
    /// counts, then the row's squared deviations (second read of a row already in cache); rows
    /// merged with Chan's update for mean and M2.
    template <class T>
    element_stats one_pass_stats(const xt::xtensor<T, 2>& A, const std::array<double, 4>& thresholds)
    {
        const std::size_t m = A.shape(0), n = A.shape(1);
        std::vector<element_stats> rows(m);
        std::vector<double> row_mean(m);
        tessera::parallel_for(0, static_cast<std::ptrdiff_t>(m), [&](std::ptrdiff_t ii) {
            const auto i = static_cast<std::size_t>(ii);
            const T* r = A.data() + i * n;
            double s = 0.0, sa = 0.0, sq = 0.0, mx = 0.0;
            std::array<std::size_t, 4> c{};
            for (std::size_t j = 0; j < n; ++j)
            {
                const double v = static_cast<double>(r[j]), a = std::abs(v);
                s += v;
                sa += a;
                sq += v * v;
                mx = std::max(mx, a);
                for (std::size_t t = 0; t < 4; ++t)
                    c[t] += a < thresholds[t] ? 1u : 0u;
            }
            const double mu = s / static_cast<double>(n);
            double d2 = 0.0;
            for (std::size_t j = 0; j < n; ++j)
            {
                const double d = static_cast<double>(r[j]) - mu;
                d2 += d * d;
            }
            element_stats& e = rows[i];
            e.sum_sq = sq;
            e.sum_abs = sa;
            e.mean = mu;
            e.m2 = d2;
            e.max_abs = mx;
            e.below = c;
        }, 16);
        element_stats out;
        double count = 0.0, nm = 0.0;
        const double nd = static_cast<double>(n);
        for (const auto& e : rows)
        {
            out.sum_sq += e.sum_sq;
            out.sum_abs += e.sum_abs;
            out.max_abs = std::max(out.max_abs, e.max_abs);
            for (std::size_t t = 0; t < 4; ++t)
                out.below[t] += e.below[t];
            const double delta = e.mean - out.mean, total = count + nd;
            out.mean += delta * nd / total;
            out.m2 += e.m2 + delta * delta * count * nd / total;
            count = total;
            // row norms: Welford over rows
            const double norm = std::sqrt(e.sum_sq), dn = norm - out.row_norm_mean;
            nm += 1.0;
            out.row_norm_mean += dn / nm;
            out.row_norm_m2 += dn * (norm - out.row_norm_mean);
        }
        return out;
    }
}  // namespace tessera::model::detail
