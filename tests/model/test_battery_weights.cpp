// model::measure_weight against numpy (full SVD, explicit norms) on float32-rounded fixtures,
// in float and double, and the closed forms: orthogonal matrix, rank 1, all zeros.
#include <cmath>
#include <limits>
#include <string>

#include <doctest/doctest.h>
#include <tessera/core/lapack.hpp>
#include <tessera/model/battery_weights.hpp>
#include <xtensor/xrandom.hpp>

#include "battery_fixture.hpp"

namespace tmod = tessera::model;

namespace
{
    void check_expect(const tmod::weight_metrics& r, const nlohmann::json& e, double rel)
    {
        const auto s = battery_fixture::vec(e["singular_values"]);
        REQUIRE(r.singular_values.size() == s.size());
        for (std::size_t i = 0; i < s.size(); ++i)
            CHECK(r.singular_values(i) == doctest::Approx(s[i]).epsilon(rel));
        CHECK(r.stable_rank == doctest::Approx(e["stable_rank"].get<double>()).epsilon(rel));
        CHECK(r.participation_ratio == doctest::Approx(e["participation_ratio"].get<double>()).epsilon(rel));
        CHECK(r.effective_rank == doctest::Approx(e["effective_rank"].get<double>()).epsilon(rel));
        CHECK(r.energy_rank == e["energy_rank"].get<std::size_t>());
        CHECK(r.condition_number == doctest::Approx(e["condition_number"].get<double>()).epsilon(rel));
        CHECK(r.active_fraction == doctest::Approx(e["active_fraction"].get<double>()));
        for (std::size_t t = 0; t < 4; ++t)
            CHECK(r.sparsity[t] == doctest::Approx(e["sparsity"][t].get<double>()));
        CHECK(r.frobenius == doctest::Approx(e["frobenius"].get<double>()).epsilon(1e-12));
        CHECK(r.mean_abs == doctest::Approx(e["mean_abs"].get<double>()).epsilon(1e-12));
        CHECK(r.mean == doctest::Approx(e["mean"].get<double>()).epsilon(1e-10));
        CHECK(r.stddev == doctest::Approx(e["std"].get<double>()).epsilon(1e-12));
        CHECK(r.max_abs == doctest::Approx(e["max_abs"].get<double>()).epsilon(1e-12));
        CHECK(r.row_norm_mean == doctest::Approx(e["row_norm_mean"].get<double>()).epsilon(1e-12));
        CHECK(r.row_norm_std == doctest::Approx(e["row_norm_std"].get<double>()).epsilon(1e-10));
    }
}  // namespace

TEST_CASE_TEMPLATE("measure_weight matches numpy on tall and wide weights", T, float, double)
{
    for (const char* name : {"weight_tall", "weight_wide"})
    {
        CAPTURE(name);
        const auto& fx = battery_fixture::root()[name];
        const auto W = battery_fixture::matrix<T>(fx["W"]);
        const auto r = tmod::measure_weight(W);
        CHECK(r.rows == W.shape(0));
        CHECK(r.cols == W.shape(1));
        CHECK(r.status.ok());
        check_expect(r, fx["expect"], 1e-9);
    }
}

TEST_CASE("measure_weight recomputes an unresolved Gram tail exactly (condition number 2e6)")
{
    const auto& fx = battery_fixture::root()["weight_illcond"];
    const auto W = battery_fixture::matrix<double>(fx["W"]);
    const auto r = tmod::measure_weight(W);
    CHECK(r.method == "gram+exact");
    CHECK(r.status.ok());
    check_expect(r, fx["expect"], 1e-8);
    // Without the exact recomputation the tail is only as good as eps * cond^2: reported, not silent.
    tmod::weight_metrics_options o;
    o.exact_tail_max_elements = 0;
    const auto g = tmod::measure_weight(W, o);
    CHECK(g.method == "gram");
    CHECK(g.status.code == tessera::status_code::accuracy_limited);
}

TEST_CASE_TEMPLATE("measure_weight invariants: orthogonal, rank one, zero", T, float, double)
{
    xt::random::seed(7);
    const std::size_t n = 16;
    xt::xtensor<double, 2> G = xt::random::randn<double>({n, n});
    const auto f = tessera::lapack::svd<double>(xt::xtensor<double, 2>(G));
    const xt::xtensor<T, 2> Q = xt::cast<T>(tessera::blas::matmul(f.U, f.Vt));
    const auto o = tmod::measure_weight(Q);
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    CHECK(o.stable_rank == doctest::Approx(16.0).epsilon(tol));
    CHECK(o.participation_ratio == doctest::Approx(16.0).epsilon(tol));
    CHECK(o.effective_rank == doctest::Approx(16.0).epsilon(tol));
    CHECK(o.condition_number == doctest::Approx(1.0).epsilon(tol));
    CHECK(o.active_fraction == 1.0);
    CHECK(o.energy_rank == 15);  // 15/16 = 0.9375 >= 0.9

    xt::xtensor<T, 2> R = xt::xtensor<T, 2>::from_shape({24, 10});
    for (std::size_t i = 0; i < 24; ++i)
        for (std::size_t j = 0; j < 10; ++j)
            R(i, j) = static_cast<T>((static_cast<double>(i) - 11.5) * (0.25 + 0.125 * static_cast<double>(j)));
    const auto r1 = tmod::measure_weight(R);
    CHECK(r1.stable_rank == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(r1.energy_rank == 1);
    CHECK(r1.active_fraction == doctest::Approx(0.1));
    CHECK(r1.method == "gram+exact");

    const xt::xtensor<T, 2> Z = xt::zeros<T>({5, 3});
    const auto z = tmod::measure_weight(Z);
    CHECK(z.status.code == tessera::status_code::degenerate);
    CHECK(z.stable_rank == 0.0);
    CHECK(z.sparsity[0] == 1.0);
}

TEST_CASE("measure_weight rejects bad input naming the parameter")
{
    xt::xtensor<double, 2> W = xt::ones<double>({3, 4});
    W(1, 2) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH_AS(tmod::measure_weight(W), "model::measure_weight: W must be finite, got nan at [1, 2]",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tmod::measure_weight(xt::xtensor<double, 2>::from_shape({0, 4})),
                         "model::measure_weight: W must be a non-empty matrix, got shape [0, 4]",
                         tessera::invalid_argument);
    tmod::weight_metrics_options o;
    o.energy_tau = 1.5;
    CHECK_THROWS_WITH_AS(tmod::measure_weight(xt::xtensor<double, 2>(xt::ones<double>({2, 2})), o),
                         "model::measure_weight: options.energy_tau=1.5 must be in (0, 1]", tessera::invalid_argument);
}
