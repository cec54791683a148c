// Packed ternary kernels against their fp32 baselines, same binary, same run.
//   ternary_gemv/N/K/threads/kernel   2-bit packed GEMV, int8 activations (kernel 0 auto, 1 avx2, 2 scalar)
//   ternary_gemv_base3/N/K/threads/kernel  base-3 (1.6 bit) packed GEMV (kernel 0 auto, 1 avx2)
//   ternary_gemv_f16/N/K/threads/layout  GEMV with binary16 scales (layout 0 2-bit, 1 base-3)
//   ternary_gemv_float/N/K/threads    float activations, dequantize on the fly
//   ternary_gemm/N/K/batch/threads    int8 GEMM reusing unpacked tiles across the batch
//   openblas_sgemv / openblas_sgemm   fp32 baselines (the dense weights the ternary form replaces)
//   ternary_quantize_pack/N/K/threads quantize_pack_2bit of fp32 weights (bytes/s of fp32 input)
//   use_lite_ffn_*                    the real USE-lite FFN weights (skipped when not fetched)
// Counters: weight_GBps = packed (or fp32) weight bytes streamed per second.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <tessera/core.hpp>
#include <tessera/ternary.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xview.hpp>

extern "C" void openblas_set_num_threads(int);

namespace
{
    namespace tt = tessera::ternary;

    struct problem
    {
        xt::xtensor<float, 2> W;  // fp32 weights [N, K]
        tt::packed_ternary P2, P3;
        tt::packed_ternary P2h, P3h;  // the same codes, scales stored as binary16
        xt::xtensor<float, 2> X;  // fp32 activations [128, K]
    };

    xt::xtensor<float, 2> uniform(std::size_t r, std::size_t c, std::uint64_t seed)
    {
        xt::xtensor<float, 2> m = xt::xtensor<float, 2>::from_shape({r, c});
        tessera::parallel_for(0, static_cast<std::ptrdiff_t>(r), [&](std::ptrdiff_t i) {
            std::uint64_t s = seed * 0x9e3779b97f4a7c15ull + static_cast<std::uint64_t>(i);
            for (std::size_t k = 0; k < c; ++k)
            {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                m(static_cast<std::size_t>(i), k) = static_cast<float>(static_cast<double>(s >> 11) * 0x1.0p-53 - 0.5);
            }
        });
        return m;
    }

    // One problem per shape, built once (the 8192x8192 fp32 matrix is 268 MB).
    problem& get(std::size_t N, std::size_t K)
    {
        static std::map<std::pair<std::size_t, std::size_t>, std::unique_ptr<problem>> cache;
        auto& p = cache[{N, K}];
        if (!p)
        {
            p = std::make_unique<problem>();
            p->W = uniform(N, K, N * 31 + K);
            p->P2 = tt::quantize_pack_2bit(p->W);
            const auto q = tt::quantize_absmean(p->W);
            p->P3 = tt::pack_base3(q);
            p->P2h = tt::pack_2bit(q, tt::scale_storage::f16);
            p->P3h = tt::pack_base3(q, tt::scale_storage::f16);
            p->X = uniform(128, K, 7);
        }
        return *p;
    }

    void set_threads(int t)
    {
#if defined(_OPENMP)
        omp_set_num_threads(t);
#else
        (void)t;
#endif
        openblas_set_num_threads(t);
    }

    tt::kernel kernel_of(std::int64_t k) { return k == 1 ? tt::kernel::avx2 : (k == 2 ? tt::kernel::scalar : tt::kernel::automatic); }

    void weight_rate(benchmark::State& state, std::size_t bytes)
    {
        state.counters["weight_GBps"] = benchmark::Counter(static_cast<double>(bytes) * 1e-9,
                                                           benchmark::Counter::kIsIterationInvariantRate);
        state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
    }

    void ternary_gemv(benchmark::State& state)
    {
        const auto N = static_cast<std::size_t>(state.range(0)), K = static_cast<std::size_t>(state.range(1));
        set_threads(static_cast<int>(state.range(2)));
        auto& p = get(N, K);
        const auto a = tt::quantize_activations_int8(xt::xtensor<float, 2>(xt::view(p.X, xt::range(0, 1), xt::all())));
        const tt::matmul_options o{kernel_of(state.range(3))};
        for (auto _ : state)
        {
            auto y = tt::gemv(p.P2, a, o);
            benchmark::DoNotOptimize(y.data());
        }
        weight_rate(state, N * K / 4);
    }

    void ternary_gemv_base3(benchmark::State& state)
    {
        const auto N = static_cast<std::size_t>(state.range(0)), K = static_cast<std::size_t>(state.range(1));
        set_threads(static_cast<int>(state.range(2)));
        auto& p = get(N, K);
        const auto a = tt::quantize_activations_int8(xt::xtensor<float, 2>(xt::view(p.X, xt::range(0, 1), xt::all())));
        const tt::matmul_options o{kernel_of(state.range(3))};
        for (auto _ : state)
        {
            auto y = tt::gemv_base3(p.P3, a, o);
            benchmark::DoNotOptimize(y.data());
        }
        weight_rate(state, N * K / 5);
    }

