// Strong scaling of stream::mpi::pca: every rank fits its shard(rank, size) of one .npy and the
// partial moments are allreduced. Prints, on rank 0, the wall time of the fit (median of
// --reps), the rows per rank and the explained variance, for docs/scale.md:
//   mpirun -np P mpi_stream_scaling FILE.npy [k] [reps] [gram|randomized]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <tessera/stream.hpp>
#include <tessera/stream/mpi.hpp>

int main(int argc, char** argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int rc = 0;
    try
    {
        if (argc < 2)
            throw std::runtime_error("usage: mpi_stream_scaling FILE.npy [k] [reps] [gram|randomized]");
        const std::size_t k = argc > 2 ? std::stoul(argv[2]) : 32;
        const int reps = argc > 3 ? std::stoi(argv[3]) : 3;
        namespace st = tessera::stream;
        st::svd_options o;
        if (argc > 4 && std::string(argv[4]) == "randomized")
        {
            o.method = st::stream_method::randomized;
            o.passes = 5;
        }
        const auto shard = st::open_npy(argv[1]).shard(static_cast<std::size_t>(rank), static_cast<std::size_t>(size));
        std::vector<double> times;
        double explained = 0;
        for (int r = 0; r < reps; ++r)
        {
            MPI_Barrier(MPI_COMM_WORLD);
            const auto t0 = std::chrono::steady_clock::now();
            const auto p = st::mpi::pca<float>(shard, k, o);
            MPI_Barrier(MPI_COMM_WORLD);
            times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            explained = 0;
            for (std::size_t j = 0; j < k; ++j)
                explained += p.explained_variance_ratio(j);
        }
        std::sort(times.begin(), times.end());
        if (rank == 0)
            std::printf("processes %d  rows/rank %zu  %s  median %.3f s  explained %.6f  OpenBLAS %s x %d threads\n", size,
                        shard.rows(), o.method == st::stream_method::gram ? "gram" : "randomized", times[times.size() / 2],
                        explained, tessera::blas::core_name(), tessera::blas::num_threads());
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "rank %d: %s\n", rank, e.what());
        rc = 1;
    }
    MPI_Finalize();
    return rc;
}
