// compress: the quality report on a GloVe-sized matrix, and the llama2.c forward pass, each
// beside a raw baseline (the OpenBLAS kernels that bound it). Peers: benchmarks/peers/compress.py.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <tessera/compress.hpp>
#include <tessera/compress/export.hpp>
#include <tessera/core.hpp>
#include <tessera/model/divergence.hpp>
#include <tessera/model/llama.hpp>
#include <tessera/model/llama2_checkpoint.hpp>
#include <xtensor/xview.hpp>

namespace
{
    namespace tc = tessera::compress;
    namespace mdl = tessera::model;
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
        const auto w = mdl::read_llama2_checkpoint<float>(path);
        const auto m = mdl::llama2_view(w);
        std::size_t tokens = 0;
        for (auto _ : state)
        {
            auto t = mdl::generate_greedy(m, 256);
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
        const auto w = mdl::read_llama2_checkpoint<float>(path);
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
        const auto w = mdl::read_llama2_checkpoint<float>(path);
        const auto copy = w;
        const auto a = mdl::llama2_view(w), b = mdl::llama2_view(copy);
        const std::vector<std::vector<int>> seqs{mdl::generate_greedy(a, 256)};
        for (auto _ : state)
        {
            auto r = mdl::next_token_divergence(a, b, seqs);
            benchmark::DoNotOptimize(r.mean_kl);
        }
        state.counters["positions/s"] =
            benchmark::Counter(double(seqs[0].size()), benchmark::Counter::kIsIterationInvariantRate);
    }
    BENCHMARK(BM_compress_next_token_divergence)->Unit(benchmark::kMillisecond)->UseRealTime();
}  // namespace

// The WordNet relational probe (compress::wordnet_probe, defaults: 20,000 random noun pairs, 500
// within-category pairs per lexicographer file, 2,000 hypernym chains of depth 6) on the bundled
// 10,000-word GloVe matrix, beside the raw floor of the cosines alone: the same 20,000 pairs'
// cosines in a plain loop (the probe's WordNet work is the difference).
#include <tessera/io/npy.hpp>

namespace
{
    struct wordnet_probe_data
    {
        tessera::io::wordnet wn;
        xt::xtensor<float, 2> E;
        tessera::io::vocabulary vocab;
    };
    const wordnet_probe_data* probe_data()
    {
        static const auto* d = []() -> wordnet_probe_data* {
            const std::string base = TESSERA_SOURCE_DIR "/examples/data/glove100d_top10k";
            if (!std::filesystem::exists("/usr/share/wordnet/data.noun") || !std::filesystem::exists(base + ".npy"))
                return nullptr;
            return new wordnet_probe_data{tessera::io::read_wordnet("/usr/share/wordnet"),
                                          tessera::io::read_npy<float>(base + ".npy"),
                                          tessera::io::read_words(base + ".words")};
        }();
        return d;
    }

    void BM_compress_wordnet_probe(benchmark::State& state)
    {
        const auto* d = probe_data();
        if (!d)
            return state.SkipWithError("/usr/share/wordnet (wordnet-base) or the bundled GloVe matrix is missing");
        const tessera::compress::wordnet_probe_options o;
        for (auto _ : state)
            benchmark::DoNotOptimize(tessera::compress::wordnet_probe(d->wn, d->E, d->vocab, o).spearman);
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * o.pairs));
    }
    BENCHMARK(BM_compress_wordnet_probe)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);

    void BM_compress_raw_pair_cosines(benchmark::State& state)
    {
        const auto* d = probe_data();
        if (!d)
            return state.SkipWithError("/usr/share/wordnet (wordnet-base) or the bundled GloVe matrix is missing");
        const auto s = tessera::compress::sample_wordnet_probe(d->wn, d->vocab);
        const std::size_t dim = d->E.shape(1);
        for (auto _ : state)
        {
            double acc = 0.0;
            for (const auto& p : s.pairs)
            {
                const float* a = d->E.data() + p.a * dim;
                const float* b = d->E.data() + p.b * dim;
                double ab = 0, aa = 0, bb = 0;
                for (std::size_t k = 0; k < dim; ++k)
                    ab += double(a[k]) * b[k], aa += double(a[k]) * a[k], bb += double(b[k]) * b[k];
                acc += ab / std::sqrt(aa * bb);
            }
            benchmark::DoNotOptimize(acc);
        }
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * s.pairs.size()));
    }
    BENCHMARK(BM_compress_raw_pair_cosines)->Unit(benchmark::kMillisecond)->UseRealTime();
}  // namespace

