#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/stats/interval.hpp>

#include "fixture_text.hpp"
#include "test_support.hpp"

namespace ts = tessera::stats;

TEST_CASE("student_t_quantile and student_t_sf equal scipy.stats.t (fixture) to 1e-12 relative")
{
    const auto f = tessera_test::read_text_fixture(tessera_test::fixture("stats/interval.txt").string());
    const auto &p = f.at("p"), &df = f.at("df"), &ppf = f.at("ppf"), &t = f.at("t"), &sf = f.at("sf");
    for (std::size_t i = 0; i < df.shape(1); ++i)
    {
        for (std::size_t j = 0; j < p.shape(1); ++j)
        {
            INFO("df = ", df(0, i), ", p = ", p(0, j));
            // Rounding in the tail grows about as 3e-18 df (documented): 1e-11 at df = 1e5.
            const double tol = df(0, i) <= 1000 ? 1e-12 : 1e-11;
            CHECK(ts::student_t_quantile(p(0, j), df(0, i)) == doctest::Approx(ppf(i, j)).epsilon(tol));
        }
        for (std::size_t j = 0; j < t.shape(1); ++j)
        {
            INFO("df = ", df(0, i), ", t = ", t(0, j));
            CHECK(ts::student_t_sf(t(0, j), df(0, i)) == doctest::Approx(sf(i, j)).epsilon(df(0, i) <= 1000 ? 1e-12 : 1e-11));
        }
    }
}

TEST_CASE("student_t_quantile: closed forms for df = 1, 2, 4 and the normal limit")
{
    const double pi = 3.14159265358979323846;
    // Dyadic p so that 1 - p is exact.
    for (const double p : {std::ldexp(1.0, -30), 0.0078125, 0.1875, 0.4375, 0.5625, 0.8125, 0.9921875,
                           1.0 - std::ldexp(1.0, -30)})
    {
        INFO("p = ", p);
        // df = 1: Cauchy, tan(pi (p - 1/2)) = -cot(pi p), written without cancellation near the poles.
        const double cauchy = p < 0.5 ? -1.0 / std::tan(pi * p) : 1.0 / std::tan(pi * (1.0 - p));
        CHECK(ts::student_t_quantile(p, 1.0) == doctest::Approx(cauchy).epsilon(1e-11));
        // df = 2: (2p - 1) / sqrt(2 p (1 - p)).
        CHECK(ts::student_t_quantile(p, 2.0) ==
              doctest::Approx((2 * p - 1) / std::sqrt(2 * p * (1 - p))).epsilon(1e-11));
        // df = 4: a = 4 p (1 - p), q = cos(acos(sqrt a) / 3) / sqrt a, t = sign(p - 1/2) 2 sqrt(q - 1).
        const double a = 4 * p * (1 - p), q = std::cos(std::acos(std::sqrt(a)) / 3) / std::sqrt(a);
        CHECK(ts::student_t_quantile(p, 4.0) == doctest::Approx((p > 0.5 ? 2 : -2) * std::sqrt(q - 1)).epsilon(1e-9));
        // Symmetry and the tail are inverse to each other.
        CHECK(ts::student_t_quantile(1 - p, 7.5) == doctest::Approx(-ts::student_t_quantile(p, 7.5)).epsilon(1e-9));
        CHECK(ts::student_t_sf(ts::student_t_quantile(p, 7.5), 7.5) == doctest::Approx(1 - p).epsilon(1e-12));
    }
    CHECK(ts::student_t_quantile(0.5, 3.0) == 0.0);
    // Large df: the Cornish-Fisher expansion about the normal quantile z (Abramowitz & Stegun
    // 26.7.5), t = z + (z^3 + z) / (4 df) + (5 z^5 + 16 z^3 + 3 z) / (96 df^2) + O(df^-3).
    const double z = 1.959963984540054, nu = 1e6;
    const double cf = z + (z * z * z + z) / (4 * nu) + (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * nu * nu);
    CHECK(ts::student_t_quantile(0.975, nu) == doctest::Approx(cf).epsilon(1e-11));
    CHECK(ts::student_t_sf(std::numeric_limits<double>::infinity(), 3.0) == 0.0);
    CHECK(ts::student_t_sf(-std::numeric_limits<double>::infinity(), 3.0) == 1.0);
}

TEST_CASE("interval_of_mean equals scipy.stats.t.interval; small samples and bad input")
{
    const auto f = tessera_test::read_text_fixture(tessera_test::fixture("stats/interval.txt").string());
    const auto& v = f.at("values");
    std::vector<double> x(v.begin(), v.end());
    const auto m = ts::interval_of_mean(x);
    const auto& ref = f.at("interval95");
    CHECK(m.count == x.size());
    CHECK(m.mean == doctest::Approx(ref(0, 0)).epsilon(1e-14));
    CHECK(m.stddev == doctest::Approx(ref(0, 1)).epsilon(1e-12));
    CHECK(m.low == doctest::Approx(ref(0, 2)).epsilon(1e-12));
    CHECK(m.high == doctest::Approx(ref(0, 3)).epsilon(1e-12));
    CHECK(m.half_width() == doctest::Approx(0.5 * (ref(0, 3) - ref(0, 2))).epsilon(1e-10));
    CHECK(m.min == *std::min_element(x.begin(), x.end()));
    CHECK(m.max == *std::max_element(x.begin(), x.end()));
    CHECK(m.confidence == 0.95);
    const auto m90 = ts::interval_of_mean(x, 0.9);
    CHECK(m90.low == doctest::Approx(f.at("interval90")(0, 0)).epsilon(1e-12));
    CHECK(m90.high == doctest::Approx(f.at("interval90")(0, 1)).epsilon(1e-12));
    CHECK(m90.high - m90.low < m.high - m.low);

    // Two values: t(0.975, 1) = 12.706..., a wide interval, not the normal 1.96.
    const auto two = ts::interval_of_mean({1.0, 3.0});
    CHECK(two.mean == 2.0);
    CHECK(two.stddev == doctest::Approx(std::sqrt(2.0)));
    CHECK(two.high - two.mean == doctest::Approx(12.706204736174707 * 1.0).epsilon(1e-9));
    // One value: mean, no spread; none: all NaN.
    const auto one = ts::interval_of_mean({0.25});
    CHECK(one.count == 1);
    CHECK(one.mean == 0.25);
    CHECK(one.min == 0.25);
    CHECK(std::isnan(one.stddev));
    CHECK(std::isnan(one.low));
    const auto none = ts::interval_of_mean({});
    CHECK(none.count == 0);
    CHECK(std::isnan(none.mean));
    // Constant values: zero-width interval.
    const auto c = ts::interval_of_mean({0.5, 0.5, 0.5});
    CHECK(c.low == 0.5);
    CHECK(c.high == 0.5);

    CHECK_THROWS_WITH_AS(ts::interval_of_mean({1.0, std::nan(""), 2.0}),
                         "stats::interval_of_mean: x must be finite, got nan at [1]", tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(ts::interval_of_mean({1.0, 2.0}, 1.0),
                         "stats::interval_of_mean: confidence must be in (0, 1), got 1", tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(ts::student_t_quantile(0.0, 3.0), "stats::student_t_quantile: p must be in (0, 1), got 0",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(ts::student_t_quantile(0.5, -1.0),
                         "stats::student_t_quantile: df must be positive and finite, got -1", tessera::invalid_argument);
    CHECK_THROWS_AS(ts::student_t_sf(std::nan(""), 3.0), tessera::invalid_argument);
}
