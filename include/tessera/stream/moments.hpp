#pragma once
/// \file moments.hpp
/// First and second moments of the rows of a row_source in one blocked pass: count, column
/// means, min/max, centred sums of squares and (optionally) the full centred scatter matrix
/// \f$\sum_i (x_i-\bar x)(x_i-\bar x)^T\f$, all in double. Blocks are centred at their own mean
/// and merged with the pairwise update of Chan, Golub and LeVeque, so a mean far from zero costs
/// no accuracy (no \f$\sum x x^T - n\bar x\bar x^T\f$ cancellation), and moments of shards merge
/// exactly as blocks do (stream::moments::merge, and the MPI reduction in stream/mpi.hpp).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/blas.hpp"
#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "pass.hpp"
#include "source.hpp"

namespace tessera::stream
{
    /// Moments of the rows of a [count, n] matrix (all in double).
    struct moments
    {
        std::size_t count = 0;        ///< rows seen
        std::vector<double> mean;     ///< [n] column means
        std::vector<double> m2;       ///< [n] centred sums of squares, sum_i (x_ij - mean_j)^2
        std::vector<double> min;      ///< [n] column minima (+inf before any row)
        std::vector<double> max;      ///< [n] column maxima (-inf before any row)
        /// [n, n] centred scatter sum_i (x_i - mean)(x_i - mean)^T, both triangles; empty when
        /// only the column statistics were asked for.
        xt::xtensor<double, 2> scatter;
        pass_report report;           ///< what reading the source cost

        /// Number of columns n.
        std::size_t cols() const noexcept { return mean.size(); }
        /// Whether the full scatter matrix was accumulated.
        bool has_scatter() const noexcept { return scatter.size() > 0; }

        /// Column variances m2 / (count - ddof) ([n]; NaN when count <= ddof).
        std::vector<double> variance(std::size_t ddof = 1) const
        {
            std::vector<double> v(m2.size(), std::numeric_limits<double>::quiet_NaN());
            if (count > ddof)
                for (std::size_t j = 0; j < m2.size(); ++j)
                    v[j] = m2[j] / static_cast<double>(count - ddof);
            return v;
        }

        /// Sample covariance scatter / (count - ddof) [n, n] (numpy.cov(X, rowvar=False) for ddof 1).
        /// \throws tessera::invalid_argument without a scatter matrix or when count <= ddof.
        xt::xtensor<double, 2> covariance(std::size_t ddof = 1) const
        {
            require(has_scatter(), "stream::moments::covariance", "the scatter matrix was not accumulated (use stream::covariance_moments)");
            require(count > ddof, "stream::moments::covariance", "count=", count, " rows must exceed ddof=", ddof);
            xt::xtensor<double, 2> C = scatter;
            C /= static_cast<double>(count - ddof);
            return C;
        }

        /// Uncentred Gram matrix X^T X = scatter + count mean mean^T [n, n].
        /// \throws tessera::invalid_argument without a scatter matrix.
        xt::xtensor<double, 2> gram() const
        {
            require(has_scatter(), "stream::moments::gram", "the scatter matrix was not accumulated (use stream::covariance_moments)");
            const std::size_t n = cols();
            xt::xtensor<double, 2> G = scatter;
            const double c = static_cast<double>(count);
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < n; ++j)
                    G(i, j) += c * mean[i] * mean[j];
            return G;
        }

