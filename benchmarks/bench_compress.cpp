// compress: the quality report on a GloVe-sized matrix, and the llama2.c forward pass, each
// beside a raw baseline (the OpenBLAS kernels that bound it). Peers: benchmarks/peers/compress.py.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <tessera/compress.hpp>
#include <tessera/core.hpp>
#include <xtensor/xview.hpp>

namespace
{
    namespace tc = tessera::compress;
    constexpr std::size_t report_rows = 10000, report_cols = 100;

    struct report_data
    {
        xt::xtensor<float, 2> A = tessera::random_normal<float>(report_rows, report_cols, 1);
        xt::xtensor<float, 2> B = A + tessera::random_normal<float>(report_rows, report_cols, 2, 0, 0.3f);
    };
    const report_data& data()
    {
        static const report_data d;
        return d;
    }

    // The full report: error, row cosines, recall@10 over 1000 sampled queries, Spearman of
    // 20000 sampled pairs.
    void BM_compress_report(benchmark::State& state)
    {
        const auto& d = data();
        tc::report_options o;
        o.knn_queries = 1000;
        o.pairs = 20000;
        for (auto _ : state)
        {
            auto r = tc::compression_report(d.A, d.B, o);
            benchmark::DoNotOptimize(r.knn_recall);
        }
        state.counters["rows"] = double(report_rows);
    }
    BENCHMARK(BM_compress_report)->Unit(benchmark::kMillisecond)->UseRealTime();

    // Raw baseline: the two score GEMMs ([1000, 100] x [100, 10000]) that recall@10 needs, the
    // report's dominant cost, straight to OpenBLAS.
    void BM_compress_report_baseline_gemm(benchmark::State& state)
    {
        const auto& d = data();
        xt::xtensor<float, 2> Q = xt::view(d.A, xt::range(0, 1000), xt::all());
        xt::xtensor<float, 2> S = xt::zeros<float>({std::size_t(1000), report_rows});
        for (auto _ : state)
        {
            tessera::blas::gemm(tessera::blas::op::none, tessera::blas::op::transpose, 1.0f, Q, d.A, 0.0f, S);
            tessera::blas::gemm(tessera::blas::op::none, tessera::blas::op::transpose, 1.0f, Q, d.B, 0.0f, S);
            benchmark::DoNotOptimize(S.data());
        }
        const double flops = 2 * 2.0 * 1000 * double(report_rows) * double(report_cols);
        state.counters["GFLOPs"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    }
    BENCHMARK(BM_compress_report_baseline_gemm)->Unit(benchmark::kMillisecond)->UseRealTime();

    std::string stories()
    {
        const auto p = std::filesystem::path(TESSERA_SHARED_DATA) / "stories260K" / "stories260K.bin";
        return std::filesystem::exists(p) ? p.string() : std::string();
    }

    // 256 greedy positions of stories260K from BOS (the reference sample), tokens per second.
    void BM_compress_llama2_generate(benchmark::State& state)
    {
        const auto path = stories();
        if (path.empty())
        {
            state.SkipWithError("../shared/data/stories260K absent");
            return;
        }
        const auto w = tc::read_llama2_checkpoint<float>(path);
        std::size_t tokens = 0;
        for (auto _ : state)
        {
            auto t = tc::llama2_generate_greedy(w, 256);
            tokens += t.size() - 1;
            benchmark::DoNotOptimize(t.data());
        }
        state.counters["tokens/s"] = benchmark::Counter(double(tokens), benchmark::Counter::kIsRate);
    }
    BENCHMARK(BM_compress_llama2_generate)->Unit(benchmark::kMillisecond)->UseRealTime();

    // Raw baseline: per token, one OpenBLAS sgemv per weight matrix (what a forward pass must at
    // least do), for the same 256 tokens.
    void BM_compress_llama2_baseline_sgemv(benchmark::State& state)
    {
        const auto path = stories();
        if (path.empty())
        {
            state.SkipWithError("../shared/data/stories260K absent");
            return;
        }
        const auto w = tc::read_llama2_checkpoint<float>(path);
        std::vector<const xt::xtensor<float, 2>*> mats;
        for (const auto& n : w.matrix_names())
            mats.push_back(&w.matrix(n));
        std::vector<xt::xtensor<float, 1>> xs;
        for (auto* m : mats)
            xs.push_back(xt::ones<float>({m->shape(1)}));
        std::size_t tokens = 0;
        for (auto _ : state)
        {
            for (int t = 0; t < 256; ++t)
                for (std::size_t i = 0; i < mats.size(); ++i)
                {
                    if (i == 0)
                        continue;  // the embedding is a row lookup; the classifier is it, below
                    auto y = tessera::blas::matvec(*mats[i], xs[i]);
                    benchmark::DoNotOptimize(y.data());
                }
            for (int t = 0; t < 256; ++t)
            {
                auto logits = tessera::blas::matvec(*mats[0], xs[0]);
                benchmark::DoNotOptimize(logits.data());
            }
            tokens += 256;
        }
        state.counters["tokens/s"] = benchmark::Counter(double(tokens), benchmark::Counter::kIsRate);
    }
    BENCHMARK(BM_compress_llama2_baseline_sgemv)->Unit(benchmark::kMillisecond)->UseRealTime();

    // Next-token KL of a copy over one 256-token sequence (two forward passes per position).
    void BM_compress_next_token_divergence(benchmark::State& state)
    {
        const auto path = stories();
        if (path.empty())
        {
            state.SkipWithError("../shared/data/stories260K absent");
            return;
        }
        const auto w = tc::read_llama2_checkpoint<float>(path);
        const auto copy = w;
        const std::vector<std::vector<int>> seqs{tc::llama2_generate_greedy(w, 256)};
        for (auto _ : state)
        {
            auto r = tc::next_token_divergence(w, copy, seqs);
            benchmark::DoNotOptimize(r.mean_kl);
        }
        state.counters["positions/s"] =
            benchmark::Counter(double(seqs[0].size()), benchmark::Counter::kIsIterationInvariantRate);
    }
    BENCHMARK(BM_compress_next_token_divergence)->Unit(benchmark::kMillisecond)->UseRealTime();
}  // namespace
