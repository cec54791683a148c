#include <cmath>
#include <cstring>

#include <doctest/doctest.h>
#include <tessera/core/parallel.hpp>
#include <tessera/core/random.hpp>
#include <tessera/stats/pairwise.hpp>

#include "fixture_text.hpp"
#include "test_support.hpp"

namespace
{
    template <class T>
    xt::xtensor<T, 2> cast(const xt::xtensor<double, 2>& a)
    {
        xt::xtensor<T, 2> out = xt::xtensor<T, 2>::from_shape({a.shape(0), a.shape(1)});
        std::transform(a.begin(), a.end(), out.begin(), [](double v) { return static_cast<T>(v); });
        return out;
    }
    xt::xtensor<std::uint64_t, 2> to_pairs(const xt::xtensor<double, 2>& a)
    {
        xt::xtensor<std::uint64_t, 2> out = xt::xtensor<std::uint64_t, 2>::from_shape({a.shape(0), a.shape(1)});
        std::transform(a.begin(), a.end(), out.begin(), [](double v) { return static_cast<std::uint64_t>(v); });
        return out;
    }
}  // namespace

TEST_CASE_TEMPLATE("pairwise cosine / distance distributions match numpy on given pairs", T, float, double)
{
    const auto f = tessera_test::read_text_fixture(tessera_test::fixture("stats/matrix.txt").string());
    const auto X = cast<T>(f.at("X"));
    const auto pairs = to_pairs(f.at("pairs"));
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    const auto c = tessera::stats::pairwise_cosine(X, pairs);
    const auto d = tessera::stats::pairwise_distance(X, pairs);
    REQUIRE(c.values.size() == pairs.shape(0));
    for (std::size_t s = 0; s < pairs.shape(0); ++s)
    {
        CHECK(c.values(s) == doctest::Approx(f.at("cos")(0, s)).epsilon(tol));
        CHECK(d.values(s) == doctest::Approx(f.at("dist")(0, s)).epsilon(tol));
    }
    const auto& cs = f.at("cos_summary");
    CHECK(c.summary.count == pairs.shape(0));
    CHECK(c.summary.mean == doctest::Approx(cs(0, 0)).epsilon(tol));
    CHECK(c.summary.stddev == doctest::Approx(cs(0, 1)).epsilon(tol));
    CHECK(c.summary.min == doctest::Approx(cs(0, 2)).epsilon(tol));
    CHECK(c.summary.max == doctest::Approx(cs(0, 3)).epsilon(tol));
    const auto& ds = f.at("dist_summary");
    CHECK(d.summary.mean == doctest::Approx(ds(0, 0)).epsilon(tol));
    CHECK(d.summary.stddev == doctest::Approx(ds(0, 1)).epsilon(tol));
    for (int p = 1; p <= 99; ++p)
    {
        CHECK(c.summary.percentile(p) == doctest::Approx(f.at("cos_percentiles")(0, std::size_t(p - 1))).epsilon(tol));
        CHECK(d.summary.percentile(p) == doctest::Approx(f.at("dist_percentiles")(0, std::size_t(p - 1))).epsilon(tol));
    }
    if constexpr (std::is_same_v<T, double>)
    {
        const auto& t = f.at("near_targets");
        const auto near = tessera::stats::fraction_near(c.values, {t(0, 0), t(0, 1), t(0, 2)}, f.at("near_delta")(0, 0));
        for (std::size_t i = 0; i < 3; ++i)
            CHECK(near(i) == doctest::Approx(f.at("near")(0, i)).epsilon(1e-15));
    }
    const auto Y = cast<T>(f.at("Y"));
    const auto rel = tessera::stats::relational_correlation(X, Y, pairs);
    CHECK(rel.pairs == pairs.shape(0));
    CHECK(rel.pearson == doctest::Approx(f.at("relational")(0, 0)).epsilon(tol * 10));
    CHECK(rel.spearman == doctest::Approx(f.at("relational")(0, 1)).epsilon(std::is_same_v<T, float> ? 1e-4 : 1e-12));
}

TEST_CASE("sampled pairs: distinct rows, in range, identical at 1 and 2 threads, seed-dependent")
{
    xt::xtensor<std::uint64_t, 2> one, two;
    {
        tessera::thread_count_guard g(1);
        one = tessera::stats::sample_pairs(50, 20000, 9);
    }
    {
        tessera::thread_count_guard g(2);
        two = tessera::stats::sample_pairs(50, 20000, 9);
    }
    CHECK(one == two);
    CHECK(one != tessera::stats::sample_pairs(50, 20000, 10));
    std::vector<std::size_t> hits(50, 0);
    for (std::size_t s = 0; s < one.shape(0); ++s)
    {
        CHECK(one(s, 0) != one(s, 1));
        CHECK(one(s, 0) < 50);
        CHECK(one(s, 1) < 50);
        ++hits[one(s, 0)];
        ++hits[one(s, 1)];
    }
    for (auto h : hits)  // each row is in ~2 * 20000 / 50 = 800 pairs (Floyd's order is not uniform; the set is)
        CHECK((h > 650 && h < 950));
}

