#include <cmath>
#include <limits>
#include <utility>

#include <doctest/doctest.h>
#include <tessera/core/lapack.hpp>
#include <tessera/core/random.hpp>
#include <tessera/simplex/regular.hpp>
#include <tessera/simplex/volume.hpp>

#include "simplex_cases.hpp"

using tessera::simplex::volume_method;

namespace
{
    double factorial(std::size_t k)
    {
        double f = 1;
        for (std::size_t i = 2; i <= k; ++i)
            f *= double(i);
        return f;
    }
    template <class T>
    xt::xtensor<T, 2> unit_simplex(std::size_t k)
    {
        xt::xtensor<T, 2> P = xt::zeros<T>({k + 1, k});
        for (std::size_t i = 0; i < k; ++i)
            P(i + 1, i) = T(1);
        return P;
    }
    template <class T, std::size_t K>
    bool fixed_unit_ok()
    {
        return std::fabs(tessera::simplex::volume<K>(unit_simplex<T>(K)) * factorial(K) - 1.0) <= 1e-14;
    }
    template <class T, std::size_t... K>
    void check_fixed_unit(std::index_sequence<K...>)
    {
        const bool all = (fixed_unit_ok<T, K + 1>() && ...);
        CHECK(all);
    }
    double rel(double got, double want) { return std::fabs(got - want) / std::fabs(want); }
}  // namespace

TEST_CASE_TEMPLATE("the unit simplex in R^k has volume 1/k! (both methods, runtime and compile-time k)", T, float, double)
{
    for (std::size_t k = 1; k <= 12; ++k)
    {
        const auto P = unit_simplex<T>(k);
        CHECK(tessera::simplex::volume(P) == doctest::Approx(1.0 / factorial(k)).epsilon(1e-14));
        CHECK(tessera::simplex::volume(P, volume_method::cayley_menger) == doctest::Approx(1.0 / factorial(k)).epsilon(1e-12));
        CHECK(tessera::simplex::volume_squared(P) == doctest::Approx(1.0 / (factorial(k) * factorial(k))).epsilon(1e-14));
    }
    check_fixed_unit<T>(std::make_index_sequence<8>{});
}

TEST_CASE_TEMPLATE("regular simplices match the closed form; volume is invariant under permutation, rotation, translation", T, float, double)
{
    for (std::size_t k = 1; k <= 9; ++k)
    {
        const auto R = tessera::simplex::regular_simplex<T>(k, k + 3, 1.7);
        CHECK(tessera::simplex::volume(R) ==
              doctest::Approx(tessera::simplex::regular_simplex_volume(k, 1.7)).epsilon(std::is_same_v<T, float> ? 1e-6 : 1e-13));
    }
    const std::size_t k = 4, d = 10;
    const auto P = tessera::random_normal<double>(k + 1, d, 77);
    const double v = tessera::simplex::volume(P);
    // rotation: Q from the QR of a random matrix; translation by a random vector of norm ~30
    const auto Q = tessera::lapack::qr(tessera::random_normal<double>(d, d, 78)).Q;
    xt::xtensor<double, 2> M = xt::zeros<double>({k + 1, d});
    for (std::size_t i = 0; i <= k; ++i)
        for (std::size_t j = 0; j < d; ++j)
        {
            double s = 0;
            for (std::size_t c = 0; c < d; ++c)
                s += P(i, c) * Q(c, j);
            M(i, j) = s + 10.0 * double(j % 3);
        }
    xt::xtensor<double, 2> perm = P;
    for (std::size_t j = 0; j < d; ++j)
    {
        std::swap(perm(0, j), perm(3, j));
        std::swap(perm(1, j), perm(4, j));
    }
    CHECK(tessera::simplex::volume(M) == doctest::Approx(v).epsilon(1e-13));
    CHECK(tessera::simplex::volume(perm) == doctest::Approx(v).epsilon(1e-13));
    CHECK(tessera::simplex::volume<4>(perm) == doctest::Approx(v).epsilon(1e-13));
    xt::xtensor<T, 2> Pt = xt::cast<T>(P);
    CHECK(tessera::simplex::volume(Pt) == doctest::Approx(v).epsilon(std::is_same_v<T, float> ? 1e-5 : 1e-14));
    tessera::simplex::simplex_workspace ws;
    std::array<const T*, 5> rows{};
    for (std::size_t i = 0; i < 5; ++i)
        rows[i] = Pt.data() + i * d;
    CHECK(std::sqrt(tessera::simplex::volume_squared<4>(rows, d, ws)) == doctest::Approx(tessera::simplex::volume(Pt)).epsilon(1e-15));
}

