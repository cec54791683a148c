#pragma once
/// \file moments.hpp
/// Internals of tessera::align: evaluating the pair A, B, finiteness and weight checks,
/// weighted column means in double, and the blocked centred cross-product A_c^T W B_c that
/// never materialises the centred matrices (rows are centred block by block into a small
/// buffer that feeds one GEMM each).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../../core/blas.hpp"
#include "../../core/detail/column_means.hpp"
#include "../../core/detail/lapack_prototypes.hpp"
#include "../../core/errors.hpp"
#include "../../core/parallel.hpp"
#include "../../core/traits.hpp"
#include "../../core/validate.hpp"

namespace tessera::align::detail
{
    /// Rows per block of the centred passes: 2048 rows of 2560 floats is 20 MiB of buffer.
    inline constexpr std::size_t block_rows = 2048;

    /// The core finite check (core/validate.hpp): `"fn: param must be finite, got nan at [i, j]"`.
    using tessera::detail::require_finite;

    /// Validates row weights (empty: unweighted) for `n` rows; returns their sum (n when empty).
    inline double check_weights(const std::vector<double>& w, std::size_t n, const char* fn)
    {
        if (w.empty())
            return static_cast<double>(n);
        require(w.size() == n, fn, "options.weights must have one entry per row (", n, "), got ", w.size());
        double sum = 0.0;
        for (std::size_t i = 0; i < n; ++i)
        {
            require(std::isfinite(w[i]) && w[i] >= 0.0, fn, "options.weights[", i,
                    "] must be finite and >= 0, got ", w[i]);
            sum += w[i];
        }
        require(sum > 0.0, fn, "options.weights must have a positive sum, got ", sum);
        return sum;
    }

    /// Both sides of an alignment, each evaluated once (no copy when already an xt::xtensor<T, 2>).
    template <class T>
    struct matrix_pair
    {
        tessera::detail::evaluated<T, 2> ea, eb;
        const xt::xtensor<T, 2>& a() const noexcept { return ea.get(); }
        const xt::xtensor<T, 2>& b() const noexcept { return eb.get(); }
    };

    /// Evaluates A [n, p] and B [n, q] for `fn`.
    /// \throws tessera::invalid_argument unless both are matrices with the same number of rows.
    template <class T, class EA, class EB>
    matrix_pair<T> evaluate_pair(const xt::xexpression<EA>& A, const xt::xexpression<EB>& B, const char* fn)
    {
        matrix_pair<T> m{tessera::detail::evaluate<T, 2>(A, fn, "A"), tessera::detail::evaluate<T, 2>(B, fn, "B")};
        require(m.a().shape(0) == m.b().shape(0), fn, "A and B must have the same number of rows, got A ",
                shape_to_string(m.a().shape()), " and B ", shape_to_string(m.b().shape()));
        return m;
    }

    /// Weighted column sums and sums of squares of a matrix, in double, from one read pass.
    struct column_moments
    {
        std::vector<double> sum;    ///< [p] sum_i w_i x_ij
        std::vector<double> sumsq;  ///< [p] sum_i w_i x_ij^2
        double wsum = 0.0;          ///< sum_i w_i

        double mean(std::size_t j) const { return sum[j] / wsum; }
        /// sum_i w_i (x_ij - mean_j)^2 (never negative).
        double centred_ss(std::size_t j) const { return std::max(0.0, sumsq[j] - sum[j] * sum[j] / wsum); }
        std::vector<double> means() const
        {
            std::vector<double> m(sum.size());
            for (std::size_t j = 0; j < m.size(); ++j)
                m[j] = mean(j);
            return m;
        }
        double total_ss(bool centred) const
        {
            double t = 0.0;
            for (std::size_t j = 0; j < sum.size(); ++j)
                t += centred ? centred_ss(j) : sumsq[j];
            return t;
        }
        /// True when every column's mean^2 <= var (or the column is zero): forming X^T Y raw and
        /// subtracting the rank-1 mean term then loses at most one bit against centring first.
        bool nearly_centred() const
        {
            for (std::size_t j = 0; j < sum.size(); ++j)
            {
                const double m = mean(j);
                if (m * m * wsum > centred_ss(j))
                    return false;
            }
            return true;
        }
    };

    /// Column moments of X with row weights w (empty = all ones; wsum their sum). One parallel
    /// read pass over fixed chunks (the result does not depend on the thread count). Non-finite
    /// entries are detected from the sums, then located and reported.
    /// \throws tessera::invalid_argument naming fn / param and the first non-finite entry.
    template <class T>
    column_moments moments(const xt::xtensor<T, 2>& X, const std::vector<double>& w, double wsum, const char* fn,
                           const char* param)
    {
        column_moments m{{}, {}, wsum};
        m.sum = tessera::detail::column_sums(X, w, &m.sumsq);
        const std::size_t p = X.shape(1);
        bool finite = true;
        for (std::size_t j = 0; j < p; ++j)
            finite = finite && std::isfinite(m.sumsq[j]) && std::isfinite(m.sum[j]);
        if (!finite)
        {
            require_finite(X, fn, param);
            require(false, fn, param, " is too large: its sum of squares overflows double");
        }
        return m;
    }

