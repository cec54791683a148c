#include <cmath>
#include <limits>

#include <doctest/doctest.h>
#include <tessera/spectral/metrics.hpp>

#include "spectral_test_support.hpp"

using namespace spectral_test;
namespace sp = tessera::spectral;

TEST_CASE_TEMPLATE("metrics match their numpy definitions on a hand-picked spectrum", T, float, double)
{
    xt::xtensor<T, 1> s = load_vector<T>("metrics_sigma");  // 5, 3, 2, 1, 0.5, 0.1, 0
    auto ref = load_vector<double>("metrics_values");
    const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-14;
    CHECK(sp::stable_rank(s) == doctest::Approx(ref(0)).epsilon(tol));
    CHECK(sp::participation_ratio_sigma(s) == doctest::Approx(ref(1)).epsilon(tol));
    xt::xtensor<T, 1> lambda = s * s / T(6);
    CHECK(sp::participation_ratio_lambda(lambda) == doctest::Approx(ref(2)).epsilon(tol));
    CHECK(sp::effective_rank_entropy(s) == doctest::Approx(ref(3)).epsilon(tol));
    CHECK(sp::effective_rank_vonneumann(s) == doctest::Approx(ref(4)).epsilon(tol));
    CHECK(sp::spectral_entropy(s) == doctest::Approx(ref(5)).epsilon(tol));
    CHECK(sp::energy_rank(s, 0.9) == std::size_t(ref(6)));
    CHECK(sp::energy_rank(s, 0.99) == std::size_t(ref(7)));
    CHECK(sp::active_fraction(s, 0.05) == doctest::Approx(ref(8)));
    CHECK(sp::condition_number(s) == std::numeric_limits<double>::infinity());
    // Hand values: stable rank = 39.26 / 25; PR_sigma = 11.6^2 / 39.26.
    CHECK(sp::stable_rank(s) == doctest::Approx(39.26 / 25).epsilon(tol));
    CHECK(sp::participation_ratio_sigma(s) == doctest::Approx(11.6 * 11.6 / 39.26).epsilon(tol));
}

TEST_CASE_TEMPLATE("metrics closed forms: flat and single-spike spectra", T, float, double)
{
    xt::xtensor<T, 1> flat = xt::ones<T>({8}) * T(3);
    CHECK(sp::stable_rank(flat) == doctest::Approx(8));
    CHECK(sp::participation_ratio_sigma(flat) == doctest::Approx(8));
    CHECK(sp::participation_ratio_lambda(flat) == doctest::Approx(8));
    CHECK(sp::effective_rank_entropy(flat) == doctest::Approx(8));
    CHECK(sp::effective_rank_vonneumann(flat) == doctest::Approx(8));
    CHECK(sp::spectral_entropy(flat) == doctest::Approx(std::log(8.0)));
    CHECK(sp::condition_number(flat) == doctest::Approx(1));
    CHECK(sp::active_fraction(flat) == doctest::Approx(1));
    CHECK(sp::energy_rank(flat, 0.5) == 4);
    CHECK(sp::energy_rank(flat, 1.0) == 8);
    xt::xtensor<T, 1> spike = {T(4), T(0), T(0)};
    CHECK(sp::stable_rank(spike) == doctest::Approx(1));
    CHECK(sp::participation_ratio_sigma(spike) == doctest::Approx(1));
    CHECK(sp::effective_rank_entropy(spike) == doctest::Approx(1));
    CHECK(sp::effective_rank_vonneumann(spike) == doctest::Approx(1));
    CHECK(sp::spectral_entropy(spike) == doctest::Approx(0));
    CHECK(sp::active_fraction(spike) == doctest::Approx(1.0 / 3));
    // sigma = (2, 1, 1): energies 4, 1, 1 of 6.
    xt::xtensor<T, 1> s = {T(2), T(1), T(1)};
    CHECK(sp::energy_rank(s, 0.5) == 1);
    CHECK(sp::energy_rank(s, 4.0 / 6) == 1);
    CHECK(sp::energy_rank(s, 0.7) == 2);
    CHECK(sp::energy_rank(s, 1.0) == 3);
    CHECK(sp::energy_rank(s, 0.5, 12.0) == 3);  // truncated spectrum of a matrix with ||A||_F^2 = 12
    CHECK(sp::energy_rank(s, 0.9, 12.0) == 3);  // not reached: S.size()
    CHECK(sp::condition_number(s) == doctest::Approx(2));
    // PR_sigma vs PR_lambda differ: (4)^2/6 vs 6^2/18.
    CHECK(sp::participation_ratio_sigma(s) == doctest::Approx(16.0 / 6));
    xt::xtensor<T, 1> l = s * s;
    CHECK(sp::participation_ratio_lambda(l) == doctest::Approx(36.0 / 18));
    xt::xtensor<T, 1> zero = xt::zeros<T>({4});
    CHECK(sp::stable_rank(zero) == 0);
    CHECK(sp::energy_rank(zero, 0.9) == 0);
    CHECK(sp::effective_rank_entropy(zero) == 0);
}

TEST_CASE_TEMPLATE("metrics bad input", T, float, double)
{
    xt::xtensor<T, 1> s = {T(3), T(2), T(1)};
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::energy_rank(s, 0.0), "spectral::energy_rank: tau=0 must be in (0, 1]");
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::energy_rank(s, 1.5), "spectral::energy_rank: tau=1.5 must be in (0, 1]");
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::energy_rank(s, -0.1), "tau=-0.1");
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::energy_rank(s, std::nan("")), "tau=nan");
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::energy_rank(s, 0.5, 0.0), "total_energy=0 must be finite and > 0");
    xt::xtensor<T, 1> unsorted = {T(1), T(2)};
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::energy_rank(unsorted, 0.5), "S must be sorted in descending order");
    xt::xtensor<T, 1> empty = xt::xtensor<T, 1>::from_shape({0});
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::stable_rank(empty), "spectral::stable_rank: S must be non-empty");
    xt::xtensor<T, 1> neg = {T(1), T(-1)};
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::condition_number(neg), "finite non-negative values, got -1 at index 1");
    xt::xtensor<T, 1> nan = {T(1), std::numeric_limits<T>::quiet_NaN()};
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::spectral_entropy(nan), "got nan at index 1");
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::active_fraction(s, 1.0), "spectral::active_fraction: threshold=1 must be in [0, 1)");
    xt::xtensor<T, 2> mat = xt::ones<T>({2, 2});
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::stable_rank(mat), "spectral::stable_rank: S must have 1 dimension");
}
