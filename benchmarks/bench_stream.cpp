// Benchmarks of tessera::stream on a float32 activation matrix in a .npy file (written once to
// $TESSERA_BENCH_STREAM_DIR, default <tmp>/tessera_bench_stream, and left there for the peer):
// [131072, 1024] = 0.54 GB, 32 planted directions plus noise and a shared mean. The file fits
// in the page cache, so these rows measure the compute and copy cost of a pass; docs/scale.md
// has the disk-bound 40 GB run. benchmarks/peers/stream.py runs sklearn IncrementalPCA and a
// chunked numpy Gram over the same file (found by the same rule).
//
// Rows: read (one pass, no work: the pass floor), column_statistics (one pass), PCA gram (one
// pass), PCA randomized (1 + 5 passes), each with GB/s of stored bytes per pass.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <benchmark/benchmark.h>
#include <tessera/core.hpp>
#include <tessera/io/npy.hpp>
#include <tessera/stream.hpp>

namespace
{
    namespace st = tessera::stream;
    constexpr std::size_t rows = 131072, cols = 1024, planted = 32;

    std::string bench_file()
    {
        const char* d = std::getenv("TESSERA_BENCH_STREAM_DIR");
        const auto dir = d ? std::filesystem::path(d) : std::filesystem::temp_directory_path() / "tessera_bench_stream";
        std::filesystem::create_directories(dir);
        const auto path = dir / "acts_131072x1024.npy";
        if (!std::filesystem::exists(path))
        {
            // x = 3 + Z S R + 0.05 noise, Z [rows, 32] N(0,1), R [32, cols] N(0, 1/cols), s_j = 4 * 0.9^j
            auto Z = tessera::random_normal<float>(rows, planted, 11, 1);
            auto R = tessera::random_normal<float>(planted, cols, 11, 2, 1.0f / std::sqrt(float(cols)));
            for (std::size_t j = 0; j < planted; ++j)
                for (std::size_t i = 0; i < cols; ++i)
                    R(j, i) *= 4.0f * static_cast<float>(std::pow(0.9, double(j)));
            auto X = tessera::random_normal<float>(rows, cols, 11, 3, 0.05f);
            X += 3.0f;
            tessera::blas::gemm(tessera::blas::op::none, tessera::blas::op::none, 1.0f, Z, R, 1.0f, X);
            tessera::io::write_npy(path.string(), X);
        }
        return path.string();
    }

    const std::string& file()
    {
        static const std::string f = bench_file();
        return f;
    }

    void set_rate(benchmark::State& state, const st::pass_report& r)
    {
        state.counters["GBps_per_pass"] = benchmark::Counter(
            static_cast<double>(r.bytes_read) / static_cast<double>(std::max<std::size_t>(r.passes, 1)) / 1e9 *
                static_cast<double>(state.iterations()),
            benchmark::Counter::kIsRate);
        state.counters["passes"] = static_cast<double>(r.passes);
        state.counters["held_MB"] = static_cast<double>(r.peak_bytes()) / 1048576.0;
    }

    void BM_stream_read(benchmark::State& state)
    {
        const auto src = st::open_npy(file());
        st::stream_options o;
        o.memory_budget = std::size_t(256) << 20;
        st::pass_report r;
        for (auto _ : state)
        {
            r = {};
            const std::size_t b = st::detail::block_rows_for(src, o, 0, st::detail::bytes_per_block_row<float>(src, o), "bench");
            double sink = 0;
            st::detail::for_each_block<float>(src, o, b, 1, 0, r, [&](const float* B, std::size_t n, std::size_t) { sink += B[n - 1]; });
            benchmark::DoNotOptimize(sink);
        }
        set_rate(state, r);
    }
    BENCHMARK(BM_stream_read)->Unit(benchmark::kMillisecond)->UseRealTime();

    void BM_stream_column_statistics(benchmark::State& state)
    {
        const auto src = st::open_npy(file());
        st::stream_options o;
        o.memory_budget = std::size_t(256) << 20;
        st::moments m;
        for (auto _ : state)
            m = st::column_statistics(src, o);
        set_rate(state, m.report);
    }
    BENCHMARK(BM_stream_column_statistics)->Unit(benchmark::kMillisecond)->UseRealTime();

    void BM_stream_pca(benchmark::State& state)
    {
        const auto src = st::open_npy(file());
        st::svd_options o;
        o.method = state.range(0) == 0 ? st::stream_method::gram : st::stream_method::randomized;
        o.passes = 5;
        o.stream.memory_budget = std::size_t(256) << 20;
        st::pca_result<float> p;
        for (auto _ : state)
            p = st::pca<float>(src, 32, o);
        double ev = 0;
        for (std::size_t j = 0; j < 32; ++j)
            ev += p.explained_variance_ratio(j);
        state.counters["explained"] = ev;
        state.counters["ok"] = p.status.ok() ? 1 : 0;
        set_rate(state, p.report);
        state.SetLabel(o.method == st::stream_method::gram ? "gram" : "randomized, 5 passes");
    }
    BENCHMARK(BM_stream_pca)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
}  // namespace