    /// Weighted column means sum_i w_i x_i / sum_i w_i in double ([p]); w empty = all ones.
    template <class T>
    std::vector<double> column_mean(const xt::xtensor<T, 2>& X, const std::vector<double>& w, double wsum)
    {
        return moments(X, w, wsum, "align::column_mean", "X").means();
    }

    /// Writes rows [r0, r0 + rows) of (X - mean) to `out` (row-major [rows, p]), each row
    /// multiplied by `row_factor(i)`, and returns sum_i weight(i) * ||x_i - mean||^2 in double.
    template <class T, class Factor, class Weight>
    double centred_block(const xt::xtensor<T, 2>& X, const std::vector<double>& mean, std::size_t r0,
                         std::size_t rows, T* out, Factor row_factor, Weight weight)
    {
        const std::size_t p = X.shape(1);
        std::vector<double> ss(rows, 0.0);
        tessera::parallel_for(0, static_cast<std::ptrdiff_t>(rows), [&](std::ptrdiff_t r) {
            const std::size_t i = r0 + static_cast<std::size_t>(r);
            const T* src = X.data() + i * p;
            T* dst = out + static_cast<std::size_t>(r) * p;
            const double f = row_factor(i);
            double acc = 0.0;
            for (std::size_t j = 0; j < p; ++j)
            {
                const double v = static_cast<double>(src[j]) - (mean.empty() ? 0.0 : mean[j]);
                acc += v * v;
                dst[j] = static_cast<T>(f * v);
            }
            ss[static_cast<std::size_t>(r)] = weight(i) * acc;
        }, 64);
        double total = 0.0;
        for (double v : ss)
            total += v;
        return total;
    }

    /// Cross-product of the fit and the sums of squares it needs.
    template <class T>
    struct cross_product
    {
        xt::xtensor<T, 2> M;   ///< [p, q] = (A - mean_a)^T W (B - mean_b)
        double ss_a = 0.0;     ///< sum_i w_i ||a_i - mean_a||^2
        double ss_b = 0.0;     ///< sum_i w_i ||b_i - mean_b||^2
    };

    /// M = (A - mean_a)^T diag(w) (B - mean_b) (means may be empty = zero). Two routes:
    /// - unweighted and (uncentred, or both sides nearly centred, see column_moments): one GEMM
    ///   on the inputs as they are, then M -= wsum mu_a mu_b^T in double (no copy of A or B);
    /// - otherwise by blocks of 2048 rows centred (and weighted) into a buffer, one GEMM each.
    /// The sums of squares come from the moments (first route) or the blocks (second route).
    /// Cost 2 n p q flops (GEMM) plus, on the second route, one copy pass over A and B.
    template <class T>
    cross_product<T> centred_cross(const xt::xtensor<T, 2>& A, const xt::xtensor<T, 2>& B,
                                   const column_moments& ma, const column_moments& mb, bool center,
                                   const std::vector<double>& w)
    {
        const std::size_t n = A.shape(0), p = A.shape(1), q = B.shape(1);
        cross_product<T> r{xt::xtensor<T, 2>::from_shape({p, q}), 0.0, 0.0};
        if (w.empty() && (!center || (ma.nearly_centred() && mb.nearly_centred())))
        {
            tessera::blas::detail::gemm_raw(tessera::blas::op::transpose, tessera::blas::op::none, p, q, n, T(1),
                                            A.data(), p, B.data(), q, T(0), r.M.data(), q);
            if (center)
            {
                const std::vector<double> mua = ma.means(), mub = mb.means();
                tessera::parallel_for(0, static_cast<std::ptrdiff_t>(p), [&](std::ptrdiff_t ii) {
                    const std::size_t i = static_cast<std::size_t>(ii);
                    T* row = r.M.data() + i * q;
                    const double f = ma.wsum * mua[i];
                    for (std::size_t j = 0; j < q; ++j)
                        row[j] = static_cast<T>(static_cast<double>(row[j]) - f * mub[j]);
                }, 64);
            }
            r.ss_a = ma.total_ss(center);
            r.ss_b = mb.total_ss(center);
            return r;
        }
        std::fill(r.M.begin(), r.M.end(), T(0));
        const std::vector<double> mean_a = center ? ma.means() : std::vector<double>{};
        const std::vector<double> mean_b = center ? mb.means() : std::vector<double>{};
        const auto wt = [&](std::size_t i) { return w.empty() ? 1.0 : w[i]; };
        const auto one = [](std::size_t) { return 1.0; };
        const std::size_t rows_max = std::min(n, block_rows);
        std::vector<T> abuf(rows_max * p), bbuf(rows_max * q);
        for (std::size_t r0 = 0; r0 < n; r0 += block_rows)
        {
            const std::size_t rows = std::min(block_rows, n - r0);
            r.ss_a += centred_block(A, mean_a, r0, rows, abuf.data(), wt, wt);
            r.ss_b += centred_block(B, mean_b, r0, rows, bbuf.data(), one, wt);
            tessera::blas::detail::gemm_raw(tessera::blas::op::transpose, tessera::blas::op::none, p, q, rows, T(1),
                                            abuf.data(), p, bbuf.data(), q, T(1), r.M.data(), q);
        }
        return r;
    }

