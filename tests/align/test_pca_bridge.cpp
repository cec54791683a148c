#include <cmath>

#include <doctest/doctest.h>
#include <tessera/align/pca_bridge.hpp>
#include <tessera/core/blas.hpp>
#include <tessera/core/random.hpp>

#include "align_fixtures.hpp"
#include "test_support.hpp"

using align_test::max_abs_diff;
using align_test::semi_orthogonality_error;
using tessera::align::pca_bridge;
using tessera::align::pca_bridge_options;
using tessera::blas::matmul;
using tessera::blas::op;

namespace
{
    // A [n, 20] = Z W + 1e-3 noise with W [8, 20] orthonormal rows (rank 8 + noise), B = Z Q + shift.
    template <class T>
    struct bridge_data
    {
        xt::xtensor<T, 2> A, B;
    };

    template <class T>
    bridge_data<T> make(std::size_t n)
    {
        const auto Z = tessera::random_normal<T>(n, 8, 1);
        const auto W = xt::xtensor<T, 2>(xt::transpose(tessera::lapack::qr<T>(tessera::random_normal<T>(20, 8, 2)).Q));
        bridge_data<T> d;
        d.A = matmul(Z, W) + tessera::random_normal<T>(n, 20, 3, 0, T(1e-3));
        d.A += T(0.7);
        d.B = matmul(Z, align_test::random_rotation<T>(8, 4));
        d.B -= T(2);
        return d;
    }
}  // namespace

TEST_CASE_TEMPLATE("pca_bridge: wide source reduced to the target's dimension", T, float, double)
{
    const auto d = make<T>(500);
    const auto r = pca_bridge(d.A, d.B);
    CHECK(r.transform.status.ok());
    CHECK(r.reduced_a);
    CHECK_FALSE(r.reduced_b);
    CHECK(r.components == 8);
    REQUIRE(r.transform.R.shape(0) == 20);
    REQUIRE(r.transform.R.shape(1) == 8);
    CHECK(semi_orthogonality_error(r.transform.R) < (std::is_same_v<T, float> ? 1e-5 : 1e-12));
    // Retained variance: 1 - (noise variance 12 dims x 1e-6) / (signal 8 + noise); ~ 1 - 1.5e-6.
    CHECK(r.retained_variance_a == doctest::Approx(1.0).epsilon(1e-5));
    CHECK(r.retained_variance_a < 1.0);
    // Independent check of the retained variance: ||P A_c||^2 / ||A_c||^2 with P the projection.
    const auto Ac = xt::xtensor<T, 2>(d.A - xt::view(r.pca_a.mean, xt::newaxis(), xt::all()));
    const auto proj = matmul(Ac, r.pca_a.components, op::none, op::transpose);
    double kept = 0, total = 0;
    for (auto v : proj)
        kept += double(v) * double(v);
    for (auto v : Ac)
        total += double(v) * double(v);
    CHECK(r.retained_variance_a == doctest::Approx(kept / total).epsilon(1e-4));
    // The composed map equals the two steps and maps A onto B up to the noise.
    const auto two_step = r.reduced.apply(r.pca_a.transform(d.A));
    CHECK(max_abs_diff(r.transform.apply(d.A), two_step) < (std::is_same_v<T, float> ? 1e-4 : 1e-10));
    CHECK(max_abs_diff(r.transform.apply(d.A), d.B) < 0.02);
}

TEST_CASE_TEMPLATE("pca_bridge: wide target reduced; inverse direction and components < min(p, q)", T, float, double)
{
    const auto d = make<T>(400);
    const auto r = pca_bridge(d.B, d.A);
    CHECK(r.reduced_b);
    CHECK_FALSE(r.reduced_a);
    REQUIRE(r.transform.R.shape(0) == 8);
    REQUIRE(r.transform.R.shape(1) == 20);
    CHECK(semi_orthogonality_error(r.transform.R) < (std::is_same_v<T, float> ? 1e-5 : 1e-12));
    CHECK(max_abs_diff(r.transform.apply(d.B), d.A) < 0.02);

    pca_bridge_options o;
    o.components = 3;
    const auto r3 = pca_bridge(d.A, d.B, o);
    CHECK(r3.reduced_a);
    CHECK(r3.reduced_b);
    CHECK(r3.retained_variance_a < 0.9);
    CHECK(r3.retained_variance_b == doctest::Approx(r3.retained_variance_a).epsilon(0.05));
    // A rank-3 partial isometry: R^T R is a projection (idempotent).
    const auto P = matmul(r3.transform.R, r3.transform.R, op::transpose, op::none);
    CHECK(max_abs_diff(matmul(P, P), P) < (std::is_same_v<T, float> ? 1e-5 : 1e-12));

    o.components = 9;
    CHECK_THROWS_WITH_AS(pca_bridge(d.A, d.B, o), "align::pca_bridge: options.components=9 must be in [1, min(p, q)=8]",
                         tessera::invalid_argument);
    o.components = 0;
    o.pca.whiten = true;
    CHECK_THROWS_AS(pca_bridge(d.A, d.B, o), tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("pca_bridge: default options find the map whatever the orientation of the target", T, float, double)
{
    // The k x k fit is between PCA coordinates whose signs are arbitrary: a det = +1 constraint
    // there (the default allow_reflection = false) would reject the right map for one of B and
    // its mirror image. The bridge must map A onto both.
    const auto d = make<T>(400);
    auto mirrored = d.B;
    xt::view(mirrored, xt::all(), 0) *= T(-1);
    const xt::xtensor<T, 2>* targets[] = {&d.B, &mirrored};
    for (const auto* target : targets)
    {
        const auto r = pca_bridge(d.A, *target);
        CHECK(r.transform.status.ok());
        CHECK_FALSE(r.reduced.reflection_removed);
        CHECK(max_abs_diff(r.transform.apply(d.A), *target) < 0.02);
        // And the other way round (the wide side as the target, reduced).
        const auto back = pca_bridge(*target, d.A);
        CHECK(max_abs_diff(back.transform.apply(*target), d.A) < 0.02);
    }
    // Neither side reduced (p == q == k): the bridge is procrustes and the option holds.
    const auto same = pca_bridge(d.B, mirrored);
    CHECK_FALSE(same.reduced_a);
    CHECK_FALSE(same.reduced_b);
    CHECK(same.reduced.reflection_removed);
    pca_bridge_options o;
    o.procrustes.allow_reflection = true;
    CHECK(max_abs_diff(pca_bridge(d.B, mirrored, o).transform.apply(d.B), mirrored) < 1e-3);
}
