#include <cmath>
#include <limits>

#include <doctest/doctest.h>
#include <tessera/spectral/spectrum_report.hpp>
#include <xtensor/xadapt.hpp>

#include "spectral_test_support.hpp"

using namespace spectral_test;
namespace sp = tessera::spectral;

namespace
{
    // Covariance eigenvalues computed independently: exact SVD of the explicitly centred matrix.
    template <class T>
    std::vector<double> covariance_eigenvalues(const xt::xtensor<T, 2>& A)
    {
        const std::size_t m = A.shape(0), n = A.shape(1);
        xt::xtensor<double, 2> C = xt::cast<double>(A);
        for (std::size_t j = 0; j < n; ++j)
        {
            double mu = 0;
            for (std::size_t i = 0; i < m; ++i)
                mu += C(i, j);
            mu /= double(m);
            for (std::size_t i = 0; i < m; ++i)
                C(i, j) -= mu;
        }
        auto f = tessera::lapack::svd<double>(C);
        std::vector<double> l;
        for (double s : f.S)
            l.push_back(s * s / double(m - 1));
        return l;
    }
}  // namespace

TEST_CASE_TEMPLATE("spectrum_report agrees with the metric functions and an independent covariance", T, float, double)
{
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-11;
    for (auto shape : {std::pair<std::size_t, std::size_t>{200, 30}, {25, 90}})
    {
        const std::size_t k = std::min(shape.first, shape.second);
        std::vector<double> s(k);
        for (std::size_t i = 0; i < k; ++i)
            s[i] = 4.0 / (1.0 + double(i));
        auto A = with_spectrum<T>(shape.first, shape.second, s, 77);
        for (std::size_t i = 0; i < A.shape(0); ++i)  // a non-zero mean, so centring matters
            for (std::size_t j = 0; j < A.shape(1); ++j)
                A(i, j) += T(0.05) * T(j % 7);
        auto rep = sp::spectrum_report(A);
        auto f = tessera::lapack::svd<double>(xt::xtensor<double, 2>(xt::cast<double>(A)));
        REQUIRE(rep.singular_values.size() == k);
        CHECK(rep.status.ok());
        CHECK(rep.method == "gram");
        for (std::size_t i = 0; i < k; ++i)
        {
            const double ratio = f.S(0) / f.S(i);
            CHECK(std::abs(rep.singular_values(i) - f.S(i)) <= (tol + 1e-15 * ratio * ratio) * f.S(0));
        }
        auto lc = covariance_eigenvalues(A);
        for (std::size_t i = 0; i < std::min(k, shape.first - 1); ++i)
            CHECK(std::abs(rep.covariance_eigenvalues(i) - lc[i]) <= tol * lc[0]);
        xt::xtensor<double, 1> sv = f.S;
        xt::xtensor<double, 1> lv = xt::adapt(lc);
        CHECK(rep.stable_rank == doctest::Approx(sp::stable_rank(sv)).epsilon(10 * tol));
        CHECK(rep.participation_ratio_sigma == doctest::Approx(sp::participation_ratio_sigma(sv)).epsilon(10 * tol));
        CHECK(rep.participation_ratio_lambda == doctest::Approx(sp::participation_ratio_lambda(lv)).epsilon(10 * tol));
        CHECK(rep.effective_rank_entropy == doctest::Approx(sp::effective_rank_entropy(sv)).epsilon(10 * tol));
        CHECK(rep.effective_rank_vonneumann == doctest::Approx(sp::effective_rank_vonneumann(sv)).epsilon(10 * tol));
        CHECK(rep.spectral_entropy == doctest::Approx(sp::spectral_entropy(sv)).epsilon(10 * tol));
        CHECK(rep.energy_rank == sp::energy_rank(sv, 0.9));
        CHECK(rep.active_fraction == doctest::Approx(sp::active_fraction(sv)));
        CHECK(rep.condition_number == doctest::Approx(f.S(0) / f.S(k - 1)).epsilon(1e3 * tol));
        CHECK(rep.frobenius_norm == doctest::Approx(std::sqrt(double(xt::sum(f.S * f.S)()))).epsilon(tol));
        CHECK(rep.spectral_norm == doctest::Approx(f.S(0)).epsilon(tol));
    }
}

TEST_CASE("spectrum_report recomputes an unresolvable tail exactly, or says so")
{
    std::vector<double> s = {1.0, 0.3, 0.1, 1e-4, 1e-9};
    auto A = with_spectrum<double>(40, 5, s, 5);
    auto rep = sp::spectrum_report(A);
    CHECK(rep.method == "gram+exact");
    CHECK(rep.status.ok());
    CHECK(rep.condition_number == doctest::Approx(1e9).epsilon(1e-5));
    sp::spectrum_report_options o;
    o.exact_tail = false;
    auto lim = sp::spectrum_report(A, o);
    CHECK(lim.method == "gram");
    CHECK(lim.status.code == tessera::status_code::accuracy_limited);
    CHECK(lim.stable_rank == doctest::Approx(rep.stable_rank).epsilon(1e-12));
}

TEST_CASE_TEMPLATE("spectrum_report bad input", T, float, double)
{
    auto A = tessera::random_normal<T>(5, 3, 1);
    sp::spectrum_report_options o;
    o.energy_tau = 0;
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::spectrum_report(A, o), "spectral::spectrum_report: options.energy_tau=0 must be in (0, 1]");
    o.energy_tau = 0.9;
    o.active_threshold = 2;
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::spectrum_report(A, o), "options.active_threshold=2");
    xt::xtensor<T, 2> one = xt::ones<T>({1, 3});
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::spectrum_report(one), "A must have at least 2 rows");
    xt::xtensor<T, 2> empty = xt::xtensor<T, 2>::from_shape({3, 0});
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::spectrum_report(empty), "got shape [3, 0]");
    A(4, 1) = std::numeric_limits<T>::infinity();
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::spectrum_report(A), "A must be finite, got inf at [4, 1]");
}
