// The machine's own limits, against which every other figure is read: sgemm GFLOP/s (the
// compute ceiling for BLAS-bound work), streaming memory bandwidth (the ceiling for
// bandwidth-bound kernels: GEMV, packed ternary, simplex gathers), and the RNG's rate.
#include <algorithm>
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>
#include <tessera/core.hpp>

namespace
{
    void BM_machine_sgemm(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        auto A = tessera::random_normal<float>(n, n, 1);
        auto B = tessera::random_normal<float>(n, n, 2);
        xt::xtensor<float, 2> C = xt::zeros<float>({n, n});
        for (auto _ : state)
        {
            tessera::blas::gemm(tessera::blas::op::none, tessera::blas::op::none, 1.0f, A, B, 0.0f, C);
            benchmark::DoNotOptimize(C.data());
        }
        const double flops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
        state.counters["GFLOPs"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    }
    BENCHMARK(BM_machine_sgemm)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();

    // Streaming read bandwidth: sum a 512 MiB array (far beyond cache), OpenMP across threads.
    void BM_machine_read_bandwidth(benchmark::State& state)
    {
        const std::size_t count = std::size_t(1) << 27;  // 128 Mi floats = 512 MiB
        std::vector<float> data(count);
        tessera::parallel_for(0, 64, [&](std::ptrdiff_t c) {
            const std::size_t b = static_cast<std::size_t>(c) * (count / 64);
            std::fill(data.begin() + static_cast<std::ptrdiff_t>(b),
                      data.begin() + static_cast<std::ptrdiff_t>(b + count / 64), 1.0f);
        });
        for (auto _ : state)
        {
            std::vector<double> partial(64, 0.0);
            tessera::parallel_for(0, 64, [&](std::ptrdiff_t c) {
                const float* p = data.data() + static_cast<std::size_t>(c) * (count / 64);
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
                for (std::size_t i = 0; i < count / 64; i += 8)
                {
                    s0 += p[i]; s1 += p[i + 1]; s2 += p[i + 2]; s3 += p[i + 3];
                    s4 += p[i + 4]; s5 += p[i + 5]; s6 += p[i + 6]; s7 += p[i + 7];
                }
                partial[static_cast<std::size_t>(c)] = double(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7);
            });
            benchmark::DoNotOptimize(partial.data());
        }
        state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(count * sizeof(float)));
    }
    BENCHMARK(BM_machine_read_bandwidth)->Unit(benchmark::kMillisecond)->UseRealTime();

    void BM_core_fill_normal(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        std::vector<float> out(n);
        tessera::counter_rng rng(42);
        for (auto _ : state)
        {
            tessera::fill_normal(out.data(), n, rng);
            benchmark::DoNotOptimize(out.data());
        }
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
    }
    BENCHMARK(BM_core_fill_normal)->Arg(1 << 22)->Unit(benchmark::kMillisecond)->UseRealTime();
}  // namespace
