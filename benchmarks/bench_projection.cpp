// Random projection at embedding-matrix scale: a 151936 x 896 float matrix (the shape of
// Qwen2.5-0.5B's token embedding) projected to k in {128, 256, 600} and reconstructed.
// Baselines beside each library benchmark: the raw OpenBLAS sgemm of the same shapes, and the
// SVD pseudoinverse (numpy.linalg.pinv's algorithm) beside the structured Cholesky one.
// Error curves (projection + pinv vs truncated SVD) and distortion statistics are reported
// as counters of single-iteration benchmarks, on isotropic data and on real trained
// embeddings (GloVe 100d from $TESSERA_DATA_DIR/glove100d.npy and the stories260K token
// embedding from ../shared/data; each skipped when absent).
//
// TESSERA_BENCH_QUICK=1 (or scripts/bench.py --quick) runs everything on 16384 rows instead of
// 151936; the row count is reported as the `rows` counter of BM_project so the peer script
// runs the same size.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <xtensor/xview.hpp>
#include <tessera/core.hpp>
#include <tessera/io/npy.hpp>
#include <tessera/projection.hpp>

namespace
{
    using tessera::projection::projection_kind;
    using tessera::projection::random_projection;
    using tessera::projection::reconstruct_options;

    constexpr std::size_t d = 896;
    /// Quick mode: TESSERA_BENCH_QUICK=1, or the short --benchmark_min_time that
    /// `scripts/bench.py --quick` passes (read from /proc/self/cmdline, as the shared main owns argv).
    bool quick()
    {
        static const bool q = [] {
            const char* env = std::getenv("TESSERA_BENCH_QUICK");
            if (env && *env)
                return std::string(env) != "0";
            std::ifstream in("/proc/self/cmdline", std::ios::binary);
            std::string arg;
            while (std::getline(in, arg, '\0'))
                if (arg.rfind("--benchmark_min_time=", 0) == 0 && std::atof(arg.c_str() + 21) < 0.1)
                    return true;
            return false;
        }();
        return q;
    }
    std::size_t n_rows() { return quick() ? 16384 : 151936; }

    /// The isotropic workload W ~ N(0, 1), [n, 896] float (544 MB at full size), built once.
    const xt::xtensor<float, 2>& isotropic()
    {
        static const auto W = tessera::random_normal<float>(n_rows(), d, 2026);
        return W;
    }


    double relative_error(const xt::xtensor<float, 2>& W, const xt::xtensor<float, 2>& R)
    {
        double e = 0, w = 0;
        for (std::size_t i = 0; i < W.size(); ++i)
        {
            const double diff = double(W.data()[i]) - double(R.data()[i]);
            e += diff * diff;
            w += double(W.data()[i]) * double(W.data()[i]);
        }
        return std::sqrt(e / w);
    }

    /// Optimal rank-k error of truncated SVD for every k: sigma^2 are the singular values of
    /// the (PSD) Gram matrix W^T W, computed with tessera::lapack::svd.
    std::vector<double> svd_tail_errors(const xt::xtensor<float, 2>& W)
    {
        auto f = tessera::lapack::svd<double>(tessera::blas::gram<double>(W));
        std::vector<double> tail(f.S.size() + 1, 0.0);
        for (std::size_t i = f.S.size(); i-- > 0;)
            tail[i] = tail[i + 1] + f.S(i);
        std::vector<double> err(tail.size());
        for (std::size_t k = 0; k < tail.size(); ++k)
            err[k] = std::sqrt(tail[k] / tail[0]);
        return err;
    }

    /// stories260K token embedding [512, 64] (float32 after a 7-int32 header), or empty.
    xt::xtensor<float, 2> stories_embedding()
    {
        std::ifstream in(std::string(TESSERA_SHARED_DATA) + "/stories260K/stories260K.bin", std::ios::binary);
        xt::xtensor<float, 2> E = xt::xtensor<float, 2>::from_shape({0, 64});
        if (!in)
            return E;
        E = xt::xtensor<float, 2>::from_shape({512, 64});
        in.seekg(7 * 4);
        in.read(reinterpret_cast<char*>(E.data()), static_cast<std::streamsize>(E.size() * sizeof(float)));
        return E;
    }

