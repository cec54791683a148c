// Benchmarks of tessera::spectral: truncated SVD of float32 embedding-shaped matrices by the
// gram (its float32 route, the default for float, and gram_f64: the double Gram), randomized and
// exact paths, beside raw baselines: one sgemm pass A [m, n] x [n, l], the double Gram via dsyrk,
// the Gram from float block products summed in double (ssyrk), and the top r + 11 eigenpairs of
// the n x n Gram (syevr); ssyrk + that eigensolve + the sgemm pass is the float32 gram route's
// arithmetic floor. benchmarks/peers/spectral.py runs the same workloads in
// numpy / scikit-learn and reads this binary's JSON.
//
// Matrices (float32):
//   synthetic m x n "power law": A = X diag(s) H1 H2 H3 H4 with s_k = (k + 1)^-1/2, X(i, j)
//   uniform of variance 1/m from splitmix64(i n + j) (bit-identical in numpy), H_t Householder
//   reflections; shapes 32128 x 512 and 151936 x 896 (Qwen2.5-0.5B vocab x dim).
//   The exact path on 151936 x 896 (minutes on a loaded 2-core machine) runs only with
//   TESSERA_BENCH_SPECTRAL_FULL=1.
//   GloVe 341,479 x 100: $TESSERA_DATA_DIR/glove100d.npy (else data/ under the source tree);
//   skipped with a message when absent.
// Counters: rel_error = ||A - U S Vt||_F / ||A||_F of the returned factors (computed after
// timing), GFLOPs = a flop model of each method over the median time (see docs/spectral.md).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <tessera/core.hpp>
#include <tessera/io/npy.hpp>
#include <tessera/spectral.hpp>

namespace
{
    namespace sp = tessera::spectral;
    using tessera::blas::op;

    std::uint64_t splitmix64(std::uint64_t x)
    {
        x += 0x9E3779B97F4A7C15ULL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
        return x ^ (x >> 31);
    }

    // A = X diag(s) H_1 H_2 H_3 H_4: X(i, j) uniform of variance 1/m from splitmix64(i n + j),
    // s_j = (j + 1)^-1/2, H_t = I - 2 v_t v_t^T with v_t(j) from splitmix64(2^40 t + j),
    // normalized. numpy builds the same matrix up to float rounding (benchmarks/peers/spectral.py).
    xt::xtensor<float, 2> make_power_law(std::size_t m, std::size_t n)
    {
        xt::xtensor<float, 2> A = xt::xtensor<float, 2>::from_shape({m, n});
        const double scale = std::sqrt(12.0 / double(m));
        tessera::parallel_for(0, static_cast<std::ptrdiff_t>(m), [&](std::ptrdiff_t ii) {
            const auto i = static_cast<std::size_t>(ii);
            for (std::size_t j = 0; j < n; ++j)
            {
                const double u = double(splitmix64(i * n + j) >> 40) * 0x1.0p-24;
                A(i, j) = static_cast<float>((u - 0.5) * scale * std::pow(double(j + 1), -0.5));
            }
        });
        for (std::uint64_t t = 1; t <= 4; ++t)
        {
            xt::xtensor<float, 2> v = xt::xtensor<float, 2>::from_shape({n, 1});
            double norm = 0;
            for (std::size_t j = 0; j < n; ++j)
            {
                v(j, 0) = static_cast<float>(double(splitmix64((t << 40) + j) >> 40) * 0x1.0p-24 - 0.5);
                norm += double(v(j, 0)) * double(v(j, 0));
            }
            v /= static_cast<float>(std::sqrt(norm));
            auto Av = tessera::blas::matmul(A, v);  // [m, 1]
            tessera::blas::gemm(op::none, op::transpose, -2.0f, Av, v, 1.0f, A);
        }
        return A;
    }

    std::string glove_path()
    {
        const char* env = std::getenv("TESSERA_DATA_DIR");
        return std::string(env && *env ? env : TESSERA_SOURCE_DIR "/data") + "/glove100d.npy";
    }

    const xt::xtensor<float, 2>& matrix(const std::string& name)
    {
        static std::map<std::string, std::unique_ptr<xt::xtensor<float, 2>>> cache;
        auto& slot = cache[name];
        if (!slot)
        {
            slot = std::make_unique<xt::xtensor<float, 2>>();
            if (name == "glove_341479x100")
            {
                if (std::filesystem::exists(glove_path()))
                    *slot = tessera::io::read_npy<float>(glove_path());
            }
            else
            {
                const auto x = name.find('x');
                *slot = make_power_law(std::stoull(name.substr(0, x)), std::stoull(name.substr(x + 1)));
            }
        }
        return *slot;
    }