        /// Adds the moments of other rows (same columns; both or neither with a scatter matrix):
        /// the result is the moments of the stacked rows (Chan-Golub-LeVeque update).
        /// \throws tessera::invalid_argument when the columns or the scatter presence differ.
        void merge(const moments& b)
        {
            const char* fn = "stream::moments::merge";
            if (b.count == 0)
                return;
            if (count == 0)
            {
                const pass_report keep = report;
                *this = b;
                report = keep;
                return;
            }
            require(b.cols() == cols(), fn, "other has ", b.cols(), " columns, this has ", cols());
            require(b.has_scatter() == has_scatter(), fn, "both or neither must hold a scatter matrix");
            const std::size_t n = cols();
            const double na = static_cast<double>(count), nb = static_cast<double>(b.count), N = na + nb;
            const double w = na * nb / N;
            std::vector<double> delta(n);
            for (std::size_t j = 0; j < n; ++j)
                delta[j] = b.mean[j] - mean[j];
            for (std::size_t j = 0; j < n; ++j)
            {
                mean[j] += delta[j] * nb / N;
                m2[j] += b.m2[j] + w * delta[j] * delta[j];
                min[j] = std::min(min[j], b.min[j]);
                max[j] = std::max(max[j], b.max[j]);
            }
            if (has_scatter())
                for (std::size_t i = 0; i < n; ++i)
                    for (std::size_t j = 0; j < n; ++j)
                        scatter(i, j) += b.scatter(i, j) + w * delta[i] * delta[j];
            count += b.count;
        }
    };

    namespace detail
    {
        /// Empty moments of n columns (min +inf, max -inf), with an n x n zero scatter when `full`.
        inline moments empty_moments(std::size_t n, bool full)
        {
            moments m;
            m.mean.assign(n, 0.0);
            m.m2.assign(n, 0.0);
            m.min.assign(n, std::numeric_limits<double>::infinity());
            m.max.assign(n, -std::numeric_limits<double>::infinity());
            if (full)
                m.scatter = xt::zeros<double>({n, n});
            return m;
        }

        /// Adds a block B [rows, n] (overwritten: centred at its own mean) to m. The scatter, when
        /// held, is accumulated in its upper triangle only (dsyrk + dsyr); call finish_scatter
        /// at the end. Throws invalid_argument naming `fn`, the row (first_row + i), the column
        /// and the source when a value is not finite.
        inline void add_block(moments& m, double* B, std::size_t rows, std::size_t first_row, const row_source& src,
                              const char* fn, std::vector<double>& bmean)
        {
            const std::size_t n = m.cols();
            bmean.assign(n, 0.0);
            std::vector<double> bm2(n, 0.0);
            // Column chunks across the OpenMP threads: each owns its columns of every vector.
            constexpr std::size_t cw = 64;
            std::vector<unsigned char> bad((n + cw - 1) / cw, 0);
            tessera::parallel_for(0, static_cast<std::ptrdiff_t>(bad.size()), [&](std::ptrdiff_t c) {
                const std::size_t j0 = static_cast<std::size_t>(c) * cw, j1 = std::min(n, j0 + cw);
                bool finite = true;
                for (std::size_t i = 0; i < rows; ++i)
                {
                    const double* r = B + i * n;
                    for (std::size_t j = j0; j < j1; ++j)
                    {
                        bmean[j] += r[j];
                        finite = finite && std::isfinite(r[j]);
                    }
                }
                if (!finite)
                {
                    bad[static_cast<std::size_t>(c)] = 1;
                    return;
                }
                for (std::size_t j = j0; j < j1; ++j)
                    bmean[j] /= static_cast<double>(rows);
                for (std::size_t i = 0; i < rows; ++i)
                {
                    double* r = B + i * n;
                    for (std::size_t j = j0; j < j1; ++j)
                    {
                        m.min[j] = std::min(m.min[j], r[j]);
                        m.max[j] = std::max(m.max[j], r[j]);
                        r[j] -= bmean[j];
                        bm2[j] += r[j] * r[j];
                    }
                }
            });
            if (std::find(bad.begin(), bad.end(), 1) != bad.end())
                require_finite_rows(B, rows, n, first_row, src, fn);
            const double nb = static_cast<double>(rows), na = static_cast<double>(m.count), N = na + nb;
            const double w = na * nb / N;
            for (std::size_t j = 0; j < n; ++j)
            {
                const double d = bmean[j] - m.mean[j];
                m.m2[j] += bm2[j] + w * d * d;
                bmean[j] = d;  // bmean now holds delta
                m.mean[j] += d * nb / N;
            }
            if (m.has_scatter())
            {
                const int ni = tessera::blas::detail::to_int(n, fn), ri = tessera::blas::detail::to_int(rows, fn);
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, ni, ri, 1.0, B, ni, 1.0, m.scatter.data(), ni);
                if (m.count > 0)
                    cblas_dsyr(CblasRowMajor, CblasUpper, ni, w, bmean.data(), 1, m.scatter.data(), ni);
            }
            m.count += rows;
        }

        /// Copies the upper triangle of the scatter to the lower.
        inline void finish_scatter(moments& m)
        {
            const std::size_t n = m.cols();
            for (std::size_t i = 0; i < n && m.has_scatter(); ++i)
                for (std::size_t j = 0; j < i; ++j)
                    m.scatter(i, j) = m.scatter(j, i);
        }

        /// One pass accumulating the moments of `src` (full scatter when `full`).
        inline moments accumulate_moments(const row_source& src, const stream_options& o, bool full, const char* fn,
                                          std::size_t passes = 1)
        {
            const std::size_t n = src.cols();
            require(n >= 1, fn, "the source has no columns: ", src.description());
            // The budget is checked before anything is allocated (an n x n scatter can be huge).
            const std::size_t fixed = (full ? n * n : 0) * sizeof(double) + 5 * n * sizeof(double);
            const std::size_t rows = block_rows_for(src, o, fixed, bytes_per_block_row<double>(src, o), fn);
            moments m = empty_moments(n, full);
            std::vector<double> bmean;
            for_each_block<double>(src, o, rows, passes, fixed, m.report, [&](const double* B, std::size_t cnt, std::size_t first) {
                add_block(m, const_cast<double*>(B), cnt, first, src, fn, bmean);
            });
            finish_scatter(m);
            return m;
        }
    }  // namespace detail

    /// Column statistics of the rows of `src` in one pass: count, mean, centred sums of squares
    /// (variance() for any ddof), min and max, in double. No scatter matrix: memory is the
    /// block buffers plus 5 n doubles. Equal to numpy's mean/var/min/max of the loaded matrix to
    /// rounding (pairwise block merges, relative error ~ eps_double log(blocks)).
    /// \throws tessera::invalid_argument for a source without columns, a budget below 64 rows,
    ///         or a value that is not finite (row and column named); io_error as the reads.
    inline moments column_statistics(const row_source& src, const stream_options& options = {})
    {
        return detail::accumulate_moments(src, options, false, "stream::column_statistics");
    }

    /// column_statistics plus the full centred scatter matrix (n x n doubles held): the input of
    /// covariance, Gram, PCA and the Gram-route SVD. Cost one pass, rows n^2 flops (dsyrk).
    /// \throws as column_statistics, and when the budget cannot hold the n x n scatter.
    inline moments covariance_moments(const row_source& src, const stream_options& options = {})
    {
        return detail::accumulate_moments(src, options, true, "stream::covariance_moments");
    }
}  // namespace tessera::stream
