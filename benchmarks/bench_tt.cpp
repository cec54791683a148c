// tt benchmarks: TT-SVD of an FFN-shaped power-law matrix (4096 x 1024, 4 interleaved cores,
// modes (8,8,8,8) x (4,8,8,4)) at max rank 32 and 64 beside a full LAPACK SVD of the same
// matrix; TT matvec / matmat at several ranks beside dense OpenBLAS sgemv / sgemm, with the
// parameter fraction as a counter; the error/parameter curve (counters); and the real USE-lite
// FFN weights (512 x 1536, 1536 x 512) from $TESSERA_DATA_DIR/use_lite.safetensors when present.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <tessera/core.hpp>
#include <tessera/tt.hpp>
#include <xtensor/xview.hpp>

namespace
{
    using tessera::tt::tt_matrix;
    const std::vector<std::size_t> kRows{8, 8, 8, 8}, kCols{4, 8, 8, 4};

    /// W = U diag((i+1)^-1) V^T, 4096 x 1024, U and V random orthonormal (seeded).
    const xt::xtensor<float, 2>& power_law()
    {
        static const xt::xtensor<float, 2> W = [] {
            const std::size_t m = 4096, n = 1024;
            auto U = tessera::lapack::qr<float>(tessera::random_normal<float>(m, n, 2026, 0)).Q;
            auto V = tessera::lapack::qr<float>(tessera::random_normal<float>(n, n, 2026, 1)).Q;
            for (std::size_t j = 0; j < n; ++j)
                for (std::size_t i = 0; i < m; ++i)
                    U(i, j) *= static_cast<float>(1.0 / double(j + 1));
            return tessera::blas::matmul(U, V, tessera::blas::op::none, tessera::blas::op::transpose);
        }();
        return W;
    }

    double rel_error(const xt::xtensor<float, 2>& A, const xt::xtensor<float, 2>& B)
    {
        double e = 0, n = 0;
        for (std::size_t i = 0; i < A.size(); ++i)
        {
            const double d = double(A.data()[i]) - double(B.data()[i]);
            e += d * d;
            n += double(B.data()[i]) * double(B.data()[i]);
        }
        return std::sqrt(e / n);
    }

    const tt_matrix<float>& cached_tt(std::size_t rank)
    {
        static std::map<std::size_t, std::unique_ptr<tt_matrix<float>>> cache;
        auto& p = cache[rank];
        if (!p)
            p = std::make_unique<tt_matrix<float>>(tessera::tt::to_tt_matrix(power_law(), kRows, kCols, {rank, 0.0}));
        return *p;
    }

    void BM_tt_svd_powerlaw(benchmark::State& state)
    {
        const auto rank = static_cast<std::size_t>(state.range(0));
        const auto& W = power_law();
        double err = 0, frac = 0;
        for (auto _ : state)
        {
            auto A = tessera::tt::to_tt_matrix(W, kRows, kCols, {rank, 0.0});
            benchmark::DoNotOptimize(A.train().core(0).data());
            state.PauseTiming();
            err = rel_error(A.to_dense(), W);
            frac = 1.0 / A.compression_ratio();
            state.ResumeTiming();
        }
        state.counters["rel_error"] = err;
        state.counters["param_fraction"] = frac;
    }
    BENCHMARK(BM_tt_svd_powerlaw)->Arg(32)->Arg(64)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

    // The same with every unfolding factored by a full gesdd (svd_method::exact), as tensorly does.
    void BM_tt_svd_powerlaw_exact(benchmark::State& state)
    {
        const auto rank = static_cast<std::size_t>(state.range(0));
        const auto& W = power_law();
        tessera::tt::tt_options o{rank, 0.0};
        o.method = tessera::tt::svd_method::exact;
        double err = 0;
        for (auto _ : state)
        {
            auto A = tessera::tt::to_tt_matrix(W, kRows, kCols, o);
            benchmark::DoNotOptimize(A.train().core(0).data());
            state.PauseTiming();
            err = rel_error(A.to_dense(), W);
            state.ResumeTiming();
        }
        state.counters["rel_error"] = err;
    }
    BENCHMARK(BM_tt_svd_powerlaw_exact)->Arg(32)->Arg(64)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

    // Raw baseline: one LAPACK SVD (gesdd) of the whole 4096 x 1024 matrix.
    void BM_lapack_svd_dense(benchmark::State& state)
    {
        const auto& W = power_law();
        for (auto _ : state)
        {
            auto f = tessera::lapack::svd<float>(W);
            benchmark::DoNotOptimize(f.S.data());
        }
    }
    BENCHMARK(BM_lapack_svd_dense)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

    void BM_tt_matvec(benchmark::State& state)
    {
        const auto& A = cached_tt(static_cast<std::size_t>(state.range(0)));
        auto x = tessera::random_normal<float>(1024, 1, 5);
        xt::xtensor<float, 1> xv = xt::view(x, xt::all(), 0);
        for (auto _ : state)
        {
            auto y = A.matvec(xv);
            benchmark::DoNotOptimize(y.data());
        }
        state.counters["param_fraction"] = 1.0 / A.compression_ratio();
        state.counters["flops_dense_equiv"] =
            benchmark::Counter(2.0 * 4096 * 1024, benchmark::Counter::kIsIterationInvariantRate);
    }
    BENCHMARK(BM_tt_matvec)->Arg(4)->Arg(8)->Arg(16)->Arg(32)->Arg(64)->Unit(benchmark::kMicrosecond)->UseRealTime();