    // Marks the benchmark skipped (with the path looked for) when its matrix is absent.
    bool skipped(benchmark::State& state, const xt::xtensor<float, 2>& A)
    {
        if (A.size() != 0)
            return false;
        state.SkipWithError(("data not present: " + glove_path()).c_str());
        return true;
    }

    // ||A - U S Vt||_F / ||A||_F, in 4096-row blocks (sgemm), accumulated in double.
    double relative_error(const xt::xtensor<float, 2>& A, const sp::svd_result<float>& f)
    {
        const std::size_t m = A.shape(0), n = A.shape(1), r = f.S.size();
        xt::xtensor<float, 2> US = f.U * xt::view(f.S, xt::newaxis(), xt::all());
        std::vector<float> buf(4096 * n);
        double err = 0, total = 0;
        for (std::size_t r0 = 0; r0 < m; r0 += 4096)
        {
            const std::size_t rows = std::min<std::size_t>(4096, m - r0);
            std::copy(A.data() + r0 * n, A.data() + (r0 + rows) * n, buf.begin());
            for (std::size_t i = 0; i < rows * n; ++i)
                total += double(buf[i]) * double(buf[i]);
            tessera::blas::detail::gemm_raw(op::none, op::none, rows, n, r, -1.0f, US.data() + r0 * r, r,
                                            f.Vt.data(), n, 1.0f, buf.data(), n);
            for (std::size_t i = 0; i < rows * n; ++i)
                err += double(buf[i]) * double(buf[i]);
        }
        return std::sqrt(err / total);
    }

    // Flop models (per call): gram m n^2 (syrk) + 2 m n r (U), its float32 route m n^2 + 2 m n l
    // + m l^2 + 2 m l r; randomized (2q + 2) 2 m n l GEMMs; exact 4 m n^2 (QR + bidiagonalization,
    // ignoring the n^3 terms).
    double flops(sp::svd_method method, std::size_t m, std::size_t n, std::size_t r, bool float32_gram,
                 bool block_krylov = false)
    {
        const double M = double(m), N = double(n), R = double(r), L = double(std::min(r + 10, n));
        switch (method)
        {
            case sp::svd_method::gram:
                return float32_gram ? M * N * N + 2 * M * N * L + M * L * L + 2 * M * L * R : M * N * N + 2 * M * N * R;
            case sp::svd_method::randomized:
                // block Krylov q = 3, p = 0: 7 passes of r columns (the Rayleigh-Ritz step not counted)
                return block_krylov ? 7 * 2 * M * N * R : 10 * 2 * M * N * L;
            default: return 4 * M * N * N;
        }
    }

    // gram_float32: the gram path's float32 route (the default) or the double Gram (false).
    // block_krylov: the randomized route's block Krylov variant with q = 3, p = 0 (docs/spectral.md).
    void run_svd(benchmark::State& state, const std::string& name, std::size_t r, sp::svd_method method,
                 bool gram_float32 = true, bool block_krylov = false)
    {
        const auto& A = matrix(name);
        if (skipped(state, A))
            return;
        sp::truncated_svd_options o;
        o.method = method;
        o.gram_float32 = gram_float32;
        if (block_krylov)
        {
            o.block_krylov = true;
            o.power_iterations = 3;
            o.oversampling = 0;
        }
        sp::svd_result<float> f;
        for (auto _ : state)
        {
            f = sp::truncated_svd(A, r, o);
            benchmark::DoNotOptimize(f.S.data());
        }
        state.counters["rel_error"] = relative_error(A, f);
        state.counters["fallback"] = f.status.ok() ? 0 : 1;
        state.counters["GFLOPs"] = benchmark::Counter(flops(f.method, A.shape(0), A.shape(1), r, gram_float32, block_krylov) * 1e-9,
                                                      benchmark::Counter::kIsIterationInvariantRate);
    }

    // Raw baselines: one sgemm pass Y = A Omega (Omega [n, l]) and the double Gram via dsyrk.
    void run_sgemm(benchmark::State& state, const std::string& name, std::size_t l)
    {
        const auto& A = matrix(name);
        if (skipped(state, A))
            return;
        auto omega = tessera::random_normal<float>(A.shape(1), l, 1);
        xt::xtensor<float, 2> Y = xt::zeros<float>({A.shape(0), l});  // touched: no first-touch faults in the timing
        for (auto _ : state)
        {
            tessera::blas::gemm(op::none, op::none, 1.0f, A, omega, 0.0f, Y);
            benchmark::DoNotOptimize(Y.data());
        }
        state.counters["GFLOPs"] = benchmark::Counter(2.0 * double(A.shape(0)) * double(A.shape(1)) * double(l) * 1e-9,
                                                      benchmark::Counter::kIsIterationInvariantRate);
    }

