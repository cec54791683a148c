#include <cmath>
#include <numeric>

#include <doctest/doctest.h>
#include <tessera/align/alignment_report.hpp>
#include <tessera/core/blas.hpp>
#include <tessera/core/random.hpp>
#include <tessera/simplex/batch.hpp>
#include <tessera/stats/correlation.hpp>
#include <tessera/stats/pairwise.hpp>

#include "align_fixtures.hpp"
#include "test_support.hpp"

using tessera::align::alignment_report;
using tessera::align::alignment_report_options;
using tessera::align::procrustes;
using tessera::blas::matmul;

TEST_CASE_TEMPLATE("alignment_report of an exact similarity: perfect scores", T, float, double)
{
    const std::size_t n = 300, d = 12;
    const auto A = tessera::random_normal<T>(n, d, 1);
    const xt::xtensor<T, 2> B = T(2) * matmul(A, align_test::random_rotation<T>(d, 2)) + T(0.5);
    tessera::align::procrustes_options o;
    o.scale = true;
    const auto t = procrustes(A, B, o);
    const auto r = alignment_report(t, A, B);
    const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-10;
    CHECK(r.status.ok());
    CHECK(r.rows == n);
    CHECK(r.cosine.min == doctest::Approx(1.0).epsilon(tol));
    CHECK(r.cosine_median == doctest::Approx(1.0).epsilon(tol));
    CHECK(r.residual.max < 100 * tol);
    CHECK(r.relative_residual < 100 * tol);
    CHECK(r.relational_pearson == doctest::Approx(1.0).epsilon(tol));
    CHECK(r.relational_spearman == doctest::Approx(1.0).epsilon(tol));
    CHECK(r.disparity < 100 * tol);
    CHECK(r.mapped_disparity < 100 * tol);
    CHECK(r.angular_distance < 0.01);
    CHECK(r.retrieval.at(1) == 1.0);
    CHECK(r.pentachora == 2000);
    CHECK(r.volume_pearson == doctest::Approx(1.0).epsilon(tol));
    CHECK(r.volume_spearman == doctest::Approx(1.0).epsilon(tol));
    CHECK(r.worst_rows.size() == 10);
}

TEST_CASE_TEMPLATE("alignment_report metrics equal direct computations on noisy data", T, float, double)
{
    const std::size_t n = 400, d = 8;
    const auto A = tessera::random_normal<T>(n, d, 11);
    const xt::xtensor<T, 2> B = matmul(A, align_test::random_rotation<T>(d, 12)) +
                                tessera::random_normal<T>(n, d, 13, 0, T(0.7)) + T(1);
    const auto t = procrustes(xt::xtensor<T, 2>(xt::view(A, xt::range(0, 300), xt::all())),
                              xt::xtensor<T, 2>(xt::view(B, xt::range(0, 300), xt::all())));
    const xt::xtensor<T, 2> At = xt::view(A, xt::range(300, n), xt::all());
    const xt::xtensor<T, 2> Bt = xt::view(B, xt::range(300, n), xt::all());
    alignment_report_options o;
    o.worst_rows = 3;
    const auto r = alignment_report(t, At, Bt, o);
    const auto Y = t.apply(At);
    const std::size_t m = 100;
    std::vector<double> cos(m);
    double mean = 0, angle = 0;
    for (std::size_t i = 0; i < m; ++i)
    {
        double dot = 0, ny = 0, nb = 0;
        for (std::size_t j = 0; j < d; ++j)
        {
            dot += double(Y(i, j)) * double(Bt(i, j));
            ny += double(Y(i, j)) * double(Y(i, j));
            nb += double(Bt(i, j)) * double(Bt(i, j));
        }
        cos[i] = dot / std::sqrt(ny * nb);
        mean += cos[i] / double(m);
        angle += std::acos(cos[i]) / (double(m) * M_PI);
    }
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    CHECK(r.cosine.mean == doctest::Approx(mean).epsilon(tol));
    CHECK(r.angular_distance == doctest::Approx(angle).epsilon(tol));
    const auto worst = std::min_element(cos.begin(), cos.end());
    CHECK(r.worst_rows[0] == std::size_t(worst - cos.begin()));
    CHECK(r.worst_cosines[0] == doctest::Approx(*worst).epsilon(tol));
    CHECK(r.worst_cosines[0] <= r.worst_cosines[1]);
    CHECK(r.disparity == doctest::Approx(tessera::align::procrustes_disparity(Bt, Y)).epsilon(1e-6));
    CHECK(r.disparity <= r.mapped_disparity + 1e-12);  // the refit can only lower it
    const auto rel = tessera::stats::relational_correlation(Y, Bt, 20000, 0);
    CHECK(r.relational_pearson == doctest::Approx(rel.pearson).epsilon(1e-6));
    CHECK(r.relational_spearman == doctest::Approx(rel.spearman).epsilon(1e-6));
    CHECK(r.retrieval.rank == tessera::align::retrieval_precision(Y, Bt).rank);
    CHECK(r.relational_pearson > 0.3);
    CHECK(r.relational_pearson < 0.99);
    CHECK(r.volume_pearson > 0.1);
    CHECK(r.volume_pearson < 0.99);
}