    /// GloVe 100d (341,479 x 100) from $TESSERA_DATA_DIR/glove100d.npy (else data/ in the
    /// source tree), or an empty matrix when absent.
    const xt::xtensor<float, 2>& glove()
    {
        static const xt::xtensor<float, 2> G = [] {
            const char* env = std::getenv("TESSERA_DATA_DIR");
            const std::string path = std::string(env && *env ? env : TESSERA_SOURCE_DIR "/data") + "/glove100d.npy";
            if (!std::ifstream(path).good())
                return xt::xtensor<float, 2>(xt::xtensor<float, 2>::from_shape({0, 100}));
            return tessera::io::read_npy<float>(path);
        }();
        return G;
    }

    void set_rate_counters(benchmark::State& state, std::size_t n, double flops)
    {
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
        if (flops > 0)
            state.counters["GFLOPs"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    }

    template <projection_kind Kind>
    void BM_project(benchmark::State& state)
    {
        const auto k = static_cast<std::size_t>(state.range(0));
        const auto& W = isotropic();
        const random_projection<float> proj(d, k, Kind, 1);
        for (auto _ : state)
        {
            auto Y = proj.project(W);
            benchmark::DoNotOptimize(Y.data());
        }
        const double n = double(W.shape(0));
        set_rate_counters(state, W.shape(0), 2.0 * n * double(d) * double(k));  // dense-equivalent flops
        state.counters["nnz_per_col"] = double(proj.nnz()) / double(k);
        state.counters["rows"] = n;
    }

    /// Raw baseline: OpenBLAS sgemm of the same shapes ([n, 896] x [896, k]) into an output
    /// already faulted in (huge pages, touched before the timing): the GEMM alone. (Into a fresh
    /// 4 KiB-page output, as this row measured before 2026-12-05, the page faults inside the GEMM
    /// doubled its time on this VM.)
    void BM_baseline_sgemm(benchmark::State& state)
    {
        const auto k = static_cast<std::size_t>(state.range(0));
        const auto& W = isotropic();
        const auto P = tessera::random_normal<float>(d, k, 1);
        xt::xtensor<float, 2> Y = tessera::detail::fresh_tensor<float, 2>({W.shape(0), k});
        std::fill(Y.begin(), Y.end(), 0.0f);
        for (auto _ : state)
        {
            tessera::blas::detail::gemm_raw(tessera::blas::op::none, tessera::blas::op::none, W.shape(0), k, d, 1.0f,
                                            W.data(), d, P.data(), k, 0.0f, Y.data(), k);
            benchmark::DoNotOptimize(Y.data());
        }
        set_rate_counters(state, W.shape(0), 2.0 * double(W.shape(0)) * double(d) * double(k));
    }

    template <projection_kind Kind>
    void BM_generate(benchmark::State& state)
    {
        const auto k = static_cast<std::size_t>(state.range(0));
        for (auto _ : state)
        {
            random_projection<float> proj(d, k, Kind, 1);
            benchmark::DoNotOptimize(&proj);
        }
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(d * k));
    }

    template <bool Exact>
    void BM_pinv(benchmark::State& state)
    {
        const auto k = static_cast<std::size_t>(state.range(0));
        const random_projection<float> proj(d, k, projection_kind::gaussian, 1);
        reconstruct_options opt;
        opt.exact = Exact;
        for (auto _ : state)
        {
            auto r = proj.pseudoinverse(opt);
            benchmark::DoNotOptimize(r.matrix.data());
        }
    }

