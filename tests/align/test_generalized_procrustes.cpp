#include <cmath>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/align/generalized_procrustes.hpp>
#include <tessera/core/blas.hpp>
#include <tessera/core/random.hpp>

#include "align_fixtures.hpp"
#include "test_support.hpp"

using align_test::determinant;
using align_test::max_abs_diff;
using tessera::align::generalized_procrustes;
using tessera::align::generalized_procrustes_options;
using tessera::blas::matmul;

namespace
{
    template <class T>
    constexpr double eps()
    {
        return std::is_same_v<T, float> ? 2e-5 : 1e-12;
    }
}  // namespace

TEST_CASE_TEMPLATE("generalized Procrustes converges on three rotated, shifted copies", T, float, double)
{
    const std::size_t n = 150, d = 6;
    const auto X = tessera::random_normal<T>(n, d, 71);
    std::vector<xt::xtensor<T, 2>> spaces;
    for (std::uint64_t i = 0; i < 3; ++i)
    {
        xt::xtensor<T, 2> Y = matmul(X, align_test::random_rotation<T>(d, 100 + i));
        Y += T(3) * T(i) - T(1);
        spaces.push_back(Y);
    }
    const auto r = generalized_procrustes(spaces);
    CHECK(r.status.ok());
    CHECK(r.iterations <= 3);
    CHECK(r.residual < (std::is_same_v<T, float> ? 1e-6 : 1e-20) * double(n * d));
    REQUIRE(r.transforms.size() == 3);
    for (std::size_t i = 0; i < 3; ++i)
    {
        CAPTURE(i);
        const auto aligned = r.transforms[i].apply(spaces[i]);
        CHECK(max_abs_diff(aligned, r.consensus) < 200 * eps<T>());
        CHECK(determinant(r.transforms[i].R) == doctest::Approx(1.0).epsilon(1e-5));
    }
    // The consensus is X (centred) up to one rotation: same Gram matrix.
    xt::xtensor<T, 2> Xc = X - xt::view(xt::mean(X, {0}), xt::newaxis(), xt::all());
    auto G1 = matmul(Xc, Xc, tessera::blas::op::none, tessera::blas::op::transpose);
    auto G2 = matmul(r.consensus, r.consensus, tessera::blas::op::none, tessera::blas::op::transpose);
    CHECK(max_abs_diff(G1, G2) < 2000 * eps<T>());
}

TEST_CASE_TEMPLATE("generalized Procrustes with noise and scale: residual decreases to a fixed point", T, float,
                   double)
{
    const std::size_t n = 400, d = 5;
    const auto X = tessera::random_normal<T>(n, d, 81);
    std::vector<xt::xtensor<T, 2>> spaces;
    const T scales[] = {T(1), T(0.5), T(3)};
    for (std::uint64_t i = 0; i < 3; ++i)
    {
        xt::xtensor<T, 2> Y = scales[i] * matmul(X, align_test::random_rotation<T>(d, 200 + i)) +
                              tessera::random_normal<T>(n, d, 300 + i, 0, T(0.05) * scales[i]);
        spaces.push_back(Y);
    }
    generalized_procrustes_options o;
    o.scale = true;
    o.tolerance = 1e-8;
    const auto r = generalized_procrustes(spaces, o);
    CHECK(r.status.ok());
    CHECK(r.iterations < 50);
    // Aligned copies agree to the noise level relative to the consensus norm.
    const double cn = std::sqrt(tessera::align::detail::sum_squares(r.consensus));
    CHECK(std::sqrt(r.residual) / cn < 0.1);
    // Relative scales recovered: s_i * scales[i] is the same for all i.
    const double k0 = double(r.transforms[0].s) * 1.0;
    CHECK(double(r.transforms[1].s) * 0.5 == doctest::Approx(k0).epsilon(0.01));
    CHECK(double(r.transforms[2].s) * 3.0 == doctest::Approx(k0).epsilon(0.01));

    o.max_iterations = 1;
    o.tolerance = 0.0;
    const auto one = generalized_procrustes(spaces, o);
    CHECK(one.status.code == tessera::status_code::not_converged);
    CHECK(one.iterations == 1);
}

TEST_CASE("generalized Procrustes rejects bad input")
{
    std::vector<xt::xtensor<double, 2>> one{tessera::random_normal<double>(5, 2, 1)};
    CHECK_THROWS_WITH_AS(generalized_procrustes(one), "align::generalized_procrustes: spaces must hold at least 2 matrices, got 1",
                         tessera::invalid_argument);
    one.push_back(tessera::random_normal<double>(5, 3, 2));
    CHECK_THROWS_WITH_AS(generalized_procrustes(one),
                         "align::generalized_procrustes: spaces[1] must have the shape of spaces[0] [5, 2], got [5, 3]",
                         tessera::invalid_argument);
    one[1] = tessera::random_normal<double>(5, 2, 2);
    one[1](0, 0) = std::nan("");
    CHECK_THROWS_AS(generalized_procrustes(one), tessera::invalid_argument);
}