    // Raw baseline: OpenBLAS sgemv on the dense 4096 x 1024 matrix.
    void BM_dense_sgemv(benchmark::State& state)
    {
        const auto& W = power_law();
        auto x = tessera::random_normal<float>(1024, 1, 5);
        xt::xtensor<float, 1> xv = xt::view(x, xt::all(), 0);
        for (auto _ : state)
        {
            auto y = tessera::blas::matvec(W, xv);
            benchmark::DoNotOptimize(y.data());
        }
        state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * int64_t(4096 * 1024 * 4));
    }
    BENCHMARK(BM_dense_sgemv)->Unit(benchmark::kMicrosecond)->UseRealTime();

    void BM_tt_matmat64(benchmark::State& state)
    {
        const auto& A = cached_tt(static_cast<std::size_t>(state.range(0)));
        auto X = tessera::random_normal<float>(1024, 64, 6);
        for (auto _ : state)
        {
            auto Y = A.matmat(X);
            benchmark::DoNotOptimize(Y.data());
        }
        state.counters["param_fraction"] = 1.0 / A.compression_ratio();
    }
    BENCHMARK(BM_tt_matmat64)->Arg(8)->Arg(32)->Arg(64)->Unit(benchmark::kMicrosecond)->UseRealTime();

    void BM_dense_sgemm64(benchmark::State& state)
    {
        const auto& W = power_law();
        auto X = tessera::random_normal<float>(1024, 64, 6);
        for (auto _ : state)
        {
            auto Y = tessera::blas::matmul(W, X);
            benchmark::DoNotOptimize(Y.data());
        }
    }
    BENCHMARK(BM_dense_sgemm64)->Unit(benchmark::kMicrosecond)->UseRealTime();

    // Error/parameter curve of the power-law matrix: rel_eps -> measured error, parameter fraction.
    // The time is that of one TT-SVD with that eps (no rank cap).
    void BM_tt_curve_eps(benchmark::State& state)
    {
        const double eps = double(state.range(0)) / 1000.0;
        const auto& W = power_law();
        double err = 0, frac = 0;
        for (auto _ : state)
        {
            auto A = tessera::tt::to_tt_matrix(W, kRows, kCols, {~std::size_t(0), eps});
            state.PauseTiming();
            err = rel_error(A.to_dense(), W);
            frac = 1.0 / A.compression_ratio();
            state.ResumeTiming();
        }
        state.counters["rel_eps"] = eps;
        state.counters["rel_error"] = err;
        state.counters["param_fraction"] = frac;
    }
    BENCHMARK(BM_tt_curve_eps)->Arg(50)->Arg(100)->Arg(200)->Arg(400)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

    /// Reads one F32 tensor from a safetensors file (8-byte little-endian header length, JSON
    /// header, raw data). Local to the benchmark until tessera::io offers safetensors.
    xt::xtensor<float, 2> read_safetensors_f32(const std::string& file, const std::string& name)
    {
        std::ifstream in(file, std::ios::binary);
        std::uint64_t hlen = 0;
        in.read(reinterpret_cast<char*>(&hlen), 8);
        std::string header(hlen, '\0');
        in.read(header.data(), static_cast<std::streamsize>(hlen));
        auto j = nlohmann::json::parse(header);
        const auto& t = j.at(name);
        const std::size_t r = t.at("shape")[0], c = t.at("shape")[1];
        const std::uint64_t begin = t.at("data_offsets")[0];
        xt::xtensor<float, 2> W = xt::xtensor<float, 2>::from_shape({r, c});
        in.seekg(static_cast<std::streamoff>(8 + hlen + begin));
        in.read(reinterpret_cast<char*>(W.data()), static_cast<std::streamsize>(r * c * sizeof(float)));
        if (!in)
            throw std::runtime_error("cannot read " + name + " from " + file);
        return W;
    }

    std::string use_lite_path()
    {
        const char* env = std::getenv("TESSERA_DATA_DIR");
        std::string p = std::string(env && *env ? env : TESSERA_SOURCE_DIR "/data") + "/use_lite.safetensors";
        return std::ifstream(p).good() ? p : std::string();
    }

    const char* kFfn[2] = {
        "module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/Layer_1/TransformerLayer/FFN/conv1/"
        "Tensordot/Reshape_1",
        "module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/Layer_1/TransformerLayer/FFN/conv2/"
        "Tensordot/Reshape_1"};

    // USE-lite FFN weight (arg0: 0 = conv1 512x1536, 1 = conv2 1536x512), TT-SVD with rel_eps
    // arg1/1000, d = 3: 512 = 8x8x8, 1536 = 8x12x16 (conv2 transposed roles).
    void BM_tt_svd_use_lite(benchmark::State& state)
    {
        const std::string file = use_lite_path();
        if (file.empty())
        {
            state.SkipWithError("use_lite.safetensors not present in $TESSERA_DATA_DIR");
            return;
        }
        const auto W = read_safetensors_f32(file, kFfn[state.range(0)]);
        const std::vector<std::size_t> a{8, 8, 8}, b{8, 12, 16};
        const bool first = state.range(0) == 0;
        const double eps = double(state.range(1)) / 1000.0;
        double err = 0, frac = 0, mv_ratio = 0;
        for (auto _ : state)
        {
            auto A = tessera::tt::to_tt_matrix(W, first ? a : b, first ? b : a, {~std::size_t(0), eps});
            state.PauseTiming();
            err = rel_error(A.to_dense(), W);
            frac = 1.0 / A.compression_ratio();
            mv_ratio = double(A.ranks()[1]);
            state.ResumeTiming();
        }
        state.counters["rel_eps"] = eps;
        state.counters["rel_error"] = err;
        state.counters["param_fraction"] = frac;
        state.counters["r1"] = mv_ratio;
    }
    BENCHMARK(BM_tt_svd_use_lite)
        ->ArgsProduct({{0, 1}, {100, 300, 500}})
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
}  // namespace
