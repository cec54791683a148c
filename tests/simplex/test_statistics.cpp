#include <cmath>

#include <doctest/doctest.h>
#include <tessera/core/parallel.hpp>
#include <tessera/core/random.hpp>
#include <tessera/simplex/statistics.hpp>

#include "test_support.hpp"

namespace
{
    // E[V] for k+1 iid N(0, s^2 I_d) points: the edges have covariance s^2 (I + J) (det k+1) and
    // det(Z Z^T) of a k x d standard normal Z is a product of independent chi^2_{d-i+1} (Bartlett),
    // so E[V] = s^k sqrt(k+1) / k! prod_{i=1..k} E[chi_{d-i+1}], E[chi_n] = sqrt2 G((n+1)/2) / G(n/2).
    double gaussian_mean_volume(std::size_t k, std::size_t d, double s)
    {
        double v = std::pow(s, double(k)) * std::sqrt(double(k) + 1.0);
        for (std::size_t i = 1; i <= k; ++i)
        {
            const double n = double(d - i + 1);
            v *= std::sqrt(2.0) * std::exp(std::lgamma((n + 1) / 2) - std::lgamma(n / 2)) / double(i);
        }
        return v;
    }
}  // namespace

TEST_CASE_TEMPLATE("volume statistics of Gaussian data match the closed-form mean and the Gaussian baseline", T, float, double)
{
    const std::size_t n = 20000, d = 32, k = 4;
    const auto X = tessera::random_normal<T>(n, d, 31, 0, T(2));
    const auto r = tessera::simplex::volume_statistics(X, k, 20000, 5);
    const double expected = gaussian_mean_volume(k, d, 2.0);
    CHECK(r.k == k);
    CHECK(r.data.count == 20000);
    CHECK(r.data.mean == doctest::Approx(expected).epsilon(0.02));
    CHECK(r.gaussian.mean == doctest::Approx(expected).epsilon(0.02));
    CHECK(r.mean_ratio == doctest::Approx(1.0).epsilon(0.03));
    CHECK(r.data.cv == doctest::Approx(r.gaussian.cv).epsilon(0.05));
    CHECK(r.data.cv == doctest::Approx(r.data.stddev / r.data.mean));
    CHECK(r.data.fraction_degenerate == 0.0);
    // The volumes' distribution_summary: percentiles ascending, inside [min, max], its mean the mean.
    const auto& dist = r.data.distribution;
    CHECK(dist.count == 20000);
    CHECK(dist.mean == doctest::Approx(r.data.mean).epsilon(1e-12));
    CHECK(dist.stddev == doctest::Approx(r.data.stddev).epsilon(1e-12));
    CHECK(dist.min <= dist.percentile(1));
    for (int p = 2; p <= 99; ++p)
        CHECK(dist.percentile(p) >= dist.percentile(p - 1));
    CHECK(dist.percentile(99) <= dist.max);
    CHECK(dist.median() > 0.5 * expected);
    for (std::size_t j = 0; j < d; ++j)
        CHECK(r.column_std(j) == doctest::Approx(2.0).epsilon(0.05));
}

TEST_CASE("volume statistics: anisotropic data vs matched Gaussian, determinism, options, errors")
{
    // Points on a low-dimensional subspace have much smaller volumes than Gaussian points with
    // the same per-dimension spread: ratio << 1.
    const auto Z = tessera::random_normal<double>(3000, 3, 2);
    const auto M = tessera::random_normal<double>(3, 16, 3);
    xt::xtensor<double, 2> X = xt::zeros<double>({3000, 16});
    for (std::size_t i = 0; i < 3000; ++i)
        for (std::size_t j = 0; j < 16; ++j)
            for (std::size_t c = 0; c < 3; ++c)
                X(i, j) += Z(i, c) * M(c, j);
    X += 1e-8 * tessera::random_normal<double>(3000, 16, 4);
    tessera::simplex::volume_statistics_options o;
    o.baseline_count = 2000;
    tessera::simplex::volume_statistics_result a, b;
    {
        tessera::thread_count_guard g(1);
        a = tessera::simplex::volume_statistics(X, 4, 3000, 9, o);
    }
    {
        tessera::thread_count_guard g(2);
        b = tessera::simplex::volume_statistics(X, 4, 3000, 9, o);
    }
    CHECK(a.data.mean == b.data.mean);
    CHECK(a.gaussian.mean == b.gaussian.mean);
    CHECK(a.gaussian.count == 2000);
    CHECK(a.mean_ratio < 0.05);
    CHECK(a.data.fraction_degenerate > 0.99);  // rank-3 data + 1e-8 noise: 4-simplices are flat to ~1e-8
    o.gaussian_baseline = false;
    const auto c = tessera::simplex::volume_statistics(X, 2, 100, 1, o);
    CHECK(c.gaussian.count == 0);
    CHECK(c.mean_ratio == 0.0);
    CHECK_THROWS_WITH_AS(tessera::simplex::volume_statistics(X, 17, 10), "simplex::volume_statistics: k=17 must be in [1, d=16]",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::simplex::volume_statistics(X, 4, 0), "simplex::sample_simplices: count must be positive, got 0",
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("volume_statistics rejects NaN / Inf input (NaN used to pass unreported)", T, float, double)
{
    auto X = tessera::random_normal<T>(30, 6, 4);
    X(17, 1) = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_WITH_AS(tessera::simplex::volume_statistics(X, 3, 100, 1),
                         "simplex::volume_statistics: X must be finite, got nan at [17, 1]", tessera::invalid_argument);
}
