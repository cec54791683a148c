// model::measure_qk against numpy, which forms each head's [hidden, hidden] M = Wq_h^T Wk_g and
// takes its full SVD and the eigenvalues of (M + M^T)/2; grouped KV heads; planted symmetric head.
#include <string>

#include <doctest/doctest.h>
#include <tessera/model/battery_attention.hpp>

#include "battery_fixture.hpp"

namespace tmod = tessera::model;

TEST_CASE_TEMPLATE("measure_qk matches numpy per head (4 query heads, 2 KV heads)", T, float, double)
{
    const auto& fx = battery_fixture::root()["qk"];
    const auto Wq = battery_fixture::matrix<T>(fx["Wq"]);
    const auto Wk = battery_fixture::matrix<T>(fx["Wk"]);
    const auto r = tmod::measure_qk(Wq, Wk, 4, 2);
    CHECK(r.status.ok());
    CHECK(r.head_dim == 3);
    REQUIRE(r.heads.size() == 4);
    double mean_sym = 0.0;
    for (std::size_t h = 0; h < 4; ++h)
    {
        CAPTURE(h);
        const auto& e = fx["expect"][h];
        const auto& m = r.heads[h];
        CHECK(m.kv_head == e["kv_head"].get<std::size_t>());
        const auto s = battery_fixture::vec(e["singular_values"]);
        REQUIRE(m.singular_values.size() == s.size());
        for (std::size_t i = 0; i < s.size(); ++i)
            CHECK(m.singular_values(i) == doctest::Approx(s[i]).epsilon(1e-9));
        CHECK(m.stable_rank == doctest::Approx(e["stable_rank"].get<double>()).epsilon(1e-9));
        CHECK(m.participation_ratio == doctest::Approx(e["participation_ratio"].get<double>()).epsilon(1e-9));
        CHECK(m.effective_rank == doctest::Approx(e["effective_rank"].get<double>()).epsilon(1e-9));
        CHECK(m.symmetry == doctest::Approx(e["symmetry"].get<double>()).epsilon(1e-9).scale(1e-7));
        CHECK(m.positive_fraction == doctest::Approx(e["positive_fraction"].get<double>()));
        CHECK(m.positive_mass == doctest::Approx(e["positive_mass"].get<double>()).epsilon(1e-9));
        mean_sym += m.symmetry / 4.0;
    }
    // head 0: keys = queries, M = Q^T Q symmetric PSD
    CHECK(r.heads[0].symmetry < 1e-7);
    CHECK(r.heads[0].positive_fraction == 1.0);
    CHECK(r.mean_symmetry == doctest::Approx(mean_sym));
    // the layer's full M = W_Q^T W_K (keys repeated per group), numpy's explicit [10, 10] matrix
    const auto& f = fx["full"];
    CHECK(r.symmetry == doctest::Approx(f["symmetry"].get<double>()).epsilon(1e-9));
    CHECK(r.positive_fraction == doctest::Approx(f["positive_fraction"].get<double>()));
    CHECK(r.positive_mass == doctest::Approx(f["positive_mass"].get<double>()).epsilon(1e-9));
}

TEST_CASE_TEMPLATE("measure_qk full-matrix sign balance is not the per-head Sylvester 1/2", T, float, double)
{
    // Two heads (d_h = 2, hidden 4, diagonal Q): head 0 has K = Q (M_0 = Q_0^T Q_0, PSD, fraction
    // 1), head 1 has K = -Q (NSD, fraction 0); the full M = M_0 + M_1 = diag(1, 4, -9, -16) has
    // inertia (2, 2): fraction 1/2, positive mass 5 / 30, symmetric.
    xt::xtensor<T, 2> Q = {{1, 0, 0, 0}, {0, 2, 0, 0}, {0, 0, 3, 0}, {0, 0, 0, 4}};
    xt::xtensor<T, 2> K = Q;
    for (std::size_t j = 0; j < 4; ++j)
        K(2, j) = -Q(2, j), K(3, j) = -Q(3, j);
    const auto r = tmod::measure_qk(Q, K, 2, 2);
    REQUIRE(r.heads.size() == 2);
    CHECK(r.heads[0].positive_fraction == 1.0);
    CHECK(r.heads[1].positive_fraction == 0.0);
    CHECK(r.positive_fraction == 0.5);
    CHECK(r.positive_mass == doctest::Approx((1.0 + 4.0) / (1.0 + 4.0 + 9.0 + 16.0)));
    CHECK(r.symmetry == doctest::Approx(0.0).scale(1.0));
    // one head with [Q; K] of full rank 2 d_h: (M + M^T)/2 = B^T J B has J's inertia (d_h, d_h),
    // so the per-head fraction is 1/2 whatever the weights (Sylvester; documented)
    xt::xtensor<T, 2> q1 = {{1, 2, 0, 1}, {0, 1, 3, 1}}, k1 = {{2, 0, 1, 1}, {1, 1, 0, 2}};
    const auto s = tmod::measure_qk(q1, k1, 1, 1);
    CHECK(s.heads[0].positive_fraction == 0.5);
    CHECK(s.positive_fraction == 0.5);  // one head: the full M is M_0
    CHECK(s.positive_mass > 0.0);
}

TEST_CASE("measure_qk rejects head counts that do not fit the shapes")
{
    const xt::xtensor<double, 2> q = xt::ones<double>({12, 10}), k = xt::ones<double>({6, 10});
    CHECK_THROWS_WITH_AS(tmod::measure_qk(q, k, 4, 3),
                         "model::measure_qk: n_heads=4 must be a positive multiple of n_kv_heads=3",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tmod::measure_qk(q, k, 4, 4),
                         "model::measure_qk: Wk must have shape [12, 10] (n_kv_heads * head_dim, hidden), got [6, 10]",
                         tessera::invalid_argument);
}