TEST_CASE("alignment_report volume correlation equals simplex volumes of the same sampled pentachora")
{
    const auto A = tessera::random_normal<double>(120, 6, 21);
    const xt::xtensor<double, 2> B = A + tessera::random_normal<double>(120, 6, 22, 0, 0.5);
    const auto t = procrustes(A, B);
    alignment_report_options o;
    o.pentachora = 500;
    o.seed = 4;
    const auto r = alignment_report(t, A, B, o);
    const auto idx = tessera::simplex::sample_simplices(120, 4, 500, 4);
    const auto vy = tessera::simplex::simplex_volumes(t.apply(A), idx).volume;
    const auto vb = tessera::simplex::simplex_volumes(B, idx).volume;
    CHECK(r.volume_pearson == doctest::Approx(tessera::stats::pearson(vy, vb)).epsilon(1e-12));
    CHECK(r.volume_spearman == doctest::Approx(tessera::stats::spearman(vy, vb)).epsilon(1e-12));
    CHECK(r.pentachora == 500);
    // Scaling the map by s multiplies every volume by s^4: correlations unchanged.
    auto t2 = t;
    t2.s = 2.0;
    t2.mean_b = xt::zeros<double>({6});
    const auto r2 = alignment_report(t2, A, B, o);
    CHECK(r2.volume_spearman == doctest::Approx(r.volume_spearman).epsilon(1e-12));
}

TEST_CASE("alignment_report rejects mismatched shapes")
{
    const auto A = tessera::random_normal<double>(20, 4, 1);
    const auto t = procrustes(A, A);
    const auto B = tessera::random_normal<double>(19, 4, 2);
    CHECK_THROWS_WITH_AS(alignment_report(t, A, B),
                         "align::alignment_report: B_test must have shape [20, 4] (rows of A_test, output dimension of the "
                         "transform), got [19, 4]",
                         tessera::invalid_argument);
    const xt::xtensor<double, 2> one = xt::view(A, xt::range(0, 1), xt::all());
    CHECK_THROWS_WITH_AS(alignment_report(t, one, one), "align::alignment_report: A_test must have at least 2 rows, got 1",
                         tessera::invalid_argument);
    const xt::xtensor<double, 2> four = xt::view(A, xt::range(0, 4), xt::all());
    const auto r = alignment_report(t, four, four);
    CHECK(r.status.code == tessera::status_code::degenerate);
    CHECK(r.pentachora == 0);
    const xt::xtensor<double, 2> flat = xt::view(A, xt::all(), xt::range(0, 3));
    const auto r3 = alignment_report(procrustes(flat, flat), flat, flat);
    CHECK(r3.status.message == "pentachoron volumes need >= 5 rows and >= 4 dimensions, got [20, 3]");
}
