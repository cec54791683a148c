// tessera::stream: moments, covariance spectrum, PCA and SVD read in blocks, against the
// in-memory routes (spectral::pca, spectral::truncated_svd, stats::covariance_spectrum) and a
// long-double two-pass reference, over every block size and source kind.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include <tessera/core/random.hpp>
#include <tessera/io/npy.hpp>
#include <tessera/io/safetensors.hpp>
#include <tessera/spectral/pca.hpp>
#include <tessera/spectral/truncated_svd.hpp>
#include <tessera/stats/spectrum.hpp>
#include <tessera/stream.hpp>

namespace st = tessera::stream;
namespace fs = std::filesystem;

namespace
{
    /// A [m, n] matrix with a decaying spectrum (sigma_j ~ 0.8^j) plus noise and a mean of
    /// `offset` per column: the shape of activations (large shared mean, few strong directions).
    template <class T>
    xt::xtensor<T, 2> activations(std::size_t m, std::size_t n, double offset, std::uint64_t seed)
    {
        auto Z = tessera::random_normal<double>(m, n, seed, 1);
        auto R = tessera::random_normal<double>(n, n, seed, 2);
        xt::xtensor<T, 2> X = xt::xtensor<T, 2>::from_shape({m, n});
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j)
            {
                double v = offset * (1.0 + 0.01 * static_cast<double>(j));
                for (std::size_t c = 0; c < n; ++c)
                    v += Z(i, c) * std::pow(0.8, static_cast<double>(c)) * R(c, j) / std::sqrt(static_cast<double>(n));
                X(i, j) = static_cast<T>(v);
            }
        return X;
    }

    fs::path temp_dir(const std::string& name)
    {
        auto d = fs::temp_directory_path() / ("tessera_stream_" + name + "_" + std::to_string(::getpid()));
        fs::create_directories(d);
        return d;
    }

    template <class T>
    double max_abs(const xt::xtensor<T, 2>& a, const xt::xtensor<T, 2>& b)
    {
        double w = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            w = std::max(w, std::abs(static_cast<double>(a.data()[i]) - static_cast<double>(b.data()[i])));
        return w;
    }
}  // namespace