    /// reconstruct(Y): pinv + one [n, k] x [k, 896] GEMM. Exact = the numpy.linalg.pinv path.
    template <bool Exact>
    void BM_reconstruct(benchmark::State& state)
    {
        const auto k = static_cast<std::size_t>(state.range(0));
        const auto& W = isotropic();
        const random_projection<float> proj(d, k, projection_kind::gaussian, 1);
        const auto Y = proj.project(W);
        reconstruct_options opt;
        opt.exact = Exact;
        double err = 0;
        for (auto _ : state)
        {
            auto R = proj.reconstruct(Y, opt);
            benchmark::DoNotOptimize(R.data());
            state.PauseTiming();
            if (err == 0)
                err = relative_error(W, R);
            state.ResumeTiming();
        }
        set_rate_counters(state, W.shape(0), 2.0 * double(W.shape(0)) * double(d) * double(k));
        state.counters["rel_error"] = err;
    }

    /// Error curve on a matrix: relative Frobenius error of pinv reconstruction (per kind), of
    /// the scaled variant, and of the optimal truncated SVD of the same rank.
    void error_curve(benchmark::State& state, const xt::xtensor<float, 2>& W, const std::vector<double>& svd_err)
    {
        const auto k = static_cast<std::size_t>(state.range(0));
        const std::size_t dim = W.shape(1);
        for (auto _ : state)
        {
            for (auto kind : {projection_kind::gaussian, projection_kind::orthonormal, projection_kind::very_sparse})
            {
                const random_projection<float> proj(dim, k, kind, 7);
                const auto Y = proj.project(W);
                auto R = proj.reconstruct(Y);
                state.counters[std::string("err_") + tessera::projection::to_string(kind)] = relative_error(W, R);
                if (kind == projection_kind::gaussian)
                {
                    R *= float(double(dim) / double(k));
                    state.counters["err_scaled"] = relative_error(W, R);
                }
            }
        }
        state.counters["err_svd"] = svd_err[k];
        state.counters["sqrt_1_minus_k_over_d"] = std::sqrt(1.0 - double(k) / double(dim));
    }

    /// The error curve on isotropic data uses the first 32768 rows (the relative errors are
    /// the same at any n >> d, to the third decimal).
    void BM_error_curve_isotropic(benchmark::State& state)
    {
        static const std::size_t rows = std::min<std::size_t>(32768, n_rows());
        static const xt::xtensor<float, 2> W = xt::view(isotropic(), xt::range(0, rows), xt::all());
        static const auto svd_err = svd_tail_errors(W);
        error_curve(state, W, svd_err);
    }

    void BM_error_curve_stories260K(benchmark::State& state)
    {
        static const auto E = stories_embedding();
        if (E.shape(0) == 0)
        {
            state.SkipWithError("stories260K not present (../shared/data)");
            return;
        }
        static const auto svd_err = svd_tail_errors(E);
        error_curve(state, E, svd_err);
    }

    void BM_error_curve_glove100d(benchmark::State& state)
    {
        if (glove().shape(0) == 0)
        {
            state.SkipWithError("glove100d.npy not present ($TESSERA_DATA_DIR)");
            return;
        }
        static const auto svd_err = svd_tail_errors(glove());
        error_curve(state, glove(), svd_err);
    }