    // The float32 gram route's floor pieces: the Gram from float block products summed in double
    // (blas::gram<double, float>), and (run_eigh_top) the eigensolve.
    void run_ssyrk(benchmark::State& state, const std::string& name)
    {
        const auto& A = matrix(name);
        if (skipped(state, A))
            return;
        for (auto _ : state)
        {
            auto G = tessera::blas::gram<double, float>(A);
            benchmark::DoNotOptimize(G.data());
        }
        state.counters["GFLOPs"] = benchmark::Counter(double(A.shape(0)) * double(A.shape(1)) * double(A.shape(1)) *
                                                          1e-9,
                                                      benchmark::Counter::kIsIterationInvariantRate);
    }

    // The top `count` eigenpairs of the n x n Gram (lapack::eigh_top, syevr), what both gram routes solve.
    void run_eigh_top(benchmark::State& state, const std::string& name, std::size_t count)
    {
        const auto& A = matrix(name);
        if (skipped(state, A))
            return;
        const auto G = tessera::blas::gram<double, float>(A);
        for (auto _ : state)
        {
            auto e = tessera::lapack::eigh_top<double>(G, std::min(count, G.shape(0)));
            benchmark::DoNotOptimize(e.values.data());
        }
    }

    void run_dsyrk(benchmark::State& state, const std::string& name)
    {
        const auto& A = matrix(name);
        if (skipped(state, A))
            return;
        for (auto _ : state)
        {
            auto G = tessera::blas::gram<double>(A);
            benchmark::DoNotOptimize(G.data());
        }
        state.counters["GFLOPs"] = benchmark::Counter(double(A.shape(0)) * double(A.shape(1)) * double(A.shape(1)) *
                                                          1e-9,
                                                      benchmark::Counter::kIsIterationInvariantRate);
    }

    void configure(benchmark::internal::Benchmark* b, int repetitions)
    {
        b->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1)->Repetitions(repetitions);
        if (repetitions > 1)
            b->ReportAggregatesOnly(true);
    }

    const bool registered = [] {
        struct shape
        {
            std::string name;
            std::vector<std::size_t> ranks;
            int reps;
            bool exact;
        };
        const char* full_env = std::getenv("TESSERA_BENCH_SPECTRAL_FULL");
        const bool full = full_env && std::string(full_env) == "1";
        const std::vector<shape> shapes = {{"32128x512", {64, 256}, 3, true},
                                           {"151936x896", {64, 256}, full ? 3 : 1, full},
                                           {"glove_341479x100", {64}, 3, true}};
        for (const auto& s : shapes)
        {
            for (std::size_t r : s.ranks)
            {
                const std::string tag = s.name + "/r" + std::to_string(r);
                configure(benchmark::RegisterBenchmark(("spectral/gram/" + tag).c_str(), run_svd, s.name, r,
                                                       sp::svd_method::gram, true, false),
                          s.reps);
                configure(benchmark::RegisterBenchmark(("spectral/gram_f64/" + tag).c_str(), run_svd, s.name, r,
                                                       sp::svd_method::gram, false, false),
                          s.reps);
                configure(benchmark::RegisterBenchmark(("spectral/randomized/" + tag).c_str(), run_svd, s.name, r,
                                                       sp::svd_method::randomized, true, false),
                          s.reps);
                configure(benchmark::RegisterBenchmark(("spectral/block_krylov/" + tag).c_str(), run_svd, s.name, r,
                                                       sp::svd_method::randomized, true, true),
                          s.reps);
                configure(benchmark::RegisterBenchmark(("baseline/eigh_top/" + s.name + "/l" + std::to_string(r + 11))
                                                           .c_str(),
                                                       run_eigh_top, s.name, r + 11),
                          s.reps);
                configure(benchmark::RegisterBenchmark(("baseline/sgemm_pass/" + s.name + "/l" +
                                                        std::to_string(r + 10)).c_str(),
                                                       run_sgemm, s.name, r + 10),
                          s.reps);
            }
            // exact (gesdd) costs the same at any rank: once, at the first rank.
            if (s.exact)
                configure(benchmark::RegisterBenchmark(
                              ("spectral/exact/" + s.name + "/r" + std::to_string(s.ranks[0])).c_str(), run_svd,
                              s.name, s.ranks[0], sp::svd_method::exact, true, false),
                          1);
            configure(benchmark::RegisterBenchmark(("baseline/gram_dsyrk/" + s.name).c_str(), run_dsyrk, s.name),
                      s.reps);
            configure(benchmark::RegisterBenchmark(("baseline/gram_ssyrk/" + s.name).c_str(), run_ssyrk, s.name),
                      s.reps);

        }
        return true;
    }();
}  // namespace