    void ternary_gemv_f16(benchmark::State& state)
    {
        const auto N = static_cast<std::size_t>(state.range(0)), K = static_cast<std::size_t>(state.range(1));
        set_threads(static_cast<int>(state.range(2)));
        auto& p = get(N, K);
        const bool base3 = state.range(3) == 1;
        const auto a = tt::quantize_activations_int8(xt::xtensor<float, 2>(xt::view(p.X, xt::range(0, 1), xt::all())));
        for (auto _ : state)
        {
            auto y = base3 ? tt::gemv_base3(p.P3h, a) : tt::gemv(p.P2h, a);
            benchmark::DoNotOptimize(y.data());
        }
        weight_rate(state, base3 ? N * K / 5 : N * K / 4);
    }

    void ternary_gemv_float(benchmark::State& state)
    {
        const auto N = static_cast<std::size_t>(state.range(0)), K = static_cast<std::size_t>(state.range(1));
        set_threads(static_cast<int>(state.range(2)));
        auto& p = get(N, K);
        const xt::xtensor<float, 1> x = xt::view(p.X, 0, xt::all());
        for (auto _ : state)
        {
            auto y = tt::gemv_float(p.P2, x);
            benchmark::DoNotOptimize(y.data());
        }
        weight_rate(state, N * K / 4);
    }

    void ternary_gemm(benchmark::State& state)
    {
        const auto N = static_cast<std::size_t>(state.range(0)), K = static_cast<std::size_t>(state.range(1));
        const auto B = static_cast<std::size_t>(state.range(2));
        set_threads(static_cast<int>(state.range(3)));
        auto& p = get(N, K);
        const auto a = tt::quantize_activations_int8(xt::xtensor<float, 2>(xt::view(p.X, xt::range(0, B), xt::all())));
        for (auto _ : state)
        {
            auto y = tt::gemm(p.P2, a);
            benchmark::DoNotOptimize(y.data());
        }
        weight_rate(state, N * K / 4);
        state.counters["GMACs"] = benchmark::Counter(static_cast<double>(N * K * B) * 1e-9,
                                                     benchmark::Counter::kIsIterationInvariantRate);
    }

