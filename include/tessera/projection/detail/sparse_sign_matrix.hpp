#pragma once
/// \file sparse_sign_matrix.hpp
/// Internals of the sparse projection kinds: a [d, k] matrix whose entries are +-scale or 0,
/// stored by column as two index lists (rows holding +scale, rows holding -scale), built from
/// counter_rng positions, and its product with a dense row-major matrix without densifying.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../../core/errors.hpp"
#include "../../core/parallel.hpp"
#include "../../core/random.hpp"
#include "../../core/traits.hpp"

namespace tessera::projection::detail
{
    /// A [d, k] sign matrix times `scale`, column c holding +scale at rows
    /// index[begin(c) .. begin(c) + positives(c)) and -scale at the rest of
    /// index[begin(c) .. begin(c + 1)). Entry (i, c) is drawn at position i * k + c of the
    /// generator (`counter_rng::sparse_sign`), so it can be regenerated from the seed.
    class sparse_sign_matrix
    {
    public:
        sparse_sign_matrix() = default;

        /// Draws every entry of the [d, k] matrix with non-zero probability `density`.
        /// Columns are built in parallel; the result does not depend on the thread count.
        sparse_sign_matrix(std::size_t d, std::size_t k, double density, double scale, const counter_rng& rng)
            : m_rows(d), m_cols(k), m_scale(scale), m_begin(k + 1, 0), m_positives(k, 0)
        {
            std::vector<std::vector<std::uint32_t>> plus(k), minus(k);
            parallel_for(0, static_cast<std::ptrdiff_t>(k), [&](std::ptrdiff_t cc) {
                const auto c = static_cast<std::size_t>(cc);
                for (std::size_t i = 0; i < d; ++i)
                {
                    const int s = rng.sparse_sign(static_cast<std::uint64_t>(i) * k + c, density);
                    if (s > 0)
                        plus[c].push_back(static_cast<std::uint32_t>(i));
                    else if (s < 0)
                        minus[c].push_back(static_cast<std::uint32_t>(i));
                }
            });
            for (std::size_t c = 0; c < k; ++c)
            {
                m_positives[c] = plus[c].size();
                m_begin[c + 1] = m_begin[c] + plus[c].size() + minus[c].size();
            }
            m_index.resize(m_begin[k]);
            for (std::size_t c = 0; c < k; ++c)
            {
                std::copy(plus[c].begin(), plus[c].end(), m_index.begin() + static_cast<std::ptrdiff_t>(m_begin[c]));
                std::copy(minus[c].begin(), minus[c].end(),
                          m_index.begin() + static_cast<std::ptrdiff_t>(m_begin[c] + m_positives[c]));
            }
        }

        std::size_t rows() const noexcept { return m_rows; }
        std::size_t cols() const noexcept { return m_cols; }
        double scale() const noexcept { return m_scale; }
        /// Number of non-zero entries.
        std::size_t nnz() const noexcept { return m_index.size(); }
        /// Bytes held by the index lists and column offsets.
        std::size_t bytes() const noexcept
        {
            return m_index.size() * sizeof(std::uint32_t) + (m_begin.size() + m_positives.size()) * sizeof(std::size_t);
        }

        /// The dense [d, k] matrix in precision U.
        template <class U>
        xt::xtensor<U, 2> dense() const
        {
            xt::xtensor<U, 2> P = xt::zeros<U>({m_rows, m_cols});
            for (std::size_t c = 0; c < m_cols; ++c)
                for (std::size_t q = m_begin[c]; q < m_begin[c + 1]; ++q)
                    P(m_index[q], c) = static_cast<U>(q < m_begin[c] + m_positives[c] ? m_scale : -m_scale);
            return P;
        }

        /// Y[n, k] = W[n, d] * this. Rows of W are processed in blocks of `block` rows, each
        /// block transposed into a [d, block] buffer so that every non-zero costs one
        /// contiguous `block`-wide add (vectorized); blocks run in parallel, and every output
        /// is summed in the same order whatever the thread count. Cost: n * nnz adds.
        template <class T>
        void apply(const T* W, std::size_t n, T* Y) const
        {
            constexpr std::size_t block = 16;
            constexpr std::size_t blocks_per_task = 16;
            const std::size_t d = m_rows, k = m_cols;
            const std::size_t nblocks = (n + block - 1) / block;
            const std::size_t ntasks = (nblocks + blocks_per_task - 1) / blocks_per_task;
            const T scale = static_cast<T>(m_scale);
            const std::uint32_t* index = m_index.data();
            parallel_for(0, static_cast<std::ptrdiff_t>(ntasks), [&](std::ptrdiff_t task) {
                std::vector<T> buf(d * block);
                const std::size_t b_end = std::min(nblocks, (static_cast<std::size_t>(task) + 1) * blocks_per_task);
                for (std::size_t b = static_cast<std::size_t>(task) * blocks_per_task; b < b_end; ++b)
                {
                    const std::size_t r0 = b * block, rows = std::min(block, n - r0);
                    if (rows < block)
                        std::fill(buf.begin(), buf.end(), T(0));
                    for (std::size_t r = 0; r < rows; ++r)
                    {
                        const T* w = W + (r0 + r) * d;
                        for (std::size_t i = 0; i < d; ++i)
                            buf[i * block + r] = w[i];
                    }
                    for (std::size_t c = 0; c < k; ++c)
                    {
                        // Two accumulators per lane halve the add-latency chain; the order of
                        // the sums is fixed, so results do not depend on the thread count.
                        T acc[block] = {}, acc2[block] = {};
                        const std::size_t mid = m_begin[c] + m_positives[c], end = m_begin[c + 1];
                        std::size_t q = m_begin[c];
                        for (; q + 1 < mid; q += 2)
                        {
                            const T* x = buf.data() + static_cast<std::size_t>(index[q]) * block;
                            const T* x2 = buf.data() + static_cast<std::size_t>(index[q + 1]) * block;
                            for (std::size_t r = 0; r < block; ++r)
                            {
                                acc[r] += x[r];
                                acc2[r] += x2[r];
                            }
                        }
                        for (; q < mid; ++q)
                        {
                            const T* x = buf.data() + static_cast<std::size_t>(index[q]) * block;
                            for (std::size_t r = 0; r < block; ++r)
                                acc[r] += x[r];
                        }
                        for (; q + 1 < end; q += 2)
                        {
                            const T* x = buf.data() + static_cast<std::size_t>(index[q]) * block;
                            const T* x2 = buf.data() + static_cast<std::size_t>(index[q + 1]) * block;
                            for (std::size_t r = 0; r < block; ++r)
                            {
                                acc[r] -= x[r];
                                acc2[r] -= x2[r];
                            }
                        }
                        for (; q < end; ++q)
                        {
                            const T* x = buf.data() + static_cast<std::size_t>(index[q]) * block;
                            for (std::size_t r = 0; r < block; ++r)
                                acc[r] -= x[r];
                        }
                        for (std::size_t r = 0; r < block; ++r)
                            acc[r] += acc2[r];
                        for (std::size_t r = 0; r < rows; ++r)
                            Y[(r0 + r) * k + c] = acc[r] * scale;
                    }
                }
            });
        }

    private:
        std::size_t m_rows = 0;
        std::size_t m_cols = 0;
        double m_scale = 0.0;
        std::vector<std::size_t> m_begin{0};
        std::vector<std::size_t> m_positives;
        std::vector<std::uint32_t> m_index;
    };
}  // namespace tessera::projection::detail
