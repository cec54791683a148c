// model::measure_embedding: row norms, covariance participation ratio and the head comparison
// against numpy; the sampled parts equal the stats / simplex functions they delegate to; ties.
#include <doctest/doctest.h>
#include <tessera/model/battery_embedding.hpp>

#include "battery_fixture.hpp"

namespace tmod = tessera::model;

TEST_CASE_TEMPLATE("measure_embedding matches numpy and detects ties", T, float, double)
{
    const auto& fx = battery_fixture::root()["embedding"];
    const auto E = battery_fixture::matrix<T>(fx["E"]);
    const auto H = battery_fixture::matrix<T>(fx["H"]);
    const auto& e = fx["expect"];
    tmod::embedding_options o;
    o.cosine_pairs = 500;
    o.simplices = 300;
    o.seed = 3;
    const auto r = tmod::measure_embedding(E, H, o);
    CHECK(r.status.ok());
    CHECK(r.row_norms.mean == doctest::Approx(e["row_norm_mean"].get<double>()).epsilon(1e-12));
    CHECK(r.row_norms.stddev == doctest::Approx(e["row_norm_std"].get<double>()).epsilon(1e-10));
    CHECK(r.covariance_participation_ratio == doctest::Approx(e["covariance_participation_ratio"].get<double>()).epsilon(1e-10));
    CHECK(r.tie.compared);
    CHECK_FALSE(r.tie.tied);
    CHECK(r.tie.matched_row_cosine_mean == doctest::Approx(e["matched_row_cosine_mean"].get<double>()).epsilon(1e-12));
    CHECK(r.tie.matched_row_cosine_min == doctest::Approx(e["matched_row_cosine_min"].get<double>()).epsilon(1e-12));
    CHECK(r.tie.relative_difference == doctest::Approx(e["relative_difference"].get<double>()).epsilon(1e-10));
    const auto cs = tessera::stats::pairwise_cosine(E, 500, 3).summary;
    CHECK(r.cosine.mean == cs.mean);
    const auto vs = tessera::simplex::volume_statistics(E, 4, 300, 3);
    CHECK(r.volume_cv == vs.data.cv);
    CHECK(r.gaussian_ratio == vs.mean_ratio);
    CHECK(r.volume_cv > 0.0);

    const auto same = tmod::measure_embedding(E, E, o);  // same storage
    CHECK(same.tie.tied);
    CHECK(same.tie.relative_difference == 0.0);
    const xt::xtensor<T, 2> copy = E;  // equal values, other storage
    CHECK(tmod::measure_embedding(E, copy, o).tie.tied);
    CHECK_FALSE(tmod::measure_embedding(E, o).tie.compared);
    CHECK_THROWS_WITH_AS(tmod::measure_embedding(E, xt::xtensor<T, 2>(xt::zeros<T>({3, 8})), o),
                         "model::measure_embedding: head must have the shape of E [60, 8], got [3, 8]",
                         tessera::invalid_argument);
}

TEST_CASE("the battery's covariance from the Gram matrix falls back to centring when the mean dominates")
{
    // rows +-a_j e_j (a = 0.1, 0.2, 0.3, 0.4) shifted by 1e6: cov = diag(2 a_j^2 / 7), participation
    // ratio 60^2 / (2^2 + 8^2 + 18^2 + 32^2) = 3600 / 1416 (scale-free). The uncentred Gram has
    // entries ~8e12 with rounding ~1e-3, a few % of the covariance's 1e-2 entries (positive trace,
    // wrong values): covariance_from_gram must take the centred path (~1e-10 / 0.1 relative error).
    xt::xtensor<double, 2> E = xt::zeros<double>({8, 4});
    for (std::size_t j = 0; j < 4; ++j)
    {
        E(2 * j, j) = 0.1 * static_cast<double>(j + 1);
        E(2 * j + 1, j) = -0.1 * static_cast<double>(j + 1);
    }
    E += 1e6;
    const auto G = tessera::blas::gram<double>(E);
    tmod::embedding_options o;
    o.cosine_pairs = 10;
    o.simplices = 10;
    const auto r = tmod::detail::embedding_metrics_of<double>(E, nullptr, o, &G, false);
    CHECK(r.status.ok());
    CHECK(r.covariance_participation_ratio == doctest::Approx(3600.0 / 1416.0).epsilon(1e-6));
}

TEST_CASE_TEMPLATE("the battery's covariance from the Gram matrix equals the centred path", T, float, double)
{
    // the same design without the shift (the Gram route is taken): closed form to round-off
    xt::xtensor<T, 2> E = xt::zeros<T>({8, 4});
    for (std::size_t j = 0; j < 4; ++j)
    {
        E(2 * j, j) = static_cast<T>(j + 1);
        E(2 * j + 1, j) = -static_cast<T>(j + 1);
    }
    const auto G = tessera::blas::gram<double>(E);
    tmod::embedding_options o;
    o.cosine_pairs = 10;
    o.simplices = 10;
    const auto r = tmod::detail::embedding_metrics_of<T>(E, nullptr, o, &G, false);
    CHECK(r.covariance_participation_ratio == doctest::Approx(3600.0 / 1416.0).epsilon(1e-12));
    CHECK(r.covariance_participation_ratio == doctest::Approx(tmod::measure_embedding(E, o).covariance_participation_ratio).epsilon(1e-12));
}
