#include <doctest/doctest.h>
#include <tessera/core/random.hpp>
#include <tessera/tt/shapes.hpp>

#include "test_support.hpp"

using namespace tessera::tt;  // NOLINT: test file

TEST_CASE("prime_factors: hand-worked cases")
{
    CHECK(prime_factors(50265) == std::vector<std::uint64_t>{3, 3, 5, 1117});
    CHECK(prime_factors(4096) == std::vector<std::uint64_t>(12, 2));
    CHECK(prime_factors(50400) == std::vector<std::uint64_t>{2, 2, 2, 2, 2, 3, 3, 5, 5, 7});
    CHECK(prime_factors(1).empty());
    CHECK(prime_factors(2) == std::vector<std::uint64_t>{2});
    CHECK(prime_factors(1117) == std::vector<std::uint64_t>{1117});
    CHECK(prime_factors(32128) == std::vector<std::uint64_t>{2, 2, 2, 2, 2, 2, 2, 251});
    CHECK(prime_factors(2147483647) == std::vector<std::uint64_t>{2147483647});  // 2^31 - 1 is prime
    CHECK(prime_factors(4294967297ULL) == std::vector<std::uint64_t>{641, 6700417});  // Euler: F_5
    for (std::uint64_t n = 1; n < 2000; ++n)  // product of the factors is n, each one prime
    {
        std::uint64_t p = 1;
        for (auto f : prime_factors(n))
        {
            p *= f;
            for (std::uint64_t q = 2; q * q <= f; ++q)
                CHECK(f % q != 0);
        }
        CHECK(p == n);
    }
}

TEST_CASE("balanced_factorizations: hand-worked cases")
{
    auto f = balanced_factorizations(4096, 4);
    REQUIRE(!f.empty());
    CHECK(f[0] == std::vector<std::size_t>{8, 8, 8, 8});
    CHECK(f[1] == std::vector<std::size_t>{4, 8, 8, 16});
    CHECK(balanced_factorizations(1024, 2)[0] == std::vector<std::size_t>{32, 32});
    CHECK(balanced_factorizations(50400, 4)[0] == std::vector<std::size_t>{14, 15, 15, 16});
    // 50265 = 3^2 5 1117: every factorization into 4 factors >= 2 carries 1117.
    auto g = balanced_factorizations(50265, 4, 100);
    CHECK(g == std::vector<std::vector<std::size_t>>{{3, 3, 5, 1117}});
    CHECK(balanced_factorizations(50265, 3, 100).front() == std::vector<std::size_t>{5, 9, 1117});
    CHECK(balanced_factorizations(7, 2).empty());  // a prime has no factorization into 2 factors >= 2
    CHECK(balanced_factorizations(12, 2, 100) == std::vector<std::vector<std::size_t>>{{3, 4}, {2, 6}});
    CHECK(balanced_factorizations(12, 1) == std::vector<std::vector<std::size_t>>{{12}});
    for (const auto& h : balanced_factorizations(720, 3, 1000))
        CHECK(h[0] * h[1] * h[2] == 720);
}

