// The machine's own limits, against which every other figure is read: sgemm GFLOP/s (the
// compute ceiling for BLAS-bound work), streaming memory bandwidth (the ceiling for
// bandwidth-bound kernels: GEMV, packed ternary, simplex gathers), the read rate of a 16 MiB
// array that stays in cache (the ceiling of a warm packed GEMV), and the RNG's rate.
#include <algorithm>
#include <cstdint>
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

    // Sums `count` 32-bit words in 64 pieces across the OpenMP threads, once per iteration, with
    // an integer sum (associative, so the compiler vectorizes it); bytes/s = read bandwidth.
    void read_rate(benchmark::State& state, std::size_t count)
    {
        const std::size_t chunks = 64, per = count / chunks;
        std::vector<std::uint32_t> data(count);
        tessera::parallel_for(0, static_cast<std::ptrdiff_t>(chunks), [&](std::ptrdiff_t c) {
            const std::size_t b = static_cast<std::size_t>(c) * per;
            for (std::size_t i = b; i < b + per; ++i)
                data[i] = static_cast<std::uint32_t>(i);
        });
        for (auto _ : state)
        {
            std::vector<std::uint32_t> partial(chunks, 0);
            tessera::parallel_for(0, static_cast<std::ptrdiff_t>(chunks), [&](std::ptrdiff_t c) {
                const std::uint32_t* p = data.data() + static_cast<std::size_t>(c) * per;
                std::uint32_t s = 0;
                for (std::size_t i = 0; i < per; ++i)
                    s += p[i];
                partial[static_cast<std::size_t>(c)] = s;
            });
            benchmark::DoNotOptimize(partial.data());
        }
        state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                                static_cast<int64_t>(count * sizeof(std::uint32_t)));
    }

    // Streaming read bandwidth: a 512 MiB array, far beyond any cache.
    void BM_machine_read_bandwidth(benchmark::State& state) { read_rate(state, std::size_t(1) << 27); }
    BENCHMARK(BM_machine_read_bandwidth)->Unit(benchmark::kMillisecond)->UseRealTime();

    // Cached read rate on 1 and 2 threads: a 16 MiB array, re-read while it sits in the last-level
    // cache when that holds it (the case of a warm 8192x8192 packed ternary matrix, 16.8 MB).
    void BM_machine_cached_read(benchmark::State& state)
    {
        tessera::thread_count_guard threads(static_cast<int>(state.range(0)));
        read_rate(state, std::size_t(1) << 22);
    }
    BENCHMARK(BM_machine_cached_read)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();

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
