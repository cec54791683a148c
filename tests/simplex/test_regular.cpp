#include <cmath>

#include <doctest/doctest.h>
#include <tessera/simplex/regular.hpp>

#include "test_support.hpp"

TEST_CASE_TEMPLATE("regular_simplex: all edges equal, centred at the origin, padded with zero columns", T, float, double)
{
    for (std::size_t k = 1; k <= 10; ++k)
    {
        const double edge = 0.5 + double(k);
        const auto V = tessera::simplex::regular_simplex<T>(k, k + 2, edge);
        REQUIRE(V.shape(0) == k + 1);
        REQUIRE(V.shape(1) == k + 2);
        for (std::size_t j = 0; j < k + 2; ++j)
        {
            double s = 0;
            for (std::size_t i = 0; i <= k; ++i)
                s += double(V(i, j));
            CHECK(std::fabs(s) <= edge * (std::is_same_v<T, float> ? 1e-5 : 1e-13));
            if (j >= k)
                for (std::size_t i = 0; i <= k; ++i)
                    CHECK(V(i, j) == T(0));
        }
        for (std::size_t a = 0; a <= k; ++a)
            for (std::size_t b = a + 1; b <= k; ++b)
            {
                double s = 0;
                for (std::size_t j = 0; j < k + 2; ++j)
                    s += (double(V(a, j)) - double(V(b, j))) * (double(V(a, j)) - double(V(b, j)));
                CHECK(std::sqrt(s) == doctest::Approx(edge).epsilon(std::is_same_v<T, float> ? 1e-6 : 1e-14));
            }
    }
}

TEST_CASE("regular_simplex_volume closed form: segment, triangle, tetrahedron")
{
    CHECK(tessera::simplex::regular_simplex_volume(1, 3.0) == doctest::Approx(3.0));
    CHECK(tessera::simplex::regular_simplex_volume(2, 2.0) == doctest::Approx(std::sqrt(3.0)));
    CHECK(tessera::simplex::regular_simplex_volume(3, 1.0) == doctest::Approx(1.0 / (6.0 * std::sqrt(2.0))));
    CHECK(tessera::simplex::regular_simplex_volume(4, 0.0) == 0.0);
    CHECK_THROWS_WITH_AS(tessera::simplex::regular_simplex(5, 4), "simplex::regular_simplex: k=5 exceeds dim=4 (a k-simplex needs k dimensions)",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::simplex::regular_simplex_volume(2, -1.0),
                         "simplex::regular_simplex_volume: edge must be finite and >= 0, got -1", tessera::invalid_argument);
    CHECK_THROWS_AS(tessera::simplex::regular_simplex(0, 4), tessera::invalid_argument);
}
