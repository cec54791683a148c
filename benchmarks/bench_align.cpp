// tessera::align benchmarks: orthogonal Procrustes on 10,000 x 1024 and 50,000 x 512 float32
// pairs (B = A Q + noise), scipy's convention (no centring, reflections allowed) and the full
// default (centred, Kabsch guard), each beside the raw baseline sgemm + sgesdd + sgemm.
// Counters: rows/s, GFLOP/s of the 2 n p q cross-product, and R_err = max |R - R_double|
// (the accuracy the peer script compares against scipy's).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <utility>

#include <benchmark/benchmark.h>
#include <xtensor/xview.hpp>
#include <tessera/align.hpp>
#include <tessera/core.hpp>

namespace
{
    using tessera::blas::op;

    struct pair_data
    {
        xt::xtensor<float, 2> A, B;
        xt::xtensor<double, 2> R_ref_plain, R_ref_centred;  // double-precision references
    };

    /// A [n, d] ~ N(0,1) + 0.3 (a common offset, as in real embeddings); B = A Q + 0.1 N(0,1).
    const pair_data& data(std::size_t n, std::size_t d)
    {
        static std::map<std::pair<std::size_t, std::size_t>, pair_data> cache;
        auto it = cache.find({n, d});
        if (it != cache.end())
            return it->second;
        pair_data p;
        p.A = tessera::random_normal<float>(n, d, 1000 + d);
        p.A += 0.3f;
        auto G = tessera::random_normal<float>(d, d, 2000 + d);
        const auto Q = tessera::lapack::qr<float>(G).Q;
        p.B = tessera::blas::matmul(p.A, Q) + tessera::random_normal<float>(n, d, 3000 + d, 0, 0.1f);
        const xt::xtensor<double, 2> Ad = xt::cast<double>(p.A), Bd = xt::cast<double>(p.B);
        tessera::align::procrustes_options plain;
        plain.center = false;
        plain.allow_reflection = true;
        p.R_ref_plain = tessera::align::procrustes(Ad, Bd, plain).R;
        p.R_ref_centred = tessera::align::procrustes(Ad, Bd).R;
        return cache.emplace(std::make_pair(n, d), std::move(p)).first->second;
    }

    double max_err(const xt::xtensor<float, 2>& R, const xt::xtensor<double, 2>& ref)
    {
        double m = 0.0;
        for (std::size_t i = 0; i < R.size(); ++i)
            m = std::max(m, std::abs(static_cast<double>(R.data()[i]) - ref.data()[i]));
        return m;
    }

    void set_counters(benchmark::State& state, std::size_t n, std::size_t d, double err)
    {
        const double flops = 2.0 * double(n) * double(d) * double(d);
        state.counters["GFLOPs"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
        state.counters["rows_per_s"] = benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate);
        state.counters["R_err"] = err;
    }

    // scipy.linalg.orthogonal_procrustes' problem: no centring, reflections allowed.
    void BM_procrustes_plain(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
        const auto& p = data(n, d);
        tessera::align::procrustes_options o;
        o.center = false;
        o.allow_reflection = true;
        xt::xtensor<float, 2> R;
        for (auto _ : state)
        {
            auto t = tessera::align::procrustes(p.A, p.B, o);
            R = std::move(t.R);
            benchmark::DoNotOptimize(R.data());
        }
        set_counters(state, n, d, max_err(R, p.R_ref_plain));
    }

    // The default: centred (blocked, no copies), Kabsch guard, residual.
    void BM_procrustes_centred(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
        const auto& p = data(n, d);
        xt::xtensor<float, 2> R;
        for (auto _ : state)
        {
            auto t = tessera::align::procrustes(p.A, p.B);
            R = std::move(t.R);
            benchmark::DoNotOptimize(R.data());
        }
        set_counters(state, n, d, max_err(R, p.R_ref_centred));
    }

    // Raw baseline: sgemm A^T B, sgesdd, sgemm U Vt (what any implementation must do).
    void BM_raw_sgemm_sgesdd(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
        const auto& p = data(n, d);
        xt::xtensor<float, 2> R;
        for (auto _ : state)
        {
            auto M = tessera::blas::matmul(p.A, p.B, op::transpose, op::none);
            auto f = tessera::lapack::svd<float>(std::move(M));
            R = tessera::blas::matmul(f.U, f.Vt);
            benchmark::DoNotOptimize(R.data());
        }
        set_counters(state, n, d, max_err(R, p.R_ref_plain));
    }

    void sizes(benchmark::internal::Benchmark* b)
    {
        b->Args({10000, 1024})->Args({50000, 512})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
    }
    // PCA bridge 50,000 x 2560 -> 1024 (the Qwen 4B -> 0.8B seed's shapes): PCA of A through
    // tessera::spectral::pca, then a centred Procrustes onto B [50,000, 1024].
    struct bridge_data
    {
        xt::xtensor<float, 2> A, B;
    };
    const bridge_data& bridge(std::size_t n, std::size_t p, std::size_t q)
    {
        static bridge_data d;
        if (d.A.size() == 0)
        {
            // A decaying spectrum (column j scaled by 1 / sqrt(1 + j / 64)), like trained embeddings.
            d.A = tessera::random_normal<float>(n, p, 4001);
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < p; ++j)
                    d.A(i, j) /= std::sqrt(1.0f + static_cast<float>(j) / 64.0f);
            d.B = tessera::random_normal<float>(n, q, 4002);
        }
        return d;
    }

    void BM_pca_bridge(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0)), p = static_cast<std::size_t>(state.range(1)),
                   q = static_cast<std::size_t>(state.range(2));
        const auto& d = bridge(n, p, q);
        double retained = 0.0;
        for (auto _ : state)
        {
            auto r = tessera::align::pca_bridge(d.A, d.B);
            retained = r.retained_variance_a;
            benchmark::DoNotOptimize(r.transform.R.data());
        }
        state.counters["retained_variance"] = retained;
        state.counters["rows_per_s"] = benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate);
    }

    // Raw baseline: covariance by ssyrk (float), dsyevd on it in double, projection sgemm, then
    // sgemm + sgesdd + sgemm for the Procrustes step (no centring of the reduced B).
    void BM_raw_pca_ssyrk_dsyevd(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0)), p = static_cast<std::size_t>(state.range(1)),
                   q = static_cast<std::size_t>(state.range(2));
        const auto& d = bridge(n, p, q);
        for (auto _ : state)
        {
            auto C = tessera::blas::gram<float>(d.A);  // uncentred: the baseline skips the mean
            auto e = tessera::lapack::eigh<double>(xt::cast<double>(C));
            xt::xtensor<float, 2> V = xt::cast<float>(xt::view(e.vectors, xt::all(), xt::range(0, q)));
            auto Z = tessera::blas::matmul(d.A, V);
            auto M = tessera::blas::matmul(Z, d.B, op::transpose, op::none);
            auto f = tessera::lapack::svd<float>(std::move(M));
            auto R = tessera::blas::matmul(f.U, f.Vt);
            benchmark::DoNotOptimize(R.data());
        }
        state.counters["rows_per_s"] = benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate);
    }

    BENCHMARK(BM_procrustes_plain)->Apply(sizes);
    BENCHMARK(BM_procrustes_centred)->Apply(sizes);
    BENCHMARK(BM_raw_sgemm_sgesdd)->Apply(sizes);
    BENCHMARK(BM_pca_bridge)->Args({50000, 2560, 1024})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
    BENCHMARK(BM_raw_pca_ssyrk_dsyevd)
        ->Args({50000, 2560, 1024})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(1);
}  // namespace