TEST_CASE_TEMPLATE("mpmath near-degenerate cases: QR relative error <= 1e-9; CM within its documented bound", T, float, double)
{
    const double u = std::numeric_limits<double>::epsilon() / 2;
    for (const auto& c : tessera_test::simplex_cases())
    {
        if (std::is_same_v<T, float> && !c.float_exact)
            continue;  // the points are exact only in double
        CAPTURE(c.name);
        xt::xtensor<T, 2> P = xt::cast<T>(c.points);
        const double qr = tessera::simplex::volume_squared(P);
        // the bar: <= 1e-9 for heights down to 1e-6 of the edge (Householder is backward
        // stable: a height h loses ~u |E| / h); below that, the documented bound 32 k u e_max / h
        if (c.height >= 1e-6)
            CHECK(rel(qr, c.v2) <= 1e-9);
        double emax = 0;
        for (double v : c.d2)
            emax = std::max(emax, std::sqrt(v));
        CHECK(rel(qr, c.v2) <= 32.0 * double(c.k) * u * emax / c.height);
        // documented CM bound: |err| / V^2 <= 16 (k+2)^2 u (max D2)^k / (2^k (k!)^2 V^2)
        const double cm = tessera::simplex::volume_squared(P, volume_method::cayley_menger);
        const double maxd2 = *std::max_element(c.d2.begin(), c.d2.end());
        const double kk = double(c.k);
        const double bound = 16.0 * (kk + 2) * (kk + 2) * u * std::pow(maxd2, kk) /
                             (std::pow(2.0, kk) * factorial(c.k) * factorial(c.k) * c.v2);
        CHECK(rel(cm, c.v2) <= std::max(bound, 1e-15));
        MESSAGE(c.name << ": QR rel err " << rel(qr, c.v2) << ", CM rel err " << rel(cm, c.v2) << " (bound " << bound << ")");
    }
}

TEST_CASE("the seeds' 110% failure: CM with Gram-trick distances vs QR on the offset-100, h=1e-6 pentachoron")
{
    const auto cases = tessera_test::simplex_cases();
    const auto& c = cases[2];
    REQUIRE(c.k == 4);
    REQUIRE(c.height == 1e-6);
    // squared distances by the Gram trick |x|^2 + |y|^2 - 2 x.y in double, then the bordered CM determinant
    xt::xtensor<double, 2> D = xt::zeros<double>({5, 5});
    for (std::size_t i = 0; i < 5; ++i)
        for (std::size_t j = 0; j < 5; ++j)
        {
            double xx = 0, yy = 0, xy = 0;
            for (std::size_t t = 0; t < c.d; ++t)
            {
                xx += c.points(i, t) * c.points(i, t);
                yy += c.points(j, t) * c.points(j, t);
                xy += c.points(i, t) * c.points(j, t);
            }
            D(i, j) = i == j ? 0.0 : std::max(0.0, xx + yy - 2 * xy);
        }
    for (std::size_t i = 0; i < 5; ++i)
        for (std::size_t j = 0; j < i; ++j)
            D(i, j) = D(j, i);
    const double gram_trick = tessera::simplex::detail::volume_squared_bordered(D.data(), 5);
    CHECK(rel(gram_trick, c.v2) > 0.1);  // wildly wrong
    CHECK(rel(tessera::simplex::volume_squared(c.points), c.v2) <= 1e-9);
}

TEST_CASE_TEMPLATE("degenerate inputs give 0, never NaN", T, float, double)
{
    xt::xtensor<T, 2> same = xt::ones<T>({4, 6});
    CHECK(tessera::simplex::volume(same) == 0.0);
    CHECK(tessera::simplex::volume(same, volume_method::cayley_menger) == 0.0);
    xt::xtensor<T, 2> line = {{0, 0, 0}, {1, 1, 1}, {2, 2, 2}};
    CHECK(tessera::simplex::volume(line) <= 1e-7);
    CHECK(!std::isnan(tessera::simplex::volume(line)));
    xt::xtensor<T, 2> dup = {{0, 0, 0}, {1, 0, 0}, {1, 0, 0}, {0, 0, 1}};
    CHECK(tessera::simplex::volume(dup) <= 1e-15);  // one height is a rounding residue, ~u
    xt::xtensor<T, 2> huge = xt::cast<T>(xt::xtensor<double, 2>{{0, 0}, {1e30, 0}, {0, 1e30}});
    CHECK(tessera::simplex::volume(huge) == doctest::Approx(0.5e60).epsilon(1e-6));  // no overflow in double
}

