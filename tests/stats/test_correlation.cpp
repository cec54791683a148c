#include <cmath>

#include <doctest/doctest.h>
#include <tessera/stats/correlation.hpp>

#include "fixture_text.hpp"
#include "test_support.hpp"

using tessera_test::row_of;

TEST_CASE_TEMPLATE("pearson and spearman match scipy, with and without ties", T, float, double)
{
    const auto f = tessera_test::read_text_fixture(tessera_test::fixture("stats/correlation.txt").string());
    const double tol = std::is_same_v<T, float> ? 2e-6 : 1e-12;
    const auto x = row_of<T>(f.at("x")), y = row_of<T>(f.at("y"));
    const auto xt_ = row_of<T>(f.at("xt")), yt_ = row_of<T>(f.at("yt"));
    CHECK(tessera::stats::pearson(x, y) == doctest::Approx(f.at("pearson_xy")(0, 0)).epsilon(tol));
    CHECK(tessera::stats::spearman(x, y) == doctest::Approx(f.at("spearman_xy")(0, 0)).epsilon(tol));
    CHECK(tessera::stats::pearson(xt_, yt_) == doctest::Approx(f.at("pearson_tied")(0, 0)).epsilon(tol));
    // ties are exact in float too (values are multiples of 1/2), so ranks are exact
    CHECK(tessera::stats::spearman(xt_, yt_) == doctest::Approx(f.at("spearman_tied")(0, 0)).epsilon(1e-12));
    const auto r = tessera::stats::average_ranks(xt_);
    const auto& ref = f.at("ranks_xt");
    REQUIRE(r.size() == ref.shape(1));
    for (std::size_t i = 0; i < r.size(); ++i)
        CHECK(r(i) == ref(0, i));
}

TEST_CASE("correlation invariants: symmetric, +-1 for monotone maps, NaN for constants")
{
    xt::xtensor<double, 1> x = {1.0, 2.0, 3.0, 4.0, 10.0};
    xt::xtensor<double, 1> y = {2.0, 1.0, 5.0, 4.0, 3.0};
    CHECK(tessera::stats::pearson(x, y) == tessera::stats::pearson(y, x));
    CHECK(tessera::stats::pearson(x, 3.0 * x + 1.0) == doctest::Approx(1.0));
    CHECK(tessera::stats::spearman(x, xt::exp(x)) == doctest::Approx(1.0));
    CHECK(tessera::stats::spearman(x, -x * x * x) == doctest::Approx(-1.0));
    xt::xtensor<double, 1> c = {2.0, 2.0, 2.0, 2.0, 2.0};
    CHECK(std::isnan(tessera::stats::pearson(x, c)));
    xt::xtensor<double, 1> tied = {1.0, 1.0, 2.0, 3.0, 3.0};
    const auto r = tessera::stats::average_ranks(tied);
    CHECK(r(0) == 1.5);
    CHECK(r(1) == 1.5);
    CHECK(r(2) == 3.0);
    CHECK(r(3) == 4.5);
}

TEST_CASE("correlation rejects bad input with clear messages")
{
    xt::xtensor<double, 1> a = {1.0, 2.0, 3.0}, b = {1.0, 2.0}, one = {1.0};
    CHECK_THROWS_WITH_AS(tessera::stats::pearson(a, b),
                         "stats::pearson: x and y must have the same length, got 3 and 2", tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::stats::spearman(one, one),
                         "stats::spearman: x and y must hold at least 2 values, got 1", tessera::invalid_argument);
    xt::xtensor<double, 1> n = {1.0, std::nan(""), 2.0};
    CHECK_THROWS_WITH_AS(tessera::stats::spearman(a, n), doctest::Contains("NaN at index 1"), tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("pearson rejects NaN / Inf (spearman and average_ranks reject NaN only: Inf has a rank)", T, float, double)
{
    xt::xtensor<T, 1> a = {T(1), T(2), T(3)};
    xt::xtensor<T, 1> n = {T(1), std::numeric_limits<T>::quiet_NaN(), T(2)};
    CHECK_THROWS_WITH_AS(tessera::stats::pearson(a, n), "stats::pearson: y must be finite, got nan at [1]", tessera::invalid_argument);
    xt::xtensor<T, 1> inf = {T(1), T(2), std::numeric_limits<T>::infinity()};
    CHECK(tessera::stats::spearman(a, inf) == doctest::Approx(1.0));
}
