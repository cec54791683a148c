// stream::mpi under mpirun -np 2 (ctest stream.mpi): every rank reads its shard (its own files,
// or shard(rank, size) of one file) and must end with the single-process result, to rounding.
// A plain main: it counts failed checks on every rank and exits non-zero when any rank failed.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include <unistd.h>

#include <tessera/core/random.hpp>
#include <tessera/io/npy.hpp>
#include <tessera/stream.hpp>
#include <tessera/stream/mpi.hpp>

namespace st = tessera::stream;
namespace fs = std::filesystem;

static int failures = 0;
static int rank = 0;
#define CHECK_MPI(cond, ...)                                                   \
    do                                                                         \
    {                                                                          \
        if (!(cond))                                                           \
        {                                                                      \
            ++failures;                                                        \
            std::fprintf(stderr, "rank %d: %s:%d: CHECK(%s) failed: ", rank, __FILE__, __LINE__, #cond); \
            std::fprintf(stderr, __VA_ARGS__);                                 \
            std::fprintf(stderr, "\n");                                        \
        }                                                                      \
    } while (0)

static double rel(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }

template <class T>
static void compare_pca(const st::pca_result<T>& a, const st::pca_result<T>& b, double tol, const char* what)
{
    CHECK_MPI(a.n_samples == b.n_samples, "%s: n_samples %zu vs %zu", what, a.n_samples, b.n_samples);
    CHECK_MPI(rel(a.total_variance, b.total_variance) <= tol, "%s: total variance %.17g vs %.17g", what, a.total_variance,
              b.total_variance);
    for (std::size_t j = 0; j < a.components.shape(0); ++j)
    {
        CHECK_MPI(rel(a.explained_variance(j), b.explained_variance(j)) <= tol, "%s: explained_variance(%zu) %.17g vs %.17g",
                  what, j, double(a.explained_variance(j)), double(b.explained_variance(j)));
        double d = 0;
        for (std::size_t i = 0; i < a.components.shape(1); ++i)
            d = std::max(d, std::abs(double(a.components(j, i)) - double(b.components(j, i))));
        CHECK_MPI(d <= 100 * tol, "%s: component %zu differs by %.3g", what, j, d);
    }
    for (std::size_t i = 0; i < a.mean.size(); ++i)
        CHECK_MPI(std::abs(double(a.mean(i)) - double(b.mean(i))) <= tol * (1 + std::abs(double(b.mean(i)))), "%s: mean(%zu)",
                  what, i);
}

int main(int argc, char** argv)
{
    MPI_Init(&argc, &argv);
    int size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    try
    {
        // One directory for all ranks: rank 0 picks it and broadcasts its name.
        char dirbuf[512] = {};
        if (rank == 0)
        {
            const auto d = fs::temp_directory_path() / ("tessera_stream_mpi_" + std::to_string(::getpid()));
            fs::create_directories(d);
            std::snprintf(dirbuf, sizeof dirbuf, "%s", d.c_str());
            // [6000, 48] float32 activations with a large shared mean, as 4 shards and as one file
            const std::size_t m = 6000, n = 48;
            auto Z = tessera::random_normal<double>(m, n, 7, 1);
            xt::xtensor<float, 2> X = xt::xtensor<float, 2>::from_shape({m, n});
            for (std::size_t i = 0; i < m; ++i)
                for (std::size_t j = 0; j < n; ++j)
                    X(i, j) = static_cast<float>(50.0 + Z(i, j) * std::pow(0.9, double(j)) + 0.3 * Z(i, (j + 1) % n));
            tessera::io::write_npy(std::string(dirbuf) + "/all.npy", X);
            for (int s = 0; s < 4; ++s)
                tessera::io::write_npy(std::string(dirbuf) + "/part-" + std::to_string(s) + ".npy",
                                       xt::xtensor<float, 2>(xt::view(X, xt::range(s * 1500, (s + 1) * 1500), xt::all())));
        }
        MPI_Bcast(dirbuf, sizeof dirbuf, MPI_CHAR, 0, MPI_COMM_WORLD);
        const std::string dir = dirbuf;
        const auto whole = st::open_npy(dir + "/all.npy");
        // this rank's files: parts rank, rank + size, ... (contiguous when size divides 4 in rank order)
        std::vector<std::string> mine;
        for (int s = 0; s < 4; ++s)
            if (s * size / 4 == rank)
                mine.push_back(dir + "/part-" + std::to_string(s) + ".npy");
        const auto files = st::open_shards(mine);
        const auto slice = whole.shard(static_cast<std::size_t>(rank), static_cast<std::size_t>(size));
        CHECK_MPI(files.rows() > 0 && slice.rows() > 0, "empty shard");

        st::svd_options o;
        o.stream.block_rows = 256;
        for (auto signs : {st::sign_rule::components, st::sign_rule::scores})
        {
            o.signs = signs;
            const auto single = st::pca<double>(whole, 6, o);
            compare_pca(st::mpi::pca<double>(files, 6, o), single, 1e-12, "gram pca, file shards");
            compare_pca(st::mpi::pca<double>(slice, 6, o), single, 1e-12, "gram pca, row shards");
        }
        o.signs = st::sign_rule::components;
        o.method = st::stream_method::randomized;
        o.passes = 3;
        const auto rsingle = st::pca<double>(whole, 6, o);
        const auto rmpi = st::mpi::pca<double>(slice, 6, o);
        compare_pca(rmpi, rsingle, 1e-10, "randomized pca");
        CHECK_MPI(rmpi.status.code == rsingle.status.code, "randomized status differs");
        CHECK_MPI(rmpi.report.passes == 4, "randomized passes %zu", rmpi.report.passes);
        CHECK_MPI(rmpi.report.rows == slice.rows(), "each rank read its shard only: %zu rows", rmpi.report.rows);

        const auto M1 = st::covariance_moments(whole);
        const auto M2 = st::mpi::covariance_moments(files);
        CHECK_MPI(M1.count == M2.count, "count");
        for (std::size_t j = 0; j < 48; ++j)
        {
            CHECK_MPI(rel(M2.mean[j], M1.mean[j]) <= 1e-14, "mean %zu", j);
            CHECK_MPI(M2.min[j] == M1.min[j] && M2.max[j] == M1.max[j], "min/max %zu", j);
            for (std::size_t b = 0; b < 48; ++b)
                CHECK_MPI(std::abs(M2.scatter(j, b) - M1.scatter(j, b)) <= 1e-11 * (M1.scatter(j, j) + M1.scatter(b, b)),
                          "scatter %zu %zu", j, b);
        }
        const auto s1 = st::covariance_spectrum(whole);
        const auto s2 = st::mpi::covariance_spectrum(files);
        CHECK_MPI(s1.dims_90 == s2.dims_90 && rel(s2.participation_ratio, s1.participation_ratio) <= 1e-12, "spectrum");
        st::svd_options so;
        const auto f1 = st::truncated_svd<double>(whole, 5, so);
        const auto f2 = st::mpi::truncated_svd<double>(slice, 5, so);
        for (std::size_t j = 0; j < 5; ++j)
            CHECK_MPI(rel(f2.S(j), f1.S(j)) <= 1e-12, "sigma %zu", j);
        so.left_vectors = true;
        bool threw = false;
        try
        {
            st::mpi::truncated_svd<double>(slice, 5, so);
        }
        catch (const tessera::invalid_argument& e)
        {
            threw = std::string(e.what()).find("stream::mpi::truncated_svd: options.left_vectors") != std::string::npos;
        }
        CHECK_MPI(threw, "left_vectors across processes must be refused");
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == 0)
            fs::remove_all(dir);
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "rank %d: exception: %s\n", rank, e.what());
        ++failures;
    }
    int total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        std::printf("stream.mpi: %d processes, %d failed checks\n", size, total);
    MPI_Finalize();
    return total == 0 ? 0 : 1;
}