    void openblas_sgemv(benchmark::State& state)
    {
        const auto N = static_cast<std::size_t>(state.range(0)), K = static_cast<std::size_t>(state.range(1));
        set_threads(static_cast<int>(state.range(2)));
        auto& p = get(N, K);
        std::vector<float> y(N);
        for (auto _ : state)
        {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(N), static_cast<int>(K), 1.0f, p.W.data(),
                        static_cast<int>(K), p.X.data(), 1, 0.0f, y.data(), 1);
            benchmark::DoNotOptimize(y.data());
        }
        weight_rate(state, N * K * 4);
    }

    void openblas_sgemm(benchmark::State& state)
    {
        const auto N = static_cast<std::size_t>(state.range(0)), K = static_cast<std::size_t>(state.range(1));
        const auto B = static_cast<std::size_t>(state.range(2));
        set_threads(static_cast<int>(state.range(3)));
        auto& p = get(N, K);
        std::vector<float> Y(B * N);
        for (auto _ : state)
        {
            // Y [B, N] = X [B, K] * W^T
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(B), static_cast<int>(N),
                        static_cast<int>(K), 1.0f, p.X.data(), static_cast<int>(K), p.W.data(), static_cast<int>(K), 0.0f,
                        Y.data(), static_cast<int>(N));
            benchmark::DoNotOptimize(Y.data());
        }
        weight_rate(state, N * K * 4);
        state.counters["GMACs"] = benchmark::Counter(static_cast<double>(N * K * B) * 1e-9,
                                                     benchmark::Counter::kIsIterationInvariantRate);
    }

    void ternary_quantize_pack(benchmark::State& state)
    {
        const auto N = static_cast<std::size_t>(state.range(0)), K = static_cast<std::size_t>(state.range(1));
        set_threads(static_cast<int>(state.range(2)));
        auto& p = get(N, K);
        for (auto _ : state)
        {
            auto P = tt::quantize_pack_2bit(p.W);
            benchmark::DoNotOptimize(P.bytes.data());
        }
        state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(N * K * 4));
    }

    // Real weights: the USE-lite FFN (conv1 [512 -> 1536], conv2 [1536 -> 512]) from the
    // fetched safetensors file, transposed to [out, in].
    xt::xtensor<float, 2> use_lite_ffn(const std::string& which)
    {
        const char* env = std::getenv("TESSERA_DATA_DIR");
        const std::string path = std::string(env && *env ? env : TESSERA_SOURCE_DIR "/data") + "/use_lite.safetensors";
        std::ifstream f(path, std::ios::binary);
        if (!f)
            return {};
        std::uint64_t n = 0;
        f.read(reinterpret_cast<char*>(&n), 8);
        std::string header(n, '\0');
        f.read(header.data(), static_cast<std::streamsize>(n));
        const auto h = nlohmann::json::parse(header);
        const std::string key = "module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/Layer_0/"
                                "TransformerLayer/FFN/" + which + "/Tensordot/Reshape_1";
        if (!h.contains(key))
            return {};
        const auto shape = h[key]["shape"].get<std::vector<std::size_t>>();
        const auto off = h[key]["data_offsets"].get<std::vector<std::size_t>>();
        xt::xtensor<float, 2> in_out = xt::xtensor<float, 2>::from_shape({shape[0], shape[1]});
        f.seekg(static_cast<std::streamoff>(8 + n + off[0]));
        f.read(reinterpret_cast<char*>(in_out.data()), static_cast<std::streamsize>(in_out.size() * 4));
        return xt::transpose(in_out);
    }

    void use_lite_ffn_gemv(benchmark::State& state, bool ternary)
    {
        const auto W = use_lite_ffn(state.range(0) == 1 ? "conv1" : "conv2");
        if (W.size() == 0)
        {
            state.SkipWithError("use_lite.safetensors not fetched (scripts/fetch_data.sh)");
            return;
        }
        set_threads(static_cast<int>(state.range(1)));
        const std::size_t N = W.shape(0), K = W.shape(1);
        const auto X = uniform(1, K, 3);
        const auto P = tt::quantize_pack_2bit(W);
        const auto a = tt::quantize_activations_int8(X);
        std::vector<float> y(N);
        for (auto _ : state)
        {
            if (ternary)
            {
                auto r = tt::gemv(P, a);
                benchmark::DoNotOptimize(r.data());
            }
            else
                cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(N), static_cast<int>(K), 1.0f, W.data(),
                            static_cast<int>(K), X.data(), 1, 0.0f, y.data(), 1);
            benchmark::DoNotOptimize(y.data());
        }
        weight_rate(state, ternary ? N * K / 4 : N * K * 4);
    }
    void use_lite_ffn_ternary_gemv(benchmark::State& s) { use_lite_ffn_gemv(s, true); }
    void use_lite_ffn_sgemv(benchmark::State& s) { use_lite_ffn_gemv(s, false); }

    const std::vector<std::pair<long, long>> shapes = {{4096, 4096}, {8192, 8192}, {2048, 8192}};

    void gemv_args(benchmark::internal::Benchmark* b)
    {
        for (auto [n, k] : shapes)
            for (long t : {1, 2})
                b->Args({n, k, t});
        b->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.3);
    }
    void gemv_kernel_args(benchmark::internal::Benchmark* b, bool scalar)
    {
        for (auto [n, k] : shapes)
            for (long t : {1, 2})
                for (long kern : {0L, 1L})
                    b->Args({n, k, t, kern});
        if (scalar)
            b->Args({2048, 8192, 1, 2});  // the scalar reference, once
        b->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.3);
    }
    void gemm_args(benchmark::internal::Benchmark* b)
    {
        for (auto [n, k] : shapes)
            for (long batch : {8, 128})
                for (long t : {1, 2})
                    b->Args({n, k, batch, t});
        b->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.2);
    }
}  // namespace

BENCHMARK(ternary_gemv)->Apply([](benchmark::internal::Benchmark* b) { gemv_kernel_args(b, true); });
BENCHMARK(ternary_gemv_base3)->Apply([](benchmark::internal::Benchmark* b) { gemv_kernel_args(b, false); });
BENCHMARK(ternary_gemv_f16)->Apply([](benchmark::internal::Benchmark* b) {
    for (auto [n, k] : shapes)
        for (long t : {1, 2})
            for (long layout : {0L, 1L})
                b->Args({n, k, t, layout});
    b->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.3);
});
BENCHMARK(ternary_gemv_float)->Apply(gemv_args);
BENCHMARK(openblas_sgemv)->Apply(gemv_args);
BENCHMARK(ternary_gemm)->Apply(gemm_args);
BENCHMARK(openblas_sgemm)->Apply(gemm_args);
BENCHMARK(ternary_quantize_pack)->Args({8192, 8192, 1})->Args({8192, 8192, 2})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);
BENCHMARK(use_lite_ffn_ternary_gemv)->Args({1, 1})->Args({2, 1})->Args({1, 2})->Args({2, 2})->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(use_lite_ffn_sgemv)->Args({1, 1})->Args({2, 1})->Args({1, 2})->Args({2, 2})->Unit(benchmark::kMicrosecond)->UseRealTime();
