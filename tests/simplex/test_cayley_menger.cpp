#include <cmath>

#include <doctest/doctest.h>
#include <tessera/core/random.hpp>
#include <tessera/simplex/cayley_menger.hpp>
#include <tessera/simplex/volume.hpp>

#include "simplex_cases.hpp"

namespace
{
    template <class T>
    xt::xtensor<T, 2> squared_distances(const xt::xtensor<double, 2>& P)
    {
        const std::size_t n = P.shape(0);
        xt::xtensor<T, 2> D = xt::zeros<T>({n, n});
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j)
            {
                double s = 0;
                for (std::size_t c = 0; c < P.shape(1); ++c)
                    s += (P(i, c) - P(j, c)) * (P(i, c) - P(j, c));
                D(i, j) = static_cast<T>(s);
            }
        return D;
    }
}  // namespace

TEST_CASE_TEMPLATE("cayley_menger_matrix borders D2 with ones and a zero corner", T, float, double)
{
    xt::xtensor<T, 2> D = {{0, 1, 4}, {1, 0, 2}, {4, 2, 0}};
    const auto CM = tessera::simplex::cayley_menger_matrix(D);
    REQUIRE(CM.shape(0) == 4);
    CHECK(CM(0, 0) == T(0));
    for (std::size_t i = 1; i < 4; ++i)
    {
        CHECK(CM(0, i) == T(1));
        CHECK(CM(i, 0) == T(1));
        for (std::size_t j = 1; j < 4; ++j)
            CHECK(CM(i, j) == D(i - 1, j - 1));
    }
}

TEST_CASE_TEMPLATE("V^2 from distances equals V^2 from points", T, float, double)
{
    for (std::size_t k = 1; k <= 9; ++k)
    {
        const auto P = tessera::random_normal<double>(k + 1, k + 4, 100 + k);
        const auto D = squared_distances<T>(P);
        const double from_points = tessera::simplex::volume_squared(P);
        CHECK(tessera::simplex::volume_squared_from_distances(D) ==
              doctest::Approx(from_points).epsilon(std::is_same_v<T, float> ? 1e-4 : 1e-12));
    }
    xt::xtensor<T, 2> right = {{0, 1, 1}, {1, 0, 2}, {1, 2, 0}};  // legs 1, 1: area 1/2
    CHECK(tessera::simplex::volume_squared_from_distances(right) == doctest::Approx(0.25).epsilon(1e-15));
}

TEST_CASE("mpmath cases: V^2 from rounded distances to <= 1e-9 relative, including non-Euclidean rounding")
{
    for (const auto& c : tessera_test::simplex_cases())
    {
        CAPTURE(c.name);
        const double got = tessera::simplex::volume_squared_from_distances(c.d2);
        const double err = std::fabs(got - c.v2_from_d2) / std::fabs(c.v2_from_d2);
        CHECK(err <= 1e-9);
        MESSAGE(c.name << ": distance path rel err " << err << " (V^2 " << c.v2_from_d2 << ")");
    }
}

TEST_CASE("degenerate and non-Euclidean distance matrices")
{
    xt::xtensor<double, 2> collinear = {{0, 1, 4}, {1, 0, 1}, {4, 1, 0}};  // 0, 1, 2 on a line
    CHECK(tessera::simplex::volume_squared_from_distances(collinear) == 0.0);
    xt::xtensor<double, 2> bad = {{0, 1, 9}, {1, 0, 1}, {9, 1, 0}};  // 1 + 1 < 3: violates the triangle inequality
    CHECK(tessera::simplex::volume_squared_from_distances(bad) < 0.0);
    xt::xtensor<double, 2> zero = xt::zeros<double>({4, 4});
    CHECK(tessera::simplex::volume_squared_from_distances(zero) == 0.0);
}

TEST_CASE("distance validation: clear errors")
{
    using tessera::simplex::volume_squared_from_distances;
    xt::xtensor<double, 2> ns = xt::zeros<double>({3, 4});
    CHECK_THROWS_WITH_AS(volume_squared_from_distances(ns), "simplex::volume_squared_from_distances: D2 must be square, got [3, 4]",
                         tessera::invalid_argument);
    xt::xtensor<double, 2> asym = {{0, 1, 4}, {1, 0, 2}, {4, 3, 0}};
    CHECK_THROWS_WITH_AS(volume_squared_from_distances(asym),
                         "simplex::volume_squared_from_distances: D2 must be symmetric, got D2(1, 2) = 2 but D2(2, 1) = 3",
                         tessera::invalid_argument);
    xt::xtensor<double, 2> neg = {{0, -1}, {-1, 0}};
    CHECK_THROWS_WITH_AS(volume_squared_from_distances(neg),
                         "simplex::volume_squared_from_distances: D2 holds squared distances and must be >= 0, got D2(0, 1) = -1",
                         tessera::invalid_argument);
    xt::xtensor<double, 2> diag = {{0, 1}, {1, 0.5}};
    CHECK_THROWS_WITH_AS(volume_squared_from_distances(diag),
                         "simplex::volume_squared_from_distances: D2 must have a zero diagonal, got D2(1, 1) = 0.5",
                         tessera::invalid_argument);
    xt::xtensor<double, 2> one = {{0}};
    CHECK_THROWS_AS(volume_squared_from_distances(one), tessera::invalid_argument);
    xt::xtensor<double, 2> nan = {{0, std::nan("")}, {std::nan(""), 0}};
    CHECK_THROWS_WITH_AS(tessera::simplex::cayley_menger_matrix(nan), doctest::Contains("must be finite"), tessera::invalid_argument);
}