TEST_CASE_TEMPLATE("row_source reads .npy (any float dtype, N-d), safetensors and shards as one matrix", T, float, double)
{
    const auto dir = temp_dir("source");
    auto X = activations<double>(300, 7, 0.0, 3);
    // float32 .npy of shape [3, 100, 7] -> 300 rows
    xt::xtensor<float, 3> X3 = xt::xtensor<float, 3>::from_shape({3, 100, 7});
    for (std::size_t i = 0; i < X.size(); ++i)
        X3.data()[i] = static_cast<float>(X.data()[i]);
    tessera::io::write_npy((dir / "a.npy").string(), X3);
    auto a = st::open_npy((dir / "a.npy").string());
    CHECK(a.rows() == 300);
    CHECK(a.cols() == 7);
    auto A = a.read_matrix<T>(0, 300);
    for (std::size_t i = 0; i < A.size(); ++i)
        CHECK(A.data()[i] == static_cast<T>(X3.data()[i]));
    // float16 and float64 shards, safetensors BF16: one source of 3 x 300 rows
    tessera::io::write_npy((dir / "b.npy").string(), X, tessera::io::dtype::float16);
    tessera::io::write_safetensors<double>((dir / "c.safetensors").string(), {{"acts", X}, {"other", xt::xarray<double>({1.0, 2.0})}},
                                           tessera::io::dtype::bfloat16);
    auto s = st::open_shards({(dir / "a.npy").string(), (dir / "b.npy").string(), (dir / "c.safetensors").string()}, "acts");
    CHECK(s.rows() == 900);
    CHECK(s.parts().size() == 3);
    auto h = tessera::io::read_npy<T>((dir / "b.npy").string());
    auto S = s.read_matrix<T>(250, 100);  // straddles a.npy and b.npy
    for (std::size_t j = 0; j < 7; ++j)
    {
        CHECK(S(0, j) == static_cast<T>(X3.data()[250 * 7 + j]));
        CHECK(S(50, j) == h(0, j));
        CHECK(S(99, j) == h(49, j));
    }
    auto tail = s.slice(600, 300).read_matrix<double>(0, 300);
    for (std::size_t i = 0; i < tail.size(); ++i)
        CHECK(tail.data()[i] == doctest::Approx(X.data()[i]).epsilon(1e-2));  // bfloat16: 8 bits
    // shards of ranks cover the rows exactly once
    std::size_t covered = 0;
    for (std::size_t r = 0; r < 4; ++r)
        covered += s.shard(r, 4).rows();
    CHECK(covered == 900);
    // a folder of .npy
    const auto f = dir / "folder";
    fs::create_directories(f);
    tessera::io::write_npy((f / "part-001.npy").string(), xt::xtensor<double, 2>(xt::view(X, xt::range(100, 300), xt::all())));
    tessera::io::write_npy((f / "part-000.npy").string(), xt::xtensor<double, 2>(xt::view(X, xt::range(0, 100), xt::all())));
    auto F = st::open_folder(f.string()).read_matrix<double>(0, 300);
    CHECK(max_abs(F, X) == 0.0);

    SUBCASE("bad input is named")
    {
        CHECK_THROWS_WITH_AS(s.slice(800, 101), doctest::Contains("stream::row_source::slice"), tessera::invalid_argument);
        CHECK_THROWS_WITH_AS(st::open_safetensors((dir / "c.safetensors").string(), "nope"),
                             doctest::Contains("no tensor named 'nope' (has: "), tessera::io_error);
        tessera::io::write_npy((dir / "wide.npy").string(), xt::xtensor<double, 2>(xt::zeros<double>({2, 8})));
        CHECK_THROWS_WITH_AS(st::open_shards({(dir / "a.npy").string(), (dir / "wide.npy").string()}),
                             doctest::Contains("must have 7 columns"), tessera::invalid_argument);
        tessera::io::write_npy((dir / "f.npy").string(), X, tessera::io::dtype::float64, tessera::io::npy_order::fortran);
        CHECK_THROWS_WITH_AS(st::open_npy((dir / "f.npy").string()), doctest::Contains("Fortran order"), tessera::io_error);
        CHECK_THROWS_WITH_AS(st::open_shards({(dir / "x.txt").string()}), doctest::Contains("must end in .npy or .safetensors"),
                             tessera::invalid_argument);
        CHECK_THROWS_AS(st::open_npy((dir / "missing.npy").string()), tessera::io_error);
        // a file truncated after it was opened: the read fails with io_error, never reads garbage
        auto t = st::open_npy((dir / "b.npy").string());
        fs::resize_file(dir / "b.npy", 200);
        std::vector<unsigned char> scratch;
        std::vector<T> buf(300 * 7);
        CHECK_THROWS_WITH_AS(t.read<T>(0, 300, buf.data(), scratch), doctest::Contains("unexpected end of file"),
                             tessera::io_error);
    }
    fs::remove_all(dir);
}