    /// Sums over the mapped rows \f$ m_i = (a_i - \mu_a) R \f$ of a fit, accumulated in double.
    struct mapped_sums
    {
        double mapped = 0.0;    ///< sum_i w_i ||m_i||^2
        double residual = 0.0;  ///< sum_i w_i ||s m_i - (b_i - mean_b)||^2 (0 when no B was given)
    };

    /// mapped_sums of A [n, p] under R [p, q] by blocks of 2048 rows (one GEMM each): the residual
    /// is taken row by row from the mapped rows themselves (no cancellation between ||A||, ||B|| and
    /// the trace). B == nullptr: only the mapped sum. Per-row sums are added in row order, so the
    /// result does not depend on the thread count. Cost 2 n p q flops plus one pass over A (and B).
    /// `GR` != nullptr ([p, q], zeroed by the caller): also accumulates A_c^T W (A_c R) = G R with
    /// G = A_c^T W A_c, for 2 n p q more flops (the stationarity check of procrustes for p > q).
    template <class T>
    mapped_sums mapped_pass(const xt::xtensor<T, 2>& A, const std::vector<double>& mean_a, const std::vector<double>& w,
                            const xt::xtensor<T, 2>& R, const xt::xtensor<T, 2>* B = nullptr,
                            const std::vector<double>& mean_b = {}, double s = 1.0, xt::xtensor<T, 2>* GR = nullptr)
    {
        const std::size_t n = A.shape(0), p = A.shape(1), q = R.shape(1);
        const auto zero = [](std::size_t) { return 0.0; };
        const std::size_t rows_max = std::min(n, block_rows);
        std::vector<T> abuf(rows_max * p), mapped(rows_max * q);
        std::vector<double> row_mapped(rows_max), row_residual(rows_max);
        mapped_sums total;
        for (std::size_t r0 = 0; r0 < n; r0 += block_rows)
        {
            const std::size_t rows = std::min(block_rows, n - r0);
            centred_block(A, mean_a, r0, rows, abuf.data(), [](std::size_t) { return 1.0; }, zero);
            tessera::blas::detail::gemm_raw(tessera::blas::op::none, tessera::blas::op::none, rows, q, p, T(1),
                                            abuf.data(), p, R.data(), q, T(0), mapped.data(), q);
            tessera::parallel_for(0, static_cast<std::ptrdiff_t>(rows), [&](std::ptrdiff_t rr) {
                const std::size_t r = static_cast<std::size_t>(rr);
                const T* m = mapped.data() + r * q;
                const T* b = B != nullptr ? B->data() + (r0 + r) * q : nullptr;
                double mm = 0.0, res = 0.0;
                for (std::size_t j = 0; j < q; ++j)
                {
                    const double v = static_cast<double>(m[j]);
                    mm += v * v;
                    if (b != nullptr)
                    {
                        const double e = s * v - (static_cast<double>(b[j]) - (mean_b.empty() ? 0.0 : mean_b[j]));
                        res += e * e;
                    }
                }
                row_mapped[r] = mm;
                row_residual[r] = res;
            }, 64);
            for (std::size_t r = 0; r < rows; ++r)
            {
                const double wi = w.empty() ? 1.0 : w[r0 + r];
                total.mapped += wi * row_mapped[r];
                total.residual += wi * row_residual[r];
            }
            if (GR != nullptr)
            {
                if (!w.empty())
                    for (std::size_t r = 0; r < rows; ++r)
                        for (std::size_t j = 0; j < q; ++j)
                            mapped[r * q + j] = static_cast<T>(w[r0 + r] * static_cast<double>(mapped[r * q + j]));
                tessera::blas::detail::gemm_raw(tessera::blas::op::transpose, tessera::blas::op::none, p, q, rows, T(1),
                                                abuf.data(), p, mapped.data(), q, T(1), GR->data(), q);
            }
        }
        return total;
    }

    /// Sign of det(R) for square R (+1 or -1; 0 when exactly singular), by LU in double.
    template <class T>
    int determinant_sign(const xt::xtensor<T, 2>& R)
    {
        const std::size_t n = R.shape(0);
        if (n == 0)
            return 1;
        std::vector<double> lu(R.begin(), R.end());  // det(R^T) = det(R): layout does not matter
        std::vector<int> ipiv(n);
        const int ni = tessera::blas::detail::to_int(n, "align::determinant_sign");
        int info = 0;
        tessera::detail::getrf(&ni, &ni, lu.data(), &ni, ipiv.data(), &info);
        require(info >= 0, "align::determinant_sign", "LAPACK dgetrf returned info=", info);
        int sign = 1;
        for (std::size_t i = 0; i < n; ++i)
        {
            const double d = lu[i * n + i];
            if (d == 0.0)
                return 0;
            if ((d < 0.0) != (ipiv[i] != static_cast<int>(i) + 1))
                sign = -sign;
        }
        return sign;
    }
}  // namespace tessera::align::detail
