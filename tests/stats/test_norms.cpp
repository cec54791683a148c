#include <cmath>

#include <doctest/doctest.h>
#include <tessera/core/random.hpp>
#include <tessera/stats/norms.hpp>

#include "test_support.hpp"

TEST_CASE_TEMPLATE("row_norms equals the sqrt of the sum of squares; normalize_rows gives unit rows", T, float, double)
{
    auto X = tessera::random_normal<T>(37, 19, 5);
    for (std::size_t j = 0; j < 19; ++j)
        X(3, j) = T(0);  // a zero row stays zero, never NaN
    const auto n = tessera::stats::row_norms(X);
    const auto U = tessera::stats::normalize_rows(X);
    REQUIRE(n.size() == 37);
    for (std::size_t i = 0; i < 37; ++i)
    {
        double s = 0, u = 0;
        for (std::size_t j = 0; j < 19; ++j)
        {
            s += double(X(i, j)) * double(X(i, j));
            u += double(U(i, j)) * double(U(i, j));
            if (i != 3)
                CHECK(double(U(i, j)) * double(n(i)) == doctest::Approx(double(X(i, j))).epsilon(tessera_test::tol<T>()));
        }
        CHECK(double(n(i)) == doctest::Approx(std::sqrt(s)).epsilon(tessera_test::tol<T>()));
        if (i == 3)
            CHECK(u == 0.0);
        else
            CHECK(u == doctest::Approx(1.0).epsilon(tessera_test::tol<T>()));
    }
}

TEST_CASE("row_norms accepts expressions and rejects non-matrices")
{
    xt::xtensor<double, 2> X = {{3.0, 4.0}, {0.0, 1.0}};
    const auto n = tessera::stats::row_norms(2.0 * X);
    CHECK(n(0) == doctest::Approx(10.0));
    CHECK(n(1) == doctest::Approx(2.0));
    xt::xtensor<double, 1> v = {1.0, 2.0};
    CHECK_THROWS_WITH_AS(tessera::stats::row_norms(v), doctest::Contains("stats::row_norms: X must have 2 dimensions"),
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("row_norms and normalize_rows reject NaN / Inf", T, float, double)
{
    auto X = tessera::random_normal<T>(9, 4, 1);
    X(8, 0) = std::numeric_limits<T>::infinity();
    CHECK_THROWS_WITH_AS(tessera::stats::row_norms(X), "stats::row_norms: X must be finite, got inf at [8, 0]", tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::stats::normalize_rows(X), "stats::normalize_rows: X must be finite, got inf at [8, 0]",
                         tessera::invalid_argument);
}
