#include <cmath>
#include <cstring>
#include <set>

#include <doctest/doctest.h>
#include <tessera/core/parallel.hpp>
#include <tessera/core/random.hpp>
#include <tessera/simplex/batch.hpp>

#include "test_support.hpp"

using tessera::simplex::volume_method;

TEST_CASE("sample_simplices: distinct in-range rows, same bits at 1 and 2 threads, seed-dependent")
{
    xt::xtensor<std::uint64_t, 2> one, two;
    {
        tessera::thread_count_guard g(1);
        one = tessera::simplex::sample_simplices(30, 4, 5000, 17);
    }
    {
        tessera::thread_count_guard g(2);
        two = tessera::simplex::sample_simplices(30, 4, 5000, 17);
    }
    CHECK(one == two);
    CHECK(one != tessera::simplex::sample_simplices(30, 4, 5000, 18));
    std::vector<std::size_t> hits(30, 0);
    for (std::size_t s = 0; s < 5000; ++s)
    {
        std::set<std::uint64_t> rows;
        for (std::size_t v = 0; v < 5; ++v)
        {
            CHECK(one(s, v) < 30);
            rows.insert(one(s, v));
            ++hits[one(s, v)];
        }
        CHECK(rows.size() == 5);
    }
    for (auto h : hits)  // each row in ~5000 * 5 / 30 = 833 simplices
        CHECK((h > 700 && h < 970));
    const auto full = tessera::simplex::sample_simplices(5, 4, 10, 1);  // k+1 == n: every row each time
    for (std::size_t s = 0; s < 10; ++s)
        CHECK(std::set<std::uint64_t>(full.data() + 5 * s, full.data() + 5 * s + 5).size() == 5);
    CHECK_THROWS_WITH_AS(tessera::simplex::sample_simplices(4, 4, 10), "simplex::sample_simplices: a 4-simplex needs 5 distinct rows, got n_rows=4",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::simplex::sample_simplices(40, 4, 0), "simplex::sample_simplices: count must be positive, got 0",
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("simplex_volumes equals per-simplex volume() for k = 1..10, both methods", T, float, double)
{
    const auto X = tessera::random_normal<T>(200, 24, 5);
    for (std::size_t k = 1; k <= 10; ++k)
    {
        const auto idx = tessera::simplex::sample_simplices(200, k, 300, k);
        tessera::simplex::simplex_volume_options o;
        const auto r = tessera::simplex::simplex_volumes(X, idx, o);
        o.squared = true;
        const auto r2 = tessera::simplex::simplex_volumes(X, idx, o);
        o.method = volume_method::cayley_menger;
        const auto rc = tessera::simplex::simplex_volumes(X, idx, o);
        REQUIRE(r.volume.size() == 300);
        for (std::size_t s = 0; s < 300; s += 7)
        {
            xt::xtensor<T, 2> P = xt::xtensor<T, 2>::from_shape({k + 1, 24});
            for (std::size_t v = 0; v <= k; ++v)
                for (std::size_t j = 0; j < 24; ++j)
                    P(v, j) = X(idx(s, v), j);
            const double v2 = tessera::simplex::volume_squared(P);
            CHECK(r.volume(s) == doctest::Approx(std::sqrt(v2)).epsilon(1e-14));
            CHECK(r2.volume(s) == doctest::Approx(v2).epsilon(1e-14));
            CHECK(rc.volume(s) == doctest::Approx(v2).epsilon(1e-8));  // well-conditioned: CM agrees
            double sum = 0;
            for (std::size_t a = 0; a <= k; ++a)
                for (std::size_t b = a + 1; b <= k; ++b)
                {
                    double t = 0;
                    for (std::size_t j = 0; j < 24; ++j)
                        t += (double(P(a, j)) - double(P(b, j))) * (double(P(a, j)) - double(P(b, j)));
                    sum += std::sqrt(t);
                }
            const double me = sum / (0.5 * double(k) * double(k + 1));
            CHECK(r.mean_edge(s) == doctest::Approx(me).epsilon(1e-12));
            CHECK(r.normalized_volume(s) == doctest::Approx(std::sqrt(v2) / tessera::simplex::regular_simplex_volume(k, me)).epsilon(1e-12));
        }
        CHECK(r.degenerate_count == 0);
        CHECK(r.status.ok());
    }
}

TEST_CASE("normalized volume: 1 for a regular simplex, flags repeated and flat vertices")
{
    auto R = tessera::simplex::regular_simplex<double>(4, 6, 2.5);
    xt::xtensor<double, 2> X = xt::zeros<double>({7, 6});
    for (std::size_t i = 0; i < 5; ++i)
        for (std::size_t j = 0; j < 6; ++j)
            X(i, j) = R(i, j) + 3.0;
    for (std::size_t j = 0; j < 6; ++j)
        X(5, j) = 0.5 * (X(0, j) + X(1, j)) + (j == 5 ? 1e-9 : 0.0);  // nearly on edge 0-1
    xt::xtensor<int, 2> idx = {{0, 1, 2, 3, 4}, {0, 1, 2, 3, 3}, {0, 1, 5, 2, 3}, {4, 3, 2, 1, 0}};
    const auto r = tessera::simplex::simplex_volumes(X, idx);
    CHECK(r.normalized_volume(0) == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(r.normalized_volume(3) == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(r.volume(1) <= 1e-14);  // a repeated vertex leaves a rounding residue of height ~u
    CHECK(r.normalized_volume(1) <= 1e-14);
    CHECK(r.degenerate(1) == 1);
    CHECK(r.degenerate(2) == 1);  // flat to 1e-9 relative
    CHECK(r.degenerate(0) == 0);
    CHECK(r.degenerate_count == 2);
    CHECK(r.status.code == tessera::status_code::degenerate);
    CHECK(!std::isnan(r.normalized_volume(2)));
}

TEST_CASE("simplex_volumes is bitwise identical at 1 and 2 threads")
{
    const auto X = tessera::random_normal<float>(500, 64, 8);
    const auto idx = tessera::simplex::sample_simplices(500, 4, 4000, 3);
    tessera::simplex::simplex_volumes_result a, b;
    {
        tessera::thread_count_guard g(1);
        a = tessera::simplex::simplex_volumes(X, idx);
    }
    {
        tessera::thread_count_guard g(2);
        b = tessera::simplex::simplex_volumes(X, idx);
    }
    CHECK(std::memcmp(a.volume.data(), b.volume.data(), 4000 * sizeof(double)) == 0);
    CHECK(std::memcmp(a.normalized_volume.data(), b.normalized_volume.data(), 4000 * sizeof(double)) == 0);
}

TEST_CASE("simplex_volumes rejects bad input")
{
    xt::xtensor<double, 2> X = xt::zeros<double>({6, 3});
    xt::xtensor<std::uint64_t, 2> out_of_range = {{0, 1, 6}};
    CHECK_THROWS_WITH_AS(tessera::simplex::simplex_volumes(X, out_of_range),
                         "simplex::simplex_volumes: indices(0, 2) = 6 is out of range for X with 6 rows", tessera::invalid_argument);
    xt::xtensor<long, 2> negative = {{0, -1, 2}};
    CHECK_THROWS_WITH_AS(tessera::simplex::simplex_volumes(X, negative),
                         "simplex::simplex_volumes: indices(0, 1) = -1 is out of range for X with 6 rows", tessera::invalid_argument);
    xt::xtensor<std::uint64_t, 2> too_many = {{0, 1, 2, 3, 4}};
    CHECK_THROWS_WITH_AS(tessera::simplex::simplex_volumes(X, too_many),
                         "simplex::simplex_volumes: k=4 exceeds the dimension d=3 of X", tessera::invalid_argument);
    xt::xtensor<std::uint64_t, 2> empty = xt::xtensor<std::uint64_t, 2>::from_shape({0, 3});
    CHECK_THROWS_WITH_AS(tessera::simplex::simplex_volumes(X, empty),
                         "simplex::simplex_volumes: indices must hold at least one simplex, got shape [0, 3]", tessera::invalid_argument);
    xt::xtensor<std::uint64_t, 2> single = {{0}, {1}};
    CHECK_THROWS_WITH_AS(tessera::simplex::simplex_volumes(X, single),
                         "simplex::simplex_volumes: indices must have k+1 >= 2 columns, got shape [2, 1]", tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("simplex_volumes rejects NaN / Inf input", T, float, double)
{
    auto X = tessera::random_normal<T>(10, 4, 4);
    X(9, 3) = std::numeric_limits<T>::infinity();
    xt::xtensor<std::uint64_t, 2> idx = {{0, 1, 2}};
    CHECK_THROWS_WITH_AS(tessera::simplex::simplex_volumes(X, idx), "simplex::simplex_volumes: X must be finite, got inf at [9, 3]",
                         tessera::invalid_argument);
}
