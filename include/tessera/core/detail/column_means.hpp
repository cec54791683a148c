#pragma once
/// \file detail/column_means.hpp
/// The one column-sums / column-means helper of tessera (spectral::pca,
/// stats::covariance_spectrum and align's moments use it): (weighted) column sums, optionally with
/// sums of squares, of a row-major matrix, summed in double over fixed chunks of rows in
/// parallel, so the result does not depend on the thread count. Internal.

#include <algorithm>
#include <cstddef>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../parallel.hpp"

namespace tessera::detail
{
    /// Rows per chunk of column_sums: chunk partial sums are added in chunk order.
    inline constexpr std::size_t column_chunk_rows = 512;

    /// Weighted column sums sum_i w_i x_ij of X [n, p] in double ([p]); w empty means all ones.
    /// With `sumsq`, also sum_i w_i x_ij^2 into it ([p]) from the same read. One read of X,
    /// OpenMP over fixed 512-row chunks whose partial sums are added in chunk order (same bits at
    /// any thread count). Non-finite entries propagate (callers check finiteness).
    template <class T>
    std::vector<double> column_sums(const xt::xtensor<T, 2>& X, const std::vector<double>& w = {},
                                    std::vector<double>* sumsq = nullptr)
    {
        const std::size_t n = X.shape(0), p = X.shape(1), width = sumsq ? 2 * p : p;
        const std::size_t chunks = (n + column_chunk_rows - 1) / column_chunk_rows;
        std::vector<double> partial(chunks * width, 0.0);
        tessera::parallel_for(0, static_cast<std::ptrdiff_t>(chunks), [&](std::ptrdiff_t c) {
            double* s1 = partial.data() + static_cast<std::size_t>(c) * width;
            double* s2 = s1 + p;
            const std::size_t b = static_cast<std::size_t>(c) * column_chunk_rows;
            const std::size_t e = std::min(n, b + column_chunk_rows);
            for (std::size_t i = b; i < e; ++i)
            {
                const double wi = w.empty() ? 1.0 : w[i];
                const T* row = X.data() + i * p;
                if (sumsq)
                    for (std::size_t j = 0; j < p; ++j)
                    {
                        const double v = static_cast<double>(row[j]);
                        s1[j] += wi * v;
                        s2[j] += wi * v * v;
                    }
                else
                    for (std::size_t j = 0; j < p; ++j)
                        s1[j] += wi * static_cast<double>(row[j]);
            }
        });
        std::vector<double> sum(p, 0.0);
        if (sumsq)
            sumsq->assign(p, 0.0);
        for (std::size_t c = 0; c < chunks; ++c)
            for (std::size_t j = 0; j < p; ++j)
            {
                sum[j] += partial[c * width + j];
                if (sumsq)
                    (*sumsq)[j] += partial[c * width + p + j];
            }
        return sum;
    }

    /// Weighted column means sum_i w_i x_ij / wsum of X [n, p] in double ([p]); w empty means all
    /// ones and wsum = n. See column_sums.
    template <class T>
    std::vector<double> column_means(const xt::xtensor<T, 2>& X, const std::vector<double>& w = {}, double wsum = 0.0)
    {
        auto m = column_sums(X, w);
        const double den = w.empty() ? static_cast<double>(X.shape(0)) : wsum;
        for (double& v : m)
            v /= den;
        return m;
    }
}  // namespace tessera::detail
