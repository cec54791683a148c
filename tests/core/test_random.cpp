#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/core/parallel.hpp>
#include <tessera/core/random.hpp>

using tessera::counter_rng;

TEST_CASE("philox4x32-10 matches the Random123 known-answer vectors")
{
    using A4 = std::array<std::uint32_t, 4>;
    CHECK(tessera::philox4x32_10({0, 0, 0, 0}, {0, 0}) == A4{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u});
    CHECK(tessera::philox4x32_10({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu}) ==
          A4{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu});
    CHECK(tessera::philox4x32_10({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u}) ==
          A4{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u});
}

TEST_CASE("a draw depends only on (seed, stream, index)")
{
    counter_rng a(7, 3), b(7, 3), c(8, 3), d(7, 4);
    CHECK(a.bits64(12345) == b.bits64(12345));
    CHECK(a.bits64(12345) != c.bits64(12345));
    CHECK(a.bits64(12345) != d.bits64(12345));
    CHECK(a.normal<double>(11) == b.normal<double>(11));
    CHECK(a.normal<float>(11) == static_cast<float>(a.normal<double>(11)));
}

TEST_CASE_TEMPLATE("fill_normal is bitwise identical at 1 and 2 threads and equals per-index draws", T, float, double)
{
    const std::size_t n = 100001;  // odd, several chunks
    std::vector<T> one(n), two(n);
    counter_rng rng(2024, 1);
    {
        tessera::thread_count_guard g(1);
        tessera::fill_normal(one.data(), n, rng);
    }
    {
        tessera::thread_count_guard g(2);
        tessera::fill_normal(two.data(), n, rng);
    }
    CHECK(std::memcmp(one.data(), two.data(), n * sizeof(T)) == 0);
    for (std::size_t i : {std::size_t(0), std::size_t(1), std::size_t(4095), std::size_t(4096), n - 1})
        CHECK(one[i] == rng.normal<T>(i));
}

TEST_CASE_TEMPLATE("normal moments: mean 0, variance 1, skew 0, kurtosis 3", T, float, double)
{
    const std::size_t n = 1 << 20;
    auto m = tessera::random_normal<T>(1, n, 99);
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    for (std::size_t i = 0; i < n; ++i)
    {
        const double x = m(0, i);
        s1 += x;
        s2 += x * x;
        s3 += x * x * x;
        s4 += x * x * x * x;
    }
    const double N = static_cast<double>(n);
    // Standard errors: mean 1/sqrt(N)~1e-3, var sqrt(2/N)~1.4e-3, skew sqrt(6/N), kurt sqrt(24/N)~4.8e-3.
    CHECK(std::abs(s1 / N) < 5e-3);
    CHECK(std::abs(s2 / N - 1.0) < 7e-3);
    CHECK(std::abs(s3 / N) < 1.2e-2);
    CHECK(std::abs(s4 / N - 3.0) < 2.5e-2);
}

TEST_CASE("uniform passes a chi-square test on 100 bins; normal on its deciles")
{
    const std::size_t n = 1000000, bins = 100;
    counter_rng rng(5);
    std::vector<double> count(bins, 0.0);
    for (std::size_t i = 0; i < n; ++i)
    {
        const double u = rng.uniform<double>(i);
        REQUIRE(u >= 0.0);
        REQUIRE(u < 1.0);
        count[static_cast<std::size_t>(u * bins)] += 1;
    }
    double chi2 = 0;
    const double expected = double(n) / bins;
    for (double c : count)
        chi2 += (c - expected) * (c - expected) / expected;
    // 99 degrees of freedom: the 0.999 quantile is 148.2; a broken generator lands far above.
    CHECK(chi2 < 148.2);
    CHECK(chi2 > 50.0);  // and not suspiciously uniform (0.001 quantile is 61.9)

    // Normal deciles of N(0,1).
    const double q[9] = {-1.2815516, -0.8416212, -0.5244005, -0.2533471, 0.0, 0.2533471, 0.5244005, 0.8416212, 1.2815516};
    std::vector<double> dec(10, 0.0);
    for (std::size_t i = 0; i < n; ++i)
    {
        const double x = rng.normal<double>(i);
        dec[static_cast<std::size_t>(std::upper_bound(q, q + 9, x) - q)] += 1;
    }
    double chi2n = 0;
    for (double c : dec)
        chi2n += (c - n / 10.0) * (c - n / 10.0) / (n / 10.0);
    CHECK(chi2n < 27.9);  // 9 dof, 0.999 quantile
}

TEST_CASE("rademacher and sparse_sign frequencies")
{
    counter_rng rng(11);
    const std::size_t n = 400000;
    long sum = 0;
    std::size_t plus = 0, minus = 0, zero = 0;
    for (std::size_t i = 0; i < n; ++i)
    {
        sum += rng.rademacher(i);
        const int s = rng.sparse_sign(i, 1.0 / 3.0);
        (s > 0 ? plus : s < 0 ? minus : zero)++;
    }
    CHECK(std::abs(double(sum)) / double(n) < 0.01);
    CHECK(std::abs(double(plus) / n - 1.0 / 6.0) < 0.003);
    CHECK(std::abs(double(minus) / n - 1.0 / 6.0) < 0.003);
    CHECK(std::abs(double(zero) / n - 2.0 / 3.0) < 0.003);
}

TEST_CASE("sample_without_replacement: distinct, in range, deterministic, uniform")
{
    for (std::size_t k : {std::size_t(1), std::size_t(5), std::size_t(64), std::size_t(65), std::size_t(1000)})
    {
        auto s = tessera::sample_without_replacement(5000, k, 3);
        CHECK(s.size() == k);
        std::set<std::uint64_t> u(s.begin(), s.end());
        CHECK(u.size() == k);
        CHECK(*u.rbegin() < 5000);
        CHECK(s == tessera::sample_without_replacement(5000, k, 3));
    }
    auto all = tessera::sample_without_replacement(10, 10, 1);
    std::sort(all.begin(), all.end());
    for (std::uint64_t i = 0; i < 10; ++i)
        CHECK(all[i] == i);
    CHECK_THROWS_AS(tessera::sample_without_replacement(3, 4, 1), tessera::invalid_argument);
    // Each of 20 items appears in a 5-sample with probability 1/4.
    std::vector<double> hits(20, 0.0);
    counter_rng rng(77);
    std::uint64_t out[5];
    const std::size_t trials = 40000;
    for (std::size_t t = 0; t < trials; ++t)
    {
        tessera::sample_without_replacement(20, 5, rng, t * 5, out);
        for (auto v : out)
            hits[v] += 1;
    }
    double chi2 = 0;
    const double e = trials * 5 / 20.0;
    for (double h : hits)
        chi2 += (h - e) * (h - e) / e;
    CHECK(chi2 < 43.8);  // 19 dof, 0.999 quantile
}
