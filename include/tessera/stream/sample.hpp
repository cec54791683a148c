#pragma once
/// \file sample.hpp
/// Sampled statistics of a matrix on disk: the pairs / simplices are drawn exactly as the
/// in-memory routines draw them (stats::sample_pairs, simplex::sample_simplices, same seed),
/// only the rows they name are read (runs of consecutive rows in one read each), and the
/// in-memory kernels run on those rows. Results equal stats::pairwise_cosine /
/// pairwise_distance / simplex::volume_statistics on the loaded matrix; the Gaussian baseline's
/// per-dimension std comes from one stream::column_statistics pass.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "../simplex/statistics.hpp"
#include "../stats/pairwise.hpp"
#include "moments.hpp"
#include "pass.hpp"
#include "source.hpp"

namespace tessera::stream
{
    /// The distinct rows an index table names, read from a source, and the table rewritten to
    /// point into them.
    template <class T>
    struct gathered_rows
    {
        xt::xtensor<T, 2> rows;                ///< [distinct, cols] the rows, in source order
        xt::xtensor<std::uint64_t, 2> index;   ///< the table, with indices into `rows`
        std::vector<std::uint64_t> source_row; ///< source_row[i]: the source row of rows(i)
    };

    /// Reads the distinct rows of `index` (any shape of row numbers) from `src` (consecutive rows
    /// in one read) and remaps the table. Memory: distinct x cols values of T.
    /// \throws tessera::invalid_argument for an index out of range, or a value that is not finite
    ///         in a row read (row and column named); io_error when a read fails.
    template <class T>
    gathered_rows<T> gather_rows(const row_source& src, const xt::xtensor<std::uint64_t, 2>& index, const char* fn = "stream::gather_rows")
    {
        static_assert(is_real_v<T>, "tessera::stream::gather_rows<T>: T must be float or double");
        gathered_rows<T> g;
        g.source_row.assign(index.begin(), index.end());
        std::sort(g.source_row.begin(), g.source_row.end());
        g.source_row.erase(std::unique(g.source_row.begin(), g.source_row.end()), g.source_row.end());
        require(g.source_row.empty() || g.source_row.back() < src.rows(), fn, "row ",
                g.source_row.empty() ? 0 : g.source_row.back(), " is outside the source's ", src.rows(), " rows");
        const std::size_t n = src.cols(), d = g.source_row.size();
        g.rows = xt::xtensor<T, 2>::from_shape({d, n});
        std::vector<unsigned char> scratch;
        for (std::size_t i = 0; i < d;)
        {
            std::size_t j = i + 1;
            while (j < d && g.source_row[j] == g.source_row[j - 1] + 1)
                ++j;
            src.read(g.source_row[i], j - i, g.rows.data() + i * n, scratch);
            i = j;
        }
        for (std::size_t i = 0; i < d; ++i)
            detail::require_finite_rows(g.rows.data() + i * n, 1, n, g.source_row[i], src, fn);
        g.index = index;
        for (auto& v : g.index)
            v = static_cast<std::uint64_t>(std::lower_bound(g.source_row.begin(), g.source_row.end(), v) - g.source_row.begin());
        return g;
    }

    namespace detail
    {
        template <class T>
        stats::pairwise_sample sampled_pairs(const row_source& src, std::size_t count, std::uint64_t seed, bool cosine,
                                             const char* fn)
        {
            require(src.rows() >= 2, fn, "the source must have at least 2 rows, got ", src.rows());
            auto pairs = stats::detail::sample_pairs(src.rows(), count, seed);
            auto g = gather_rows<T>(src, pairs, fn);
            auto out = stats::detail::make_sample(g.rows, std::move(g.index), cosine);
            out.pairs = std::move(pairs);
            return out;
        }
    }  // namespace detail

    /// stats::pairwise_cosine of the rows of `src` (the same pairs for the same seed), reading
    /// only the (at most 2 count) rows the pairs name.
    /// \throws tessera::invalid_argument for fewer than 2 rows, count == 0, or a non-finite value
    ///         in a row read.
    template <class T = float>
    stats::pairwise_sample pairwise_cosine(const row_source& src, std::size_t count = 100000, std::uint64_t seed = 0)
    {
        return detail::sampled_pairs<T>(src, count, seed, true, "stream::pairwise_cosine");
    }

    /// stats::pairwise_distance of the rows of `src` (the same pairs for the same seed).
    /// \throws as stream::pairwise_cosine.
    template <class T = float>
    stats::pairwise_sample pairwise_distance(const row_source& src, std::size_t count = 100000, std::uint64_t seed = 0)
    {
        return detail::sampled_pairs<T>(src, count, seed, false, "stream::pairwise_distance");
    }

    /// simplex::volume_statistics of the rows of `src` (the same simplices for the same seed):
    /// reads the (at most (k + 1) count) rows the simplices name, plus one column_statistics pass
    /// for the Gaussian baseline's per-dimension std when options.gaussian_baseline (without it,
    /// column_std is NaN: no pass is made).
    /// \throws tessera::invalid_argument as simplex::volume_statistics, and as
    ///         stream::column_statistics for the pass.
    template <class T = float>
    simplex::volume_statistics_result volume_statistics(const row_source& src, std::size_t k, std::size_t count,
                                                        std::uint64_t seed = 0,
                                                        const simplex::volume_statistics_options& options = {},
                                                        const stream_options& stream = {})
    {
        const char* fn = "stream::volume_statistics";
        const std::size_t d = src.cols();
        require(k >= 1 && k <= d, fn, "k=", k, " must be in [1, d=", d, "]");
        const auto idx = simplex::detail::sample_simplices(src.rows(), k, count, seed);
        auto g = gather_rows<T>(src, idx, fn);
        std::vector<double> sigma(d, std::numeric_limits<double>::quiet_NaN());  // column_std: NaN without the pass
        if (options.gaussian_baseline)
        {
            const auto var = column_statistics(src, stream).variance(0);
            for (std::size_t j = 0; j < d; ++j)
                sigma[j] = std::sqrt(var[j]);
        }
        return simplex::detail::volume_statistics_indexed(g.rows, g.index, k, seed, options, sigma);
    }
}  // namespace tessera::stream