TEST_CASE_TEMPLATE("column_statistics and covariance_moments equal a long-double two-pass reference, any block size", T, float, double)
{
    // A mean of 1e4 over a spread of ~1: sum x^2 - n mean^2 would lose every digit in float.
    auto X = activations<T>(1001, 9, 1e4, 5);
    const std::size_t m = 1001, n = 9;
    std::vector<long double> mean(n, 0.0L);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
            mean[j] += X(i, j);
    for (auto& v : mean)
        v /= m;
    std::vector<long double> C(n * n, 0.0L);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t a = 0; a < n; ++a)
            for (std::size_t b = 0; b < n; ++b)
                C[a * n + b] += (X(i, a) - mean[a]) * (X(i, b) - mean[b]);
    for (std::size_t block : {std::size_t(1), std::size_t(7), std::size_t(64), std::size_t(5000)})
        for (bool prefetch : {true, false})
        {
            st::stream_options o;
            o.block_rows = block;
            o.prefetch = prefetch;
            std::size_t calls = 0, last = 0;
            o.progress = [&](std::size_t done, std::size_t total, std::size_t pass) {
                ++calls;
                CHECK(total == m);
                CHECK(pass == 1);
                CHECK(done > last);
                last = done;
            };
            auto M = st::covariance_moments(st::from_matrix(X), o);
            CHECK(M.count == m);
            CHECK(last == m);
            CHECK(calls == (m + std::min(block, m) - 1) / std::min(block, m));
            CHECK(M.report.passes == 1);
            CHECK(M.report.bytes_read == m * n * sizeof(T));
            for (std::size_t j = 0; j < n; ++j)
            {
                // running-mean updates: error <= blocks * eps_double
                CHECK(M.mean[j] == doctest::Approx(static_cast<double>(mean[j])).epsilon(m * 2.3e-16));
                CHECK(M.m2[j] == doctest::Approx(static_cast<double>(C[j * n + j])).epsilon(1e-11));
                for (std::size_t b = 0; b < n; ++b)
                    CHECK(std::abs(M.scatter(j, b) - static_cast<double>(C[j * n + b])) <=
                          1e-11 * static_cast<double>(C[j * n + j] + C[b * n + b]));
            }
            o.progress = nullptr;
            auto S = st::column_statistics(st::from_matrix(X), o);
            CHECK_FALSE(S.has_scatter());
            const auto var = S.variance(1);
            for (std::size_t j = 0; j < n; ++j)
            {
                CHECK(var[j] == doctest::Approx(static_cast<double>(C[j * n + j] / (m - 1))).epsilon(1e-11));
                double lo = 1e300, hi = -1e300;
                for (std::size_t i = 0; i < m; ++i)
                {
                    lo = std::min(lo, static_cast<double>(X(i, j)));
                    hi = std::max(hi, static_cast<double>(X(i, j)));
                }
                CHECK(S.min[j] == lo);
                CHECK(S.max[j] == hi);
            }
        }
    // merging the moments of two halves gives the moments of the whole
    auto src = st::from_matrix(X);
    auto A = st::covariance_moments(src.slice(0, 400));
    A.merge(st::covariance_moments(src.slice(400, 601)));
    auto W = st::covariance_moments(src);
    CHECK(A.count == W.count);
    for (std::size_t j = 0; j < n; ++j)
    {
        CHECK(A.mean[j] == doctest::Approx(W.mean[j]).epsilon(1e-15));
        for (std::size_t b = 0; b < n; ++b)
            CHECK(std::abs(A.scatter(j, b) - W.scatter(j, b)) <= 1e-11 * (W.scatter(j, j) + W.scatter(b, b)));
    }
    CHECK_THROWS_WITH_AS(st::column_statistics(src).covariance(), doctest::Contains("stream::moments::covariance"),
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("stream::pca equals spectral::pca; signs as in memory with sign_rule::scores", T, float, double)
{
    auto X = activations<T>(2000, 24, 3.0, 11);
    const std::size_t k = 5;
    tessera::spectral::pca_options po;
    po.svd.method = tessera::spectral::svd_method::gram;
    auto ref = tessera::spectral::pca(X, k, po);
    REQUIRE(ref.status.ok());
    const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-11;
    for (auto signs : {st::sign_rule::scores, st::sign_rule::components})
    {
        st::svd_options o;
        o.signs = signs;
        o.stream.block_rows = 333;
        auto p = st::pca<T>(st::from_matrix(X), k, o);
        CHECK(p.status.ok());
        // a budget of ~100 rows per block is honoured in every pass (the scores pass too)
        st::svd_options small = o;
        small.stream.block_rows = 0;
        small.stream.memory_budget = 30000;
        auto ps = st::pca<T>(st::from_matrix(X), k, small);
        CHECK(ps.report.peak_bytes() <= small.stream.memory_budget);
        CHECK(ps.report.block_rows <= 130);  // of 2000 rows
        CHECK(ps.explained_variance(0) == doctest::Approx(p.explained_variance(0)).epsilon(tol));
        CHECK(p.report.passes == (signs == st::sign_rule::scores ? 2u : 1u));
        CHECK(p.n_samples == 2000);
        // in memory the sum of squares is taken of the centred values rounded to T
        CHECK(p.total_variance == doctest::Approx(ref.total_variance).epsilon(std::is_same_v<T, float> ? 1e-6 : 1e-12));
        for (std::size_t j = 0; j < k; ++j)
        {
            CHECK(p.explained_variance(j) == doctest::Approx(ref.explained_variance(j)).epsilon(tol));
            CHECK(p.explained_variance_ratio(j) == doctest::Approx(ref.explained_variance_ratio(j)).epsilon(tol));
            CHECK(p.singular_values(j) == doctest::Approx(ref.singular_values(j)).epsilon(tol));
            double same = 0, flipped = 0;
            for (std::size_t i = 0; i < 24; ++i)
            {
                same = std::max(same, std::abs(double(p.components(j, i)) - double(ref.components(j, i))));
                flipped = std::max(flipped, std::abs(double(p.components(j, i)) + double(ref.components(j, i))));
            }
            // the gap sigma_j - sigma_{j+1} is ~20%: components agree to ~ tol / gap
            if (signs == st::sign_rule::scores)
                CHECK(same <= 50 * tol);
            else
                CHECK(std::min(same, flipped) <= 50 * tol);
        }
        // transform works as in memory (the result is a spectral::pca_result)
        auto Z = p.transform(X);
        auto Zr = ref.transform(X);
        if (signs == st::sign_rule::scores)
            CHECK(max_abs(Z, Zr) <= 1e3 * tol * std::sqrt(double(ref.explained_variance(0))));
    }
}

TEST_CASE_TEMPLATE("stream::truncated_svd (gram) equals spectral::truncated_svd's gram path, U included", T, float, double)
{
    auto X = activations<T>(1500, 20, 0.5, 13);
    const std::size_t r = 6;
    tessera::spectral::truncated_svd_options so;
    so.method = tessera::spectral::svd_method::gram;
    auto ref = tessera::spectral::truncated_svd(X, r, so);
    REQUIRE(ref.status.ok());
    st::svd_options o;
    o.left_vectors = true;
    o.stream.block_rows = 100;
    auto f = st::truncated_svd<T>(st::from_matrix(X), r, o);
    CHECK(f.status.ok());
    CHECK(f.report.passes == 2);
    const double tol = std::is_same_v<T, float> ? 3e-5 : 1e-11;
    for (std::size_t j = 0; j < r; ++j)
        CHECK(f.S(j) == doctest::Approx(ref.S(j)).epsilon(tol));
    CHECK(max_abs(f.Vt, ref.Vt) <= 50 * tol);
    CHECK(max_abs(f.U, ref.U) <= 50 * tol);
}

TEST_CASE_TEMPLATE("stream randomized SVD and PCA: fixed passes, Ritz residual in the status", T, float, double)
{
    auto X = activations<T>(3000, 64, 1.0, 17);
    const std::size_t r = 5;
    auto exact = st::truncated_svd<double>(st::from_matrix(X), r);
    st::svd_options o;
    o.method = st::stream_method::randomized;
    o.passes = 4;
    o.stream.block_rows = 512;
    auto f = st::truncated_svd<T>(st::from_matrix(X), r, o);
    CHECK(f.report.passes == 4);
    CHECK(f.status.ok());
    CHECK(f.method == tessera::spectral::svd_method::randomized);
    for (std::size_t j = 0; j < r; ++j)
        CHECK(std::abs(double(f.S(j)) - exact.S(j)) <= 1e-3 * exact.S(j));
    // one pass on a slowly decaying spectrum: the residual bound flags it
    o.passes = 1;
    o.oversampling = 2;
    auto g = st::truncated_svd<T>(st::from_matrix(X), r, o);
    CHECK(g.status.code == tessera::status_code::accuracy_limited);
    CHECK(g.status.message.find("stream randomized") != std::string::npos);
    // randomized PCA: 1 + passes passes, explained variance as the gram route
    o.passes = 5;
    o.oversampling = 10;
    auto p = st::pca<T>(st::from_matrix(X), r, o);
    auto q = st::pca<T>(st::from_matrix(X), r);
    CHECK(p.report.passes == 6);
    CHECK(p.status.ok());
    for (std::size_t j = 0; j < r; ++j)
        CHECK(std::abs(double(p.explained_variance(j)) - double(q.explained_variance(j))) <= 1e-3 * double(q.explained_variance(j)));
}

TEST_CASE("stream::covariance_spectrum equals stats::covariance_spectrum; files and memory agree")
{
    auto X = activations<double>(777, 16, 2.0, 19);
    auto ref = tessera::stats::covariance_spectrum(X);
    const auto dir = temp_dir("spectrum");
    tessera::io::write_npy((dir / "x.npy").string(), X);
    st::stream_options o;
    // 512 bytes per block row (two double buffers, two float64 scratch rows): ~100 rows per block
    o.memory_budget = 60000;
    auto s = st::covariance_spectrum(st::open_npy((dir / "x.npy").string()), o);
    CHECK(s.report.peak_bytes() <= o.memory_budget);
    CHECK(s.report.block_rows < 777);
    CHECK(s.dims_90 == ref.dims_90);
    CHECK(s.participation_ratio == doctest::Approx(ref.participation_ratio).epsilon(1e-12));
    for (std::size_t i = 0; i < 16; ++i)
        CHECK(s.eigenvalues(i) == doctest::Approx(ref.eigenvalues(i)).epsilon(1e-10).scale(ref.eigenvalues(0)));
    fs::remove_all(dir);
}

TEST_CASE("streaming routines reject bad input with the function, parameter, expected and received value")
{
    xt::xtensor<double, 2> X = xt::ones<double>({50, 4});
    X(37, 2) = std::nan("");
    CHECK_THROWS_WITH_AS(st::covariance_moments(st::from_matrix(X)),
                         doctest::Contains("stream::covariance_moments: memory [50, 4] must be finite, got nan at [37, 2]"), tessera::invalid_argument);
    X(37, 2) = 0;
    st::svd_options o;
    CHECK_THROWS_WITH_AS(st::pca<double>(st::from_matrix(X), 5, o), doctest::Contains("stream::pca: k=5 must be in [1, min(rows, cols)=4]"),
                         tessera::invalid_argument);
    o.stream.memory_budget = 1000;
    CHECK_THROWS_WITH_AS(st::pca<double>(st::from_matrix(X), 2, o), doctest::Contains("memory_budget=1000 bytes cannot hold"),
                         tessera::invalid_argument);
    o.stream.memory_budget = std::size_t(1) << 30;
    o.method = st::stream_method::randomized;
    o.passes = 0;
    CHECK_THROWS_WITH_AS(st::truncated_svd<double>(st::from_matrix(X), 2, o), doctest::Contains("options.passes=0 must be at least 1"),
                         tessera::invalid_argument);
    xt::xtensor<double, 2> one = xt::ones<double>({1, 4});
    CHECK_THROWS_WITH_AS(st::pca<double>(st::from_matrix(one), 1), doctest::Contains("at least 2 rows"), tessera::invalid_argument);
}