    /// Distortion of squared distances over 20000 sampled pairs of rows.
    void distortion(benchmark::State& state, const xt::xtensor<float, 2>& W)
    {
        const auto k = static_cast<std::size_t>(state.range(0));
        const auto kind = static_cast<projection_kind>(state.range(1));
        tessera::projection::distortion_options opt;
        opt.pairs = 20000;
        opt.eps = 0.1;
        for (auto _ : state)
        {
            const random_projection<float> proj(W.shape(1), k, kind, 3);
            const auto st = tessera::projection::distortion_report(W, proj, opt, 5);
            state.counters["mean"] = st.ratio.mean;
            state.counters["std"] = st.ratio.stddev;
            state.counters["q01"] = st.ratio.percentile(1);
            state.counters["q99"] = st.ratio.percentile(99);
            state.counters["max_abs_log"] = st.max_abs_log;
            state.counters["frac_outside_0.1"] = st.fraction_outside;
            state.counters["jl_eps"] = st.jl_eps;
            state.counters["jl_min_dim_0.1"] = double(st.jl_min_dim);
        }
        state.SetLabel(tessera::projection::to_string(kind));
    }
    void BM_distortion_isotropic(benchmark::State& state) { distortion(state, isotropic()); }
    void BM_distortion_glove100d(benchmark::State& state)
    {
        if (glove().shape(0) == 0)
        {
            state.SkipWithError("glove100d.npy not present ($TESSERA_DATA_DIR)");
            return;
        }
        distortion(state, glove());
    }
    void BM_distortion_stories260K(benchmark::State& state)
    {
        static const auto E = stories_embedding();
        if (E.shape(0) == 0)
        {
            state.SkipWithError("stories260K not present (../shared/data)");
            return;
        }
        distortion(state, E);
    }

    void timing_args(benchmark::internal::Benchmark* b)
    {
        b->Arg(128)->Arg(256)->Arg(600)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1)->Repetitions(3);
    }

    BENCHMARK(BM_baseline_sgemm)->Apply(timing_args);
    BENCHMARK(BM_project<projection_kind::gaussian>)->Apply(timing_args);
    BENCHMARK(BM_project<projection_kind::achlioptas>)->Apply(timing_args);
    BENCHMARK(BM_project<projection_kind::very_sparse>)->Apply(timing_args);
    BENCHMARK(BM_generate<projection_kind::gaussian>)->Arg(128)->Arg(600)->Unit(benchmark::kMillisecond);
    BENCHMARK(BM_generate<projection_kind::orthonormal>)->Arg(128)->Arg(600)->Unit(benchmark::kMillisecond);
    BENCHMARK(BM_generate<projection_kind::very_sparse>)->Arg(128)->Arg(600)->Unit(benchmark::kMillisecond);
    BENCHMARK(BM_pinv<false>)->Arg(128)->Arg(256)->Arg(600)->Unit(benchmark::kMillisecond)->Repetitions(3);
    BENCHMARK(BM_pinv<true>)->Arg(128)->Arg(256)->Arg(600)->Unit(benchmark::kMillisecond)->Repetitions(3);
    BENCHMARK(BM_reconstruct<false>)->Apply(timing_args);
    BENCHMARK(BM_reconstruct<true>)->Apply(timing_args);
    BENCHMARK(BM_error_curve_isotropic)->Arg(64)->Arg(128)->Arg(256)->Arg(448)->Arg(600)->Arg(800)->Iterations(1)
        ->Repetitions(1)->Unit(benchmark::kSecond);
    BENCHMARK(BM_error_curve_glove100d)->Arg(10)->Arg(25)->Arg(50)->Arg(75)->Arg(90)->Iterations(1)
        ->Repetitions(1)->Unit(benchmark::kMillisecond);
    BENCHMARK(BM_error_curve_stories260K)->Arg(4)->Arg(8)->Arg(16)->Arg(32)->Arg(48)->Arg(56)->Iterations(1)->Repetitions(1);
    BENCHMARK(BM_distortion_isotropic)
        ->ArgsProduct({{128, 600}, {int(projection_kind::gaussian), int(projection_kind::very_sparse)}})
        ->Iterations(1)
        ->Repetitions(1)
        ->Unit(benchmark::kMillisecond);
    BENCHMARK(BM_distortion_glove100d)
        ->ArgsProduct({{25, 75}, {int(projection_kind::gaussian), int(projection_kind::very_sparse)}})
        ->Iterations(1)
        ->Repetitions(1)
        ->Unit(benchmark::kMillisecond);
    BENCHMARK(BM_distortion_stories260K)
        ->ArgsProduct({{16, 48}, {int(projection_kind::gaussian), int(projection_kind::very_sparse)}})
        ->Iterations(1)
        ->Repetitions(1)
        ->Unit(benchmark::kMillisecond);
}  // namespace