TEST_CASE_TEMPLATE("sampled relational correlation of a space with a rotation of itself is 1", T, float, double)
{
    const auto X = tessera::random_normal<T>(400, 12, 3);
    xt::xtensor<T, 2> Y = X;
    for (std::size_t i = 0; i < 400; ++i)  // a rotation by 90 degrees in the (0, 1) plane preserves cosines
    {
        Y(i, 0) = -X(i, 1);
        Y(i, 1) = X(i, 0);
    }
    const auto r = tessera::stats::relational_correlation(X, Y, 5000, 1);
    CHECK(r.pearson == doctest::Approx(1.0).epsilon(1e-6));
    CHECK(r.spearman > 0.9999);
    const auto noise = tessera::random_normal<T>(400, 12, 4);
    CHECK(std::fabs(tessera::stats::relational_correlation(X, noise, 5000, 1).pearson) < 0.1);
    const auto s = tessera::stats::pairwise_cosine(X, 20000, 7);
    // independent Gaussian directions in R^12: mean cosine 0, std 1/sqrt(12)
    CHECK(std::fabs(s.summary.mean) < 0.01);
    CHECK(s.summary.stddev == doctest::Approx(1.0 / std::sqrt(12.0)).epsilon(0.03));
}

TEST_CASE("pairwise functions reject bad input")
{
    xt::xtensor<double, 2> X = xt::zeros<double>({5, 3});
    xt::xtensor<double, 2> Y = xt::zeros<double>({4, 3});
    xt::xtensor<std::uint64_t, 2> bad = {{0, 7}};
    CHECK_THROWS_WITH_AS(tessera::stats::pairwise_cosine(X, bad), "stats::pairwise_cosine: pairs(0) = (0, 7) out of range for 5 rows",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::stats::pairwise_distance(X, 0, 1), "stats::sample_pairs: count must be positive, got 0",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::stats::relational_correlation(X, Y, 10, 1),
                         "stats::relational_correlation: A and B must have the same number of rows, got [5, 3] and [4, 3]",
                         tessera::invalid_argument);
    xt::xtensor<double, 1> v = {1.0};
    CHECK_THROWS_WITH_AS(tessera::stats::fraction_near(v, {0.0}, -1.0), "stats::fraction_near: delta must be >= 0, got -1",
                         tessera::invalid_argument);
    tessera::stats::distribution_summary s;
    CHECK_THROWS_AS(s.percentile(100), tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("pairwise samples, summarize, fraction_near and relational_correlation reject NaN / Inf", T, float, double)
{
    auto X = tessera::random_normal<T>(30, 5, 8);
    const auto G = tessera::random_normal<T>(30, 5, 9);
    X(29, 4) = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_WITH_AS(tessera::stats::pairwise_cosine(X, 100, 1), "stats::pairwise_cosine: X must be finite, got nan at [29, 4]",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::stats::pairwise_distance(X, 100, 1),
                         "stats::pairwise_distance: X must be finite, got nan at [29, 4]", tessera::invalid_argument);
    xt::xtensor<std::uint64_t, 2> pairs = {{0, 1}, {2, 3}};  // rows without the NaN: still rejected (one policy)
    CHECK_THROWS_WITH_AS(tessera::stats::pairwise_cosine(X, pairs), "stats::pairwise_cosine: X must be finite, got nan at [29, 4]",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::stats::pairwise_distance(X, pairs),
                         "stats::pairwise_distance: X must be finite, got nan at [29, 4]", tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::stats::relational_correlation(G, X, 50, 1),
                         "stats::relational_correlation: B must be finite, got nan at [29, 4]", tessera::invalid_argument);
    xt::xtensor<T, 1> v = {T(0.5), std::numeric_limits<T>::infinity(), T(1)};
    CHECK_THROWS_WITH_AS(tessera::stats::summarize(v), "stats::summarize: x must be finite, got inf at [1]", tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::stats::fraction_near(v, {0.5}, 0.1), "stats::fraction_near: values must be finite, got inf at [1]",
                         tessera::invalid_argument);
}