TEST_CASE("next_smooth: matches a brute-force scan on both paths, and throws instead of wrapping past SIZE_MAX")
{
    // Reference: the plain upward scan (every factor checked by division).
    auto brute = [](std::size_t n, std::size_t p) {
        for (std::size_t m = std::max<std::size_t>(n, 1);; ++m)
        {
            std::size_t r = m;
            for (std::size_t q = 2; q <= p; ++q)
                while (r % q == 0)
                    r /= q;
            if (r == 1)
                return m;
        }
    };
    for (std::size_t p : {2, 3, 5, 7, 11, 13, 17, 23})  // <= 13: product search; above: scan
        for (std::size_t n = 0; n < 3000; ++n)
            REQUIRE_MESSAGE(next_smooth(n, p) == brute(n, p), "n=" << n << " p=" << p);
    // Near 2^64 7-smooth numbers are ~1e14 apart: found by search, not by scanning (independent
    // value from a Python search over 2^a 3^b 5^c 7^d): 2^63 + 1 -> 9223681600000000000.
    CHECK(next_smooth((std::size_t(1) << 63) + 1, 7) == 9223681600000000000ULL);
    CHECK(next_smooth(std::size_t(1) << 63, 7) == std::size_t(1) << 63);
    // The smallest 7-smooth number >= 2^64 - 1 is 2^64: it does not fit. (It used to wrap to 0 and loop.)
    const std::size_t top = std::numeric_limits<std::size_t>::max();
    for (std::size_t p : {7, 17})
        CHECK_THROWS_WITH_AS(next_smooth(top, p),
                             doctest::Contains("tt::next_smooth: no number >= n=18446744073709551615 with prime factors <= "),
                             tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(next_smooth(10, 1), "tt::next_smooth: max_prime=1 must be >= 2", tessera::invalid_argument);
    CHECK_THROWS_AS(next_smooth(10, 0), tessera::invalid_argument);
}

TEST_CASE("next_smooth and tt_shape_suggestions pad 50265 to 50400")
{
    CHECK(next_smooth(50265, 7) == 50400);
    CHECK(next_smooth(4096, 7) == 4096);
    CHECK(next_smooth(1117, 5) == 1125);
    auto s = tt_shape_suggestions(50265, 768, 4);
    REQUIRE(!s.empty());
    for (const auto& t : s)
    {
        CHECK(t.rows == 50400);  // 50265's only 4-factorization has max/min = 372: padded
        CHECK(t.cols == 768);
        CHECK(t.row_modes.size() == 4);
    }
    // Ranked by parameters at rank 16: big modes go to the cheap boundary cores (r_0 = r_d = 1).
    CHECK(s[0].row_modes == std::vector<std::size_t>{12, 12, 14, 25});
    CHECK(s[0].col_modes == std::vector<std::size_t>{12, 4, 4, 4});
    CHECK(s[0].params == 144 * 16 + 16 * 48 * 16 + 16 * 56 * 16 + 16 * 100);  // hand count: 30528
    CHECK(s[0].params <= interleaved_params({14, 15, 15, 16}, {4, 4, 6, 8}, 16));
    CHECK(s[0].params == interleaved_params(s[0].row_modes, s[0].col_modes, 16));
    for (std::size_t i = 1; i < s.size(); ++i)
        CHECK(s[i - 1].params <= s[i].params);
    auto u = tt_shape_suggestions(4096, 1024, 4);
    CHECK(u[0].rows == 4096);
    CHECK(u[0].cols == 1024);
    // Hand count, modes (8,8,8,8) x (4,4,8,8) reversed pairs etc.: rank 16, s_k = 32..64.
    CHECK(interleaved_params({8, 8, 8, 8}, {4, 8, 8, 4}, 16) == 32 * 16 + 16 * 64 * 16 + 16 * 64 * 16 + 16 * 32);
    CHECK(interleaved_params({2, 2}, {2, 2}, 100) == 4 * 4 + 4 * 4);  // rank capped at min(4, 4)
}

TEST_CASE_TEMPLATE("tt_shape_suggestions with a matrix ranks by measured error within the budget", T, float, double)
{
    auto W = tessera::random_normal<T>(60, 36, 3);
    auto s = tt_shape_suggestions(W, 2, 900);
    REQUIRE(!s.empty());
    for (std::size_t i = 0; i < s.size(); ++i)
    {
        CHECK(s[i].params <= 900);
        CHECK(s[i].rel_error >= 0.0);
        CHECK(s[i].rel_error < 1.0);
        if (i > 0)
            CHECK(s[i - 1].rel_error <= s[i].rel_error);
    }
}

TEST_CASE("shapes: bad input")
{
    CHECK_THROWS_WITH_AS(prime_factors(0), doctest::Contains("n=0"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(balanced_factorizations(12, 0), doctest::Contains("d=0"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tt_shape_suggestions(10, 10, 1), doctest::Contains("d=1 must be >= 2"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tt_shape_suggestions(0, 10, 2), doctest::Contains("M=0"), tessera::invalid_argument);
    tt_shape_options o;
    o.rank = 0;
    CHECK_THROWS_WITH_AS(tt_shape_suggestions(10, 10, 2, o), doctest::Contains("options.rank=0"),
                         tessera::invalid_argument);
}
