#include <cmath>

#include <doctest/doctest.h>
#include <tessera/core/random.hpp>
#include <tessera/stats/spectrum.hpp>

#include "fixture_text.hpp"
#include "test_support.hpp"

TEST_CASE_TEMPLATE("covariance spectrum, participation ratio and dims match numpy", T, float, double)
{
    const auto f = tessera_test::read_text_fixture(tessera_test::fixture("stats/matrix.txt").string());
    const auto& Xd = f.at("X");
    xt::xtensor<T, 2> X = xt::xtensor<T, 2>::from_shape({Xd.shape(0), Xd.shape(1)});
    std::transform(Xd.begin(), Xd.end(), X.begin(), [](double v) { return static_cast<T>(v); });
    const auto s = tessera::stats::covariance_spectrum(X);
    CHECK(s.status.ok());
    const auto& ev = f.at("eigenvalues");
    REQUIRE(s.eigenvalues.size() == ev.shape(1));
    const double top = ev(0, 0);
    for (std::size_t i = 0; i < ev.shape(1); ++i)  // float input: entries rounded at 6e-8 relative
        CHECK(s.eigenvalues(i) == doctest::Approx(ev(0, i)).epsilon(std::is_same_v<T, float> ? 1e-5 : 1e-11).scale(top * 1e-3));
    CHECK(s.participation_ratio == doctest::Approx(f.at("participation_ratio")(0, 0)).epsilon(std::is_same_v<T, float> ? 1e-6 : 1e-12));
    CHECK(s.participation_ratio_fraction == doctest::Approx(s.participation_ratio / double(ev.shape(1))));
    CHECK(s.dims_80 == std::size_t(f.at("dims")(0, 0)));
    CHECK(s.dims_90 == std::size_t(f.at("dims")(0, 1)));
    CHECK(s.dims_95 == std::size_t(f.at("dims")(0, 2)));
    CHECK(s.dims_99 == std::size_t(f.at("dims")(0, 3)));
    CHECK(s.explained(ev.shape(1) - 1) == doctest::Approx(1.0));
}

TEST_CASE("isotropic and rank-1 data: participation ratio d and 1")
{
    // exactly isotropic: rows +-e_j (covariance is a multiple of I)
    const std::size_t d = 8;
    xt::xtensor<double, 2> X = xt::zeros<double>({2 * d, d});
    for (std::size_t j = 0; j < d; ++j)
    {
        X(2 * j, j) = 1.0;
        X(2 * j + 1, j) = -1.0;
    }
    const auto s = tessera::stats::covariance_spectrum(X + 100.0);  // mean offset must not matter
    CHECK(s.participation_ratio == doctest::Approx(double(d)).epsilon(1e-9));
    CHECK(s.dims_80 == 7);  // ceil(0.8 * 8) = 7 (6.4 -> 7)
    CHECK(s.dims_99 == 8);
    xt::xtensor<double, 2> R = xt::zeros<double>({10, 4});
    for (std::size_t i = 0; i < 10; ++i)
        for (std::size_t j = 0; j < 4; ++j)
            R(i, j) = double(i) * double(j + 1);
    const auto r = tessera::stats::covariance_spectrum(R);
    CHECK(r.participation_ratio == doctest::Approx(1.0).epsilon(1e-9));
    CHECK(r.dims_99 == 1);
    CHECK(tessera::stats::dims_for_variance(r.eigenvalues, 1.0) >= 1);
    CHECK_THROWS_WITH_AS(tessera::stats::dims_for_variance(r.eigenvalues, 1.5),
                         "stats::dims_for_variance: fraction must be in (0, 1], got 1.5", tessera::invalid_argument);
    xt::xtensor<double, 2> one = xt::zeros<double>({1, 4});
    CHECK_THROWS_WITH_AS(tessera::stats::covariance_spectrum(one),
                         "stats::covariance_spectrum: X must have at least 2 rows and 1 column, got [1, 4]",
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("covariance_spectrum rejects NaN / Inf input (it used to return PR 0 and status ok)", T, float, double)
{
    auto X = tessera::random_normal<T>(50, 8, 6);
    X(12, 3) = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_WITH_AS(tessera::stats::covariance_spectrum(X), "stats::covariance_spectrum: X must be finite, got nan at [12, 3]",
                         tessera::invalid_argument);
    X(12, 3) = -std::numeric_limits<T>::infinity();
    CHECK_THROWS_WITH_AS(tessera::stats::covariance_spectrum(X), "stats::covariance_spectrum: X must be finite, got -inf at [12, 3]",
                         tessera::invalid_argument);
}
