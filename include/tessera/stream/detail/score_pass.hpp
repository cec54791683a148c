#pragma once
/// \file detail/score_pass.hpp
/// The passes that compute scores (X - shift) V block by block, and the two sign rules built
/// on them (sign_rule::components needs no pass, sign_rule::scores one). Internal.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../../core/blas.hpp"
#include "../../core/errors.hpp"
#include "../pass.hpp"
#include "../source.hpp"

namespace tessera::stream::detail
{
    /// B[i, j] -= shift[j] for a block of rows.
    inline void subtract_shift(double* B, std::size_t rows, std::size_t n, const std::vector<double>& shift)
    {
        for (std::size_t i = 0; i < rows; ++i)
            for (std::size_t j = 0; j < n; ++j)
                B[i * n + j] -= shift[j];
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
}  // namespace tessera::stream::detail
