// tessera::stream's sampled statistics and ternary packing of a file: equal to the in-memory
// routines (stats::pairwise_cosine, simplex::volume_statistics, ternary::quantize_pack_2bit)
// on the loaded matrix.
#include <doctest/doctest.h>

#include <cmath>
#include <algorithm>
#include <cstring>
#include <limits>
#include <filesystem>
#include <string>

#include <unistd.h>

#include <tessera/core/random.hpp>
#include <tessera/io/npy.hpp>
#include <tessera/simplex/statistics.hpp>
#include <tessera/stats/pairwise.hpp>
#include <tessera/stream.hpp>
#include <tessera/ternary/pack.hpp>

namespace st = tessera::stream;
namespace fs = std::filesystem;

namespace
{
    struct temp_file
    {
        fs::path path;
        explicit temp_file(const std::string& name)
            : path(fs::temp_directory_path() / ("tessera_stream_" + name + "_" + std::to_string(::getpid()) + ".npy"))
        {
        }
        ~temp_file() { fs::remove(path); }
    };
}  // namespace

TEST_CASE_TEMPLATE("stream pairwise cosine / distance read only the sampled rows and equal the in-memory sample", T, float, double)
{
    auto X = tessera::random_normal<T>(5000, 33, 21, 0);
    X += T(0.3);
    temp_file f("pairs");
    tessera::io::write_npy(f.path.string(), X, tessera::io::dtype::float16);  // stored narrower than T
    auto L = tessera::io::read_npy<T>(f.path.string());
    const auto src = st::open_npy(f.path.string());
    auto ref = tessera::stats::pairwise_cosine(L, 700, 9);
    auto got = st::pairwise_cosine<T>(src, 700, 9);
    REQUIRE(got.values.size() == 700);
    for (std::size_t s = 0; s < 700; ++s)
    {
        CHECK(got.pairs(s, 0) == ref.pairs(s, 0));
        CHECK(got.pairs(s, 1) == ref.pairs(s, 1));
        CHECK(got.values(s) == ref.values(s));  // the same rows, the same kernel: bit for bit
    }
    CHECK(got.summary.mean == ref.summary.mean);
    auto dref = tessera::stats::pairwise_distance(L, 300, 4);
    auto dgot = st::pairwise_distance<T>(src, 300, 4);
    for (std::size_t s = 0; s < 300; ++s)
        CHECK(dgot.values(s) == dref.values(s));
    // only the named rows are read: a row nobody samples may hold NaN
    auto gathered = st::gather_rows<T>(src, ref.pairs);
    CHECK(gathered.rows.shape(0) <= 1400);
    CHECK(gathered.rows.shape(0) == gathered.source_row.size());
    std::size_t unsampled = 0;
    while (std::binary_search(gathered.source_row.begin(), gathered.source_row.end(), unsampled))
        ++unsampled;
    auto Xn = X;
    Xn(unsampled, 3) = std::numeric_limits<T>::quiet_NaN();
    temp_file fn("pairs_nan");
    tessera::io::write_npy(fn.path.string(), Xn, tessera::io::dtype::float16);
    auto with_nan = st::pairwise_cosine<T>(st::open_npy(fn.path.string()), 700, 9);
    CHECK(with_nan.values(0) == ref.values(0));
    CHECK(with_nan.summary.mean == ref.summary.mean);
    // a sampled row holding NaN is named
    Xn(ref.pairs(5, 1), 2) = std::numeric_limits<T>::quiet_NaN();
    tessera::io::write_npy(fn.path.string(), Xn, tessera::io::dtype::float16);
    const std::string named = "stream::pairwise_cosine: " + fn.path.string() + " [" + std::to_string(Xn.shape(0)) + ", " +
                              std::to_string(Xn.shape(1)) + "] must be finite, got nan at [" +
                              std::to_string(ref.pairs(5, 1)) + ", 2]";
    CHECK_THROWS_WITH_AS(st::pairwise_cosine<T>(st::open_npy(fn.path.string()), 700, 9), doctest::Contains(named.c_str()),
                         tessera::invalid_argument);
    xt::xtensor<std::uint64_t, 2> bad = {{0, 5000}};
    CHECK_THROWS_WITH_AS(st::gather_rows<T>(src, bad), doctest::Contains("row 5000 is outside the source's 5000 rows"),
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("stream::volume_statistics equals simplex::volume_statistics on the loaded matrix", T, float, double)
{
    auto X = tessera::random_normal<T>(3000, 12, 5, 0);
    for (std::size_t i = 0; i < 3000; ++i)
        for (std::size_t j = 0; j < 12; ++j)
            X(i, j) *= T(1 + j);  // unequal column spreads: the baseline depends on them
    temp_file f("simplex");
    tessera::io::write_npy(f.path.string(), X);
    auto ref = tessera::simplex::volume_statistics(X, 4, 400, 17);
    st::stream_options so;
    so.block_rows = 128;
    auto got = st::volume_statistics<T>(st::open_npy(f.path.string()), 4, 400, 17, {}, so);
    CHECK(got.data.mean == ref.data.mean);  // same simplices, same rows: identical
    CHECK(got.data.cv == ref.data.cv);
    CHECK(got.data.distribution.percentile(50) == ref.data.distribution.percentile(50));
    for (std::size_t j = 0; j < 12; ++j)
        CHECK(got.column_std(j) == doctest::Approx(ref.column_std(j)).epsilon(1e-12));
    CHECK(got.gaussian.mean == doctest::Approx(ref.gaussian.mean).epsilon(1e-10));
    CHECK(got.mean_ratio == doctest::Approx(ref.mean_ratio).epsilon(1e-10));
    tessera::simplex::volume_statistics_options no_baseline;
    no_baseline.gaussian_baseline = false;
    auto nb = st::volume_statistics<T>(st::open_npy(f.path.string()), 4, 400, 17, no_baseline);
    CHECK(nb.data.mean == ref.data.mean);
    CHECK(std::isnan(nb.column_std(0)));
    CHECK_THROWS_WITH_AS(st::volume_statistics<T>(st::open_npy(f.path.string()), 13, 10),
                         doctest::Contains("stream::volume_statistics: k=13 must be in [1, d=12]"), tessera::invalid_argument);
}

TEST_CASE("stream::quantize_pack_2bit equals ternary::quantize_pack_2bit bit for bit, block by block")
{
    auto W = tessera::random_normal<float>(1030, 300, 8, 0);
    temp_file f("ternary");
    tessera::io::write_npy(f.path.string(), W);
    const auto src = st::open_npy(f.path.string());
    for (auto gran : {tessera::ternary::scale_granularity::per_group, tessera::ternary::scale_granularity::per_row,
                      tessera::ternary::scale_granularity::per_tensor})
        for (auto storage : {tessera::ternary::scale_storage::f32, tessera::ternary::scale_storage::f16})
        {
            tessera::ternary::quantize_options q;
            q.granularity = gran;
            q.group_size = 64;
            st::stream_options so;
            so.block_rows = 100;
            const auto ref = tessera::ternary::quantize_pack_2bit(W, q, storage);
            const auto got = st::quantize_pack_2bit(src, q, storage, so);
            CHECK(got.report.passes == (gran == tessera::ternary::scale_granularity::per_tensor ? 2u : 1u));
            REQUIRE(got.packed.bytes.size() == ref.bytes.size());
            CHECK(got.packed.n_groups == ref.n_groups);
            CHECK(std::memcmp(got.packed.bytes.data(), ref.bytes.data(), ref.bytes.size()) == 0);
            if (gran != tessera::ternary::scale_granularity::per_tensor)
            {
                CHECK(got.packed.scales == ref.scales);
                CHECK(got.packed.scales_f16 == ref.scales_f16);
            }
            else if (storage == tessera::ternary::scale_storage::f32)
                CHECK(got.packed.scales[0] == doctest::Approx(ref.scales[0]).epsilon(1e-6));
        }
    tessera::ternary::quantize_options mse;
    mse.granularity = tessera::ternary::scale_granularity::per_tensor;
    mse.scale = tessera::ternary::scale_rule::mse_optimal;
    CHECK_THROWS_WITH_AS(st::quantize_pack_2bit(src, mse), doctest::Contains("per_tensor scales need scale_rule::absmean"),
                         tessera::invalid_argument);
    W(1000, 7) = INFINITY;
    tessera::io::write_npy(f.path.string(), W);
    CHECK_THROWS_WITH_AS(st::quantize_pack_2bit(st::open_npy(f.path.string())),
                         doctest::Contains("must be finite, got inf at [1000, 7]"), tessera::invalid_argument);
}