namespace
{
    // Export of compressed forms (compress/export.hpp): a rank-64 factorisation of a Qwen-sized
    // 151936 x 896 embedding, US [151936, 64] + Vt [64, 896] float32 (39.1 MB), saved as
    // safetensors and loaded back (validated, bit for bit). Baseline: the same bytes through
    // fwrite / fread (the file system's floor). Peer: numpy writing and reading the same file
    // (benchmarks/peers/compress.py).
    constexpr std::size_t export_rows = 151936, export_cols = 896, export_rank = 64;
    const tessera::spectral::low_rank<float>& export_factors()
    {
        static const tessera::spectral::low_rank<float> lr(tessera::random_normal<float>(export_rows, export_rank, 3),
                                                           tessera::random_normal<float>(export_rank, export_cols, 4));
        return lr;
    }
    std::string export_path(const char* what)
    {
        return (std::filesystem::temp_directory_path() / (std::string("tessera_bench_export_") + what)).string();
    }

    void BM_compress_export_save_low_rank(benchmark::State& state)
    {
        const auto& lr = export_factors();
        const auto path = export_path("save.safetensors");
        for (auto _ : state)
            tc::save_compressed(path, {{"emb", lr}}, {{"source", "bench"}});
        state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(lr.storage_bytes()));
        std::filesystem::remove(path);
    }
    BENCHMARK(BM_compress_export_save_low_rank)->Unit(benchmark::kMillisecond)->UseRealTime();

    void BM_compress_export_load_low_rank(benchmark::State& state)
    {
        const auto path = export_path("load.safetensors");
        tc::save_compressed(path, {{"emb", export_factors()}});
        for (auto _ : state)
        {
            const tc::compressed_file f(path);
            auto lr = f.load_low_rank<float>("emb");
            benchmark::DoNotOptimize(lr.left().data());
        }
        state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(export_factors().storage_bytes()));
        std::filesystem::remove(path);
    }
    BENCHMARK(BM_compress_export_load_low_rank)->Unit(benchmark::kMillisecond)->UseRealTime();

    // The floor: the factors' bytes written and read back with stdio into fresh memory, no
    // header, no checks.
    void BM_compress_export_baseline_stdio(benchmark::State& state)
    {
        const auto& lr = export_factors();
        const auto path = export_path("raw.bin");
        for (auto _ : state)
        {
            // into fresh memory, as any load must (huge pages advised, as io::read_npy does)
            auto back = xt::xtensor<float, 1>::from_shape({lr.left().size() + lr.right().size()});
            tessera::io::detail::advise_huge_pages(back.data(), back.size() * sizeof(float));
            std::FILE* f = std::fopen(path.c_str(), "wb");
            std::fwrite(lr.left().data(), sizeof(float), lr.left().size(), f);
            std::fwrite(lr.right().data(), sizeof(float), lr.right().size(), f);
            std::fclose(f);
            f = std::fopen(path.c_str(), "rb");
            const std::size_t got = std::fread(back.data(), sizeof(float), back.size(), f);
            std::fclose(f);
            benchmark::DoNotOptimize(got);
        }
        std::filesystem::remove(path);
    }
    BENCHMARK(BM_compress_export_baseline_stdio)->Unit(benchmark::kMillisecond)->UseRealTime();
}  // namespace