TEST_CASE("volume rejects bad input")
{
    xt::xtensor<double, 2> P = xt::zeros<double>({4, 2});
    CHECK_THROWS_WITH_AS(tessera::simplex::volume(P),
                         "simplex::volume: k=3 exceeds the dimension d=2 (k+1 points span at most d dimensions), got shape [4, 2]",
                         tessera::invalid_argument);
    xt::xtensor<double, 2> one = xt::zeros<double>({1, 3});
    CHECK_THROWS_WITH_AS(tessera::simplex::volume_squared(one),
                         "simplex::volume_squared: points must hold at least 2 rows (k+1 points, k >= 1), got shape [1, 3]",
                         tessera::invalid_argument);
    xt::xtensor<double, 2> four = xt::zeros<double>({4, 5});
    CHECK_THROWS_WITH_AS(tessera::simplex::volume<4>(four),
                         "simplex::volume<K>: a 4-simplex needs exactly 5 points, got points of shape [4, 5]",
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("the certified Gram fast path agrees with Householder QR and declines near-flat simplices", T, float, double)
{
    const std::size_t d = 37;  // not a multiple of 4: exercises the scalar tail
    const auto X = tessera::random_normal<T>(9, d, 55);
    std::array<const T*, 9> rows{};
    for (std::size_t i = 0; i < 9; ++i)
        rows[i] = X.data() + i * d;
    double v2 = 0, me = 0;
    REQUIRE(tessera::simplex::detail::gram_volume<8>(rows.data(), d, v2, me));
    std::vector<double> E(8 * d), R(64);
    for (std::size_t l = 0; l < 8; ++l)
        for (std::size_t j = 0; j < d; ++j)
            E[l * d + j] = double(X(l + 1, j)) - double(X(0, j));
    tessera::simplex::detail::edge_qr_dynamic(E.data(), 8, d, R.data());
    double qv2 = 0, qme = 0;
    tessera::simplex::detail::volume_from_r(R.data(), 8, qv2, qme);
    CHECK(v2 == doctest::Approx(qv2).epsilon(1e-12));
    CHECK(me == doctest::Approx(qme).epsilon(1e-12));
    // a pentachoron of height 1e-4: the bound (~1e-8) exceeds 1e-10, so the fast path declines
    const auto cases = tessera_test::simplex_cases();
    const auto& c = cases[1];
    std::array<const double*, 5> pr{};
    for (std::size_t i = 0; i < 5; ++i)
        pr[i] = c.points.data() + i * c.d;
    CHECK(!tessera::simplex::detail::gram_volume<4>(pr.data(), c.d, v2, me));
}

TEST_CASE_TEMPLATE("volume rejects NaN / Inf points (a NaN vertex used to give volume 0)", T, float, double)
{
    xt::xtensor<T, 2> P = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    P(2, 1) = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_WITH_AS(tessera::simplex::volume(P), "simplex::volume: points must be finite, got nan at [2, 1]",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::simplex::volume(P, volume_method::cayley_menger),
                         "simplex::volume: points must be finite, got nan at [2, 1]", tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::simplex::volume_squared<3>(P), "simplex::volume_squared<K>: points must be finite, got nan at [2, 1]",
                         tessera::invalid_argument);
}

TEST_CASE("near-flat simplices (unit base, apex at h = 1e-2 .. 1e-8, offsets 0 and 1e3): QR within 1e-9 of mpmath")
{
    // Householder alone is backward stable: error ~u e / h, 4.5e-9 at h = 1e-8. The heights of a
    // near-flat simplex are recomputed from the exact edges in double-double (detail/refine.hpp).
    double worst = 0;
    for (const auto& c : tessera_test::simplex_cases("simplex/flat.txt"))
    {
        CAPTURE(c.name);
        const double err = rel(tessera::simplex::volume_squared(c.points), c.v2);
        CHECK(err <= 1e-9);
        CHECK(rel(tessera::simplex::volume(c.points), std::sqrt(c.v2)) <= 1e-9);
        worst = std::max(worst, err);
        std::vector<const double*> rows(c.k + 1);
        for (std::size_t i = 0; i <= c.k; ++i)
            rows[i] = c.points.data() + i * c.d;
        tessera::simplex::simplex_workspace ws;
        double v2 = 0, me = 0;  // the raw kernel (unrolled k, Gram fast path first) agrees
        tessera::simplex::detail::simplex_volume_raw<0>(rows.data(), c.k, c.d, volume_method::qr, ws, v2, me);
        CHECK(rel(v2, c.v2) <= 1e-9);
    }
    MESSAGE("worst QR relative error of V^2 over the near-flat cases: " << worst);
}
