#pragma once
/// \file mpi.hpp
/// tessera::stream::mpi: the streaming Gram / covariance / PCA / SVD reductions across MPI
/// processes. Each process reads its own rows (a shard: its files, or row_source::shard(rank,
/// size) of a common file) and the partial results are combined with MPI_Allreduce, so every
/// process ends with the same result, equal to the single-process one to rounding.
/// Needs an MPI implementation (link tessera::mpi, or MPI::MPI_CXX); not included by
/// <tessera/stream.hpp>.

#include <cstddef>
#include <vector>

#include <mpi.h>

#include "../core/errors.hpp"
#include "moments.hpp"
#include "spectral.hpp"

namespace tessera::stream::mpi
{
    /// The reductions of stream's routines over the processes of `comm` (MPI_Allreduce).
    struct reducer
    {
        MPI_Comm comm = MPI_COMM_WORLD;  ///< the processes that share the rows

        /// Sums n doubles in place over the processes.
        void sum(double* data, std::size_t n) const
        {
            for (std::size_t done = 0; done < n;)
            {
                const std::size_t c = std::min<std::size_t>(n - done, std::size_t(1) << 30);
                check(MPI_Allreduce(MPI_IN_PLACE, data + done, static_cast<int>(c), MPI_DOUBLE, MPI_SUM, comm),
                      "MPI_Allreduce");
                done += c;
            }
        }

        /// Moments of every process's rows: counts and means first (one small allreduce),
        /// then each process adds n_p (mean_p - mean)(mean_p - mean)^T to its scatter and m2,
        /// which are summed: the exact parallel form of the Chan update.
        moments all_moments(moments m) const
        {
            const std::size_t n = m.cols();
            std::vector<double> head(1 + n);
            head[0] = static_cast<double>(m.count);
            for (std::size_t j = 0; j < n; ++j)
                head[1 + j] = static_cast<double>(m.count) * m.mean[j];
            sum(head.data(), head.size());
            const double N = head[0];
            std::vector<double> delta(n);
            for (std::size_t j = 0; j < n; ++j)
                delta[j] = m.count > 0 ? m.mean[j] - head[1 + j] / N : 0.0;
            const double c = static_cast<double>(m.count);
            for (std::size_t j = 0; j < n; ++j)
                m.m2[j] += c * delta[j] * delta[j];
            sum(m.m2.data(), n);
            if (m.has_scatter())
            {
                for (std::size_t i = 0; i < n; ++i)
                    for (std::size_t j = 0; j < n; ++j)
                        m.scatter(i, j) += c * delta[i] * delta[j];
                sum(m.scatter.data(), m.scatter.size());
            }
            check(MPI_Allreduce(MPI_IN_PLACE, m.min.data(), static_cast<int>(n), MPI_DOUBLE, MPI_MIN, comm), "MPI_Allreduce");
            check(MPI_Allreduce(MPI_IN_PLACE, m.max.data(), static_cast<int>(n), MPI_DOUBLE, MPI_MAX, comm), "MPI_Allreduce");
            for (std::size_t j = 0; j < n; ++j)
                m.mean[j] = N > 0 ? head[1 + j] / N : 0.0;
            m.count = static_cast<std::size_t>(N);
            return m;
        }

        /// Per column, the (|value|, row, value) triple of largest |value| over the processes
        /// (smallest global row on ties).
        void argmax_abs(std::vector<double>& best) const
        {
            int size = 1;
            MPI_Comm_size(comm, &size);
            std::vector<double> all(best.size() * static_cast<std::size_t>(size));
            check(MPI_Allgather(best.data(), static_cast<int>(best.size()), MPI_DOUBLE, all.data(),
                                static_cast<int>(best.size()), MPI_DOUBLE, comm),
                  "MPI_Allgather");
            const std::size_t k = best.size() / 3;
            for (int p = 0; p < size; ++p)
                for (std::size_t j = 0; j < k; ++j)
                {
                    const double* t = all.data() + static_cast<std::size_t>(p) * best.size() + 3 * j;
                    if (t[0] > best[3 * j] || (t[0] == best[3 * j] && t[1] < best[3 * j + 1]))
                        for (int q = 0; q < 3; ++q)
                            best[3 * j + q] = t[q];
                }
        }

        /// Rows of all processes together.
        std::size_t total_rows(std::size_t local) const
        {
            double v = static_cast<double>(local);
            sum(&v, 1);
            return static_cast<std::size_t>(v);
        }

        /// First global row of this process's shard (the processes' rows in rank order).
        std::size_t row_offset(std::size_t local) const
        {
            unsigned long long mine = local, before = 0;
            check(MPI_Exscan(&mine, &before, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm), "MPI_Exscan");
            int rank = 0;
            MPI_Comm_rank(comm, &rank);
            return rank == 0 ? 0 : static_cast<std::size_t>(before);
        }

        /// Throws tessera::error naming the MPI call when it did not succeed.
        static void check(int rc, const char* what)
        {
            if (rc != MPI_SUCCESS)
            {
                char msg[MPI_MAX_ERROR_STRING];
                int len = 0;
                MPI_Error_string(rc, msg, &len);
                throw tessera::error(concat("stream::mpi: ", what, " failed: ", std::string(msg, static_cast<std::size_t>(len))));
            }
        }
    };

    /// Moments (count, means, m2, min, max and the centred scatter) of the rows of every
    /// process's `shard`; every process returns the same result. Cost per process: one pass over
    /// its shard plus one allreduce of n^2 doubles.
    inline moments covariance_moments(const row_source& shard, const stream_options& options = {},
                                      MPI_Comm comm = MPI_COMM_WORLD)
    {
        return reducer{comm}.all_moments(stream::covariance_moments(shard, options));
    }

    /// Column statistics of every process's rows (allreduce of 4 n doubles).
    inline moments column_statistics(const row_source& shard, const stream_options& options = {},
                                     MPI_Comm comm = MPI_COMM_WORLD)
    {
        return reducer{comm}.all_moments(stream::column_statistics(shard, options));
    }

    /// stream::pca over the rows of every process's shard (rank order = row order): gram (one
    /// pass + one n^2 allreduce) or randomized (one n x l allreduce per pass). Every process
    /// returns the same result; report is this process's own reading.
    template <class T = float>
    stream::pca_result<T> pca(const row_source& shard, std::size_t k, const svd_options& options = {},
                              MPI_Comm comm = MPI_COMM_WORLD)
    {
        const reducer red{comm};
        return stream::detail::pca_impl<T>(shard, k, options, red, red.row_offset(shard.rows()));
    }

    /// stream::truncated_svd over the rows of every process's shard (left_vectors is refused:
    /// each process would hold only its own rows of U; use pca/transform per shard instead).
    template <class T = float>
    stream::svd_result<T> truncated_svd(const row_source& shard, std::size_t r, const svd_options& options = {},
                                        MPI_Comm comm = MPI_COMM_WORLD)
    {
        require(!options.left_vectors, "stream::mpi::truncated_svd",
                "options.left_vectors must be false across processes (U's rows live in each shard)");
        return stream::detail::svd_impl<T>(shard, r, options, reducer{comm});
    }

    /// stream::covariance_spectrum over every process's rows.
    inline covariance_spectrum_result covariance_spectrum(const row_source& shard, const stream_options& options = {},
                                                          MPI_Comm comm = MPI_COMM_WORLD)
    {
        return stream::detail::spectrum_from_moments(covariance_moments(shard, options, comm), "stream::mpi::covariance_spectrum");
    }
}  // namespace tessera::stream::mpi
