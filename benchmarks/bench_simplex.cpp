// Batched simplex volumes on the workloads: 100,000 random k-simplices (k = 2, 4, 8)
// from the rows of a 32128 x 512 float32 matrix, and k = 4 from 151936 x 896. Baselines in the
// same binary: the bare gather (read every vertex row once, the memory floor of any method),
// the Cayley-Menger option, and a per-simplex LAPACK QR (dgeqrf through lapack::qr).
// Peers (numpy, torch) run in benchmarks/peers/simplex.py on the same shapes.
#include <cmath>
#include <vector>

#include <benchmark/benchmark.h>
#include <tessera/core.hpp>
#include <tessera/simplex.hpp>

namespace
{
    constexpr std::size_t n_simplices = 100000;

    const xt::xtensor<float, 2>& matrix(std::size_t rows, std::size_t cols)
    {
        static xt::xtensor<float, 2> small = tessera::random_normal<float>(32128, 512, 2026);
        if (rows == 32128)
            return small;
        static xt::xtensor<float, 2> large = tessera::random_normal<float>(151936, 896, 2027);
        (void)cols;
        return large;
    }

    void set_counters(benchmark::State& state, std::size_t k, std::size_t d, std::size_t count)
    {
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(count));
        state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                                static_cast<int64_t>(count * (k + 1) * d * sizeof(float)));
        state.counters["k"] = static_cast<double>(k);
        state.counters["d"] = static_cast<double>(d);
    }

    // args: rows, cols, k, method (0 = qr, 1 = cayley_menger)
    void BM_simplex_volumes(benchmark::State& state)
    {
        const auto rows = static_cast<std::size_t>(state.range(0)), cols = static_cast<std::size_t>(state.range(1));
        const auto k = static_cast<std::size_t>(state.range(2));
        const auto& X = matrix(rows, cols);
        const auto idx = tessera::simplex::sample_simplices(rows, k, n_simplices, 7);
        tessera::simplex::simplex_volume_options o;
        o.method = state.range(3) == 0 ? tessera::simplex::volume_method::qr : tessera::simplex::volume_method::cayley_menger;
        for (auto _ : state)
        {
            auto r = tessera::simplex::simplex_volumes(X, idx, o);
            benchmark::DoNotOptimize(r.volume.data());
        }
        set_counters(state, k, cols, n_simplices);
    }

    // Raw baseline: gather the same vertex rows and sum them (no geometry): the memory floor.
    void BM_gather_baseline(benchmark::State& state)
    {
        const auto rows = static_cast<std::size_t>(state.range(0)), cols = static_cast<std::size_t>(state.range(1));
        const auto k = static_cast<std::size_t>(state.range(2));
        const auto& X = matrix(rows, cols);
        const auto idx = tessera::simplex::sample_simplices(rows, k, n_simplices, 7);
        std::vector<double> out(n_simplices);
        for (auto _ : state)
        {
            tessera::parallel_for(0, static_cast<std::ptrdiff_t>(n_simplices), [&](std::ptrdiff_t s) {
                float acc = 0.0f;
                for (std::size_t v = 0; v <= k; ++v)
                {
                    const float* r = X.data() + idx(static_cast<std::size_t>(s), v) * cols;
#pragma omp simd reduction(+ : acc)
                    for (std::size_t j = 0; j < cols; ++j)
                        acc += r[j];
                }
                out[static_cast<std::size_t>(s)] = acc;
            }, 1024);
            benchmark::DoNotOptimize(out.data());
        }
        set_counters(state, k, cols, n_simplices);
    }

    // Raw baseline: LAPACK QR (gelqf) of each simplex's edge matrix, one call per simplex.
    void BM_lapack_qr_per_simplex(benchmark::State& state)
    {
        const std::size_t rows = 32128, cols = 512, k = 4, count = 5000;
        const auto& X = matrix(rows, cols);
        const auto idx = tessera::simplex::sample_simplices(rows, k, count, 7);
        std::vector<double> out(count);
        for (auto _ : state)
        {
            for (std::size_t s = 0; s < count; ++s)
            {
                xt::xtensor<double, 2> E = xt::xtensor<double, 2>::from_shape({k, cols});
                for (std::size_t l = 0; l < k; ++l)
                    for (std::size_t j = 0; j < cols; ++j)
                        E(l, j) = double(X(idx(s, l + 1), j)) - double(X(idx(s, 0), j));
                const auto f = tessera::lapack::qr(std::move(E));
                double p = 1.0;
                for (std::size_t l = 0; l < k; ++l)
                    p *= std::fabs(f.R(l, l));
                out[s] = p / 24.0;
            }
            benchmark::DoNotOptimize(out.data());
        }
        set_counters(state, k, cols, count);
    }
}  // namespace

BENCHMARK(BM_simplex_volumes)
    ->ArgNames({"rows", "cols", "k", "cm"})
    ->Args({32128, 512, 4, 0})
    ->Args({32128, 512, 2, 0})
    ->Args({32128, 512, 8, 0})
    ->Args({32128, 512, 4, 1})
    ->Args({151936, 896, 4, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(0.5)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_gather_baseline)
    ->ArgNames({"rows", "cols", "k"})
    ->Args({32128, 512, 4})
    ->Args({32128, 512, 2})
    ->Args({32128, 512, 8})
    ->Args({151936, 896, 4})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(0.3)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_lapack_qr_per_simplex)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2)->Repetitions(3)->ReportAggregatesOnly(true);
