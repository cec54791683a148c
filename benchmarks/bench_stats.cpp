// tessera::stats on a 32128 x 512 float32 matrix: sampled pairwise cosines, covariance
// spectrum, exact kNN (2000 queries, k = 10) and Spearman on 10^6 values. Raw baselines beside
// them: a naive double-loop pairwise cosine and one ssyrk Gram. Peers: benchmarks/peers/stats.py.
#include <cmath>
#include <vector>

#include <benchmark/benchmark.h>
#include <tessera/core.hpp>
#include <tessera/stats.hpp>

namespace
{
    const xt::xtensor<float, 2>& matrix()
    {
        static xt::xtensor<float, 2> X = tessera::random_normal<float>(32128, 512, 2026);
        return X;
    }

    void BM_pairwise_cosine(benchmark::State& state)
    {
        const auto& X = matrix();
        const auto count = static_cast<std::size_t>(state.range(0));
        for (auto _ : state)
        {
            auto s = tessera::stats::pairwise_cosine(X, count, 1);
            benchmark::DoNotOptimize(s.summary.mean);
        }
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
    }
    BENCHMARK(BM_pairwise_cosine)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(3)->ReportAggregatesOnly(true);

    // Raw baseline: the same pairs, single-threaded float loop, no summary.
    void BM_pairwise_cosine_naive(benchmark::State& state)
    {
        const auto& X = matrix();
        const auto count = static_cast<std::size_t>(state.range(0));
        const auto pairs = tessera::stats::sample_pairs(X.shape(0), count, 1);
        std::vector<float> out(count);
        for (auto _ : state)
        {
            for (std::size_t s = 0; s < count; ++s)
            {
                const float* a = X.data() + pairs(s, 0) * 512;
                const float* b = X.data() + pairs(s, 1) * 512;
                float ab = 0, aa = 0, bb = 0;
                for (std::size_t j = 0; j < 512; ++j)
                {
                    ab += a[j] * b[j];
                    aa += a[j] * a[j];
                    bb += b[j] * b[j];
                }
                out[s] = ab / std::sqrt(aa * bb);
            }
            benchmark::DoNotOptimize(out.data());
        }
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
    }
    BENCHMARK(BM_pairwise_cosine_naive)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(3)->ReportAggregatesOnly(true);

    void BM_covariance_spectrum(benchmark::State& state)
    {
        const auto& X = matrix();
        for (auto _ : state)
        {
            auto s = tessera::stats::covariance_spectrum(X);
            benchmark::DoNotOptimize(s.participation_ratio);
        }
    }
    BENCHMARK(BM_covariance_spectrum)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2)->Repetitions(3)->ReportAggregatesOnly(true);

    // Raw baseline: one float ssyrk (blas::gram<float>) without centring or eigensolver.
    void BM_gram_baseline(benchmark::State& state)
    {
        const auto& X = matrix();
        for (auto _ : state)
        {
            auto G = tessera::blas::gram<float>(X);
            benchmark::DoNotOptimize(G.data());
        }
    }
    BENCHMARK(BM_gram_baseline)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2)->Repetitions(3)->ReportAggregatesOnly(true);

    void BM_knn_cosine(benchmark::State& state)
    {
        const auto& X = matrix();
        const auto nq = static_cast<std::size_t>(state.range(0));
        xt::xtensor<float, 2> Q = xt::view(X, xt::range(0, nq), xt::all());
        tessera::stats::knn_options o;
        o.k = 10;
        for (auto _ : state)
        {
            auto r = tessera::stats::knn(Q, X, o);
            benchmark::DoNotOptimize(r.indices.data());
        }
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
        state.counters["GFLOPs"] = benchmark::Counter(2.0 * double(nq) * 32128.0 * 512.0 * 1e-9,
                                                      benchmark::Counter::kIsIterationInvariantRate);
    }
    BENCHMARK(BM_knn_cosine)->Arg(2000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2)->Repetitions(3)->ReportAggregatesOnly(true);

    void BM_spearman(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        const auto a = tessera::random_normal<double>(1, n, 1);
        const auto b = tessera::random_normal<double>(1, n, 2);
        xt::xtensor<double, 1> x = xt::view(a, 0, xt::all()), y = xt::view(b, 0, xt::all());
        for (auto _ : state)
            benchmark::DoNotOptimize(tessera::stats::spearman(x, y));
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
    }
    BENCHMARK(BM_spearman)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(3)->ReportAggregatesOnly(true);
}  // namespace
