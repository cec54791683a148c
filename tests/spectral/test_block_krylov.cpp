// The block Krylov variant of truncated_svd's randomized route (options.block_krylov,
// detail/block_krylov.hpp). References: matrices of known spectrum (Q1 diag(s) Q2^T), the
// optimal rank-r error sqrt(sum of the discarded s_i^2), and the plain subspace iteration.
#include <cmath>
#include <fstream>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/spectral/truncated_svd.hpp>

#include "spectral_test_support.hpp"

using namespace spectral_test;
namespace sp = tessera::spectral;

namespace
{
    sp::truncated_svd_options krylov(std::size_t q, std::size_t p)
    {
        sp::truncated_svd_options o;
        o.method = sp::svd_method::randomized;
        o.block_krylov = true;
        o.power_iterations = q;
        o.oversampling = p;
        return o;
    }

    /// Orthonormality the factors reach: float32 products (the default, for double A too) leave
    /// ~1e-7; double products ~1e-15.
    double orth_tol(bool float32_products) { return float32_products ? 1e-5 : 1e-12; }

    /// The product precisions to test for T: float32 for float A; both for double A.
    template <class T>
    std::vector<bool> product_modes()
    {
        return std::is_same_v<T, float> ? std::vector<bool>{true} : std::vector<bool>{true, false};
    }
}  // namespace

TEST_CASE_TEMPLATE("block Krylov: near-optimal error, orthonormal factors, tall and wide", T, float, double)
{
    // A slowly decaying spectrum (alpha = 0.5) is where plain subspace iteration needs many
    // passes: the Krylov space of q = 3 (7 passes over A) must be within 0.5 % of the optimal
    // error; plain subspace iteration (q = 4, p = 10: 10 passes) is printed beside it.
    const auto s = power_law(300, 0.5);
    for (bool wide : {false, true})
        for (bool f32 : product_modes<T>())
        {
            CAPTURE(wide);
            CAPTURE(f32);
            auto A = wide ? xt::xtensor<T, 2>(xt::transpose(with_spectrum<T>(1500, 300, s, 31)))
                          : with_spectrum<T>(1500, 300, s, 31);
            for (std::size_t r : {std::size_t(10), std::size_t(40)})
            {
                CAPTURE(r);
                auto o = krylov(3, 0);
                o.float32_products = f32;
                auto f = sp::truncated_svd(A, r, o);
                CHECK(f.method == sp::svd_method::randomized);
                CHECK(f.power_iterations == 3);
                CHECK(f.status.ok());
                REQUIRE(f.U.shape(0) == A.shape(0));
                REQUIRE(f.U.shape(1) == r);
                REQUIRE(f.Vt.shape(0) == r);
                REQUIRE(f.Vt.shape(1) == A.shape(1));
                const double err = reconstruction_error(A, f.U, f.S, f.Vt), opt = tail(s, r);
                CHECK(err <= 1.005 * opt);
                CHECK(err >= 0.999 * opt);
                CHECK(orthonormality_error(f.U) < orth_tol(f32));
                CHECK(orthonormality_error(xt::xtensor<T, 2>(xt::transpose(f.Vt))) < orth_tol(f32));
                for (std::size_t i = 0; i < r; ++i)
                {
                    CHECK(double(f.S(i)) == doctest::Approx(s[i]).epsilon(0.01));
                    if (i > 0)
                        CHECK(f.S(i - 1) >= f.S(i));
                }
                sp::truncated_svd_options plain;
                plain.method = sp::svd_method::randomized;
                plain.float32_products = f32;
                auto g = sp::truncated_svd(A, r, plain);
                CHECK(g.power_iterations == 4);
                MESSAGE("r=" << r << ": block Krylov q=3 p=0 error/optimal " << err / opt << ", plain q=4 p=10 "
                             << reconstruction_error(A, g.U, g.S, g.Vt) / opt);
            }
        }
}

TEST_CASE_TEMPLATE("block Krylov: a space that covers the small side gives the exact SVD", T, float, double)
{
    // 400 x 60 with l = 25 and q = 2 covers all 60 columns (25 + 25 + 10): the Rayleigh-Ritz
    // step then sees the whole row space, so S is the exact spectrum to the products' rounding.
    const auto s = geometric(60, 1e3);
    auto A = with_spectrum<T>(400, 60, s, 7);
    for (bool f32 : product_modes<T>())
    {
        CAPTURE(f32);
        auto o = krylov(2, 5);
        o.float32_products = f32;
        auto f = sp::truncated_svd(A, 20, o);
        CHECK(f.status.ok());
        const double tol = f32 ? 1e-6 : 1e-12;
        for (std::size_t i = 0; i < 20; ++i)
            CHECK(std::abs(double(f.S(i)) - s[i]) <= tol * s[0]);
        CHECK(reconstruction_error(A, f.U, f.S, f.Vt) == doctest::Approx(tail(s, 20)).epsilon(1e-3));
    }
    // Iterations beyond the point where the space is full are not run.
    auto g = sp::truncated_svd(A, 20, krylov(9, 5));
    CHECK(g.power_iterations == 2);
}

TEST_CASE_TEMPLATE("block Krylov: float32 products or T products, deterministic, seed-dependent", T, float, double)
{
    const auto s = power_law(80, 1.0);
    auto A = with_spectrum<T>(500, 80, s, 5);
    auto o = krylov(2, 4);
    o.float32_products = false;
    check_seeded(A, s, 12, o, 1.01);
    o.float32_products = true;
    auto f4 = sp::truncated_svd(A, 12, o);
    CHECK(reconstruction_error(A, f4.U, f4.S, f4.Vt) <= 1.01 * tail(s, 12));
    CHECK(orthonormality_error(f4.U) < 1e-5);
}

TEST_CASE_TEMPLATE("block Krylov: an exactly rank-deficient matrix is reported, not invented", T, float, double)
{
    // Rank 5, r = 8: the Krylov space is exhausted after the first block; the three missing
    // singular values must come back as (numerical) zeros with status rank_deficient.
    std::vector<double> s = {3, 2, 1, 0.5, 0.25};
    auto A = with_spectrum<T>(300, 40, s, 13);
    auto f = sp::truncated_svd(A, 8, krylov(3, 4));
    CHECK(f.status.code == tessera::status_code::rank_deficient);
    for (std::size_t i = 0; i < 5; ++i)
        CHECK(double(f.S(i)) == doctest::Approx(s[i]).epsilon(1e-4));
    for (std::size_t i = 5; i < 8; ++i)
        CHECK(double(f.S(i)) <= 1e-4 * s[0]);
    for (auto v : f.U)
        CHECK(std::isfinite(double(v)));
    CHECK(reconstruction_error(A, f.U, f.S, f.Vt) <= 1e-4 * s[0]);
}

TEST_CASE_TEMPLATE("block Krylov: U = P C Lambda^-1/2 only when it is orthonormal", T, float, double)
{
    // ritz_left_vectors, the last step of the route: P [2000, 30] with known singular values s,
    // H = P^T P (float products summed in double, as the route forms it), (Lambda, C) its top c
    // eigenpairs. Well conditioned, U = P C Lambda^-1/2 must be P's leading left singular
    // vectors (|u_j . q_j| = 1) and orthonormal; where H's rounding breaks orthonormality
    // (lambda_1 / lambda_c = 1e8 here, against the 1e-5 / 1e-10 tolerance) or lambda_c is not
    // positive (rank 5, c = 8) it must return nothing, so the route takes the QR of P C.
    const std::size_t b = 2000, k = 30;
    const auto Q1 = random_orthonormal(b, k, 21);
    auto eig = [&](const xt::xtensor<T, 2>& P, std::size_t c) {
        return tessera::lapack::eigh_top<double>(tessera::blas::gram<double, T>(P), c);
    };
    {
        const auto s = geometric(k, 10.0);
        const auto P = with_spectrum<T>(b, k, s, 21);  // its left vectors are Q1 (same seed)
        const auto U = sp::detail::ritz_left_vectors(P, eig(P, 10));
        REQUIRE(U.shape(0) == b);
        REQUIRE(U.shape(1) == 10);
        CHECK(orthonormality_error(U) < (std::is_same_v<T, float> ? 1e-5 : 1e-10));
        for (std::size_t j = 0; j < 10; ++j)
        {
            double dot = 0;
            for (std::size_t i = 0; i < b; ++i)
                dot += double(U(i, j)) * Q1(i, j);
            CHECK(std::abs(dot) == doctest::Approx(1.0).epsilon(1e-5));
        }
    }
    {
        const auto P = with_spectrum<T>(b, k, geometric(k, 1e4), 21);
        CHECK(sp::detail::ritz_left_vectors(P, eig(P, k)).size() == 0);
    }
    {
        const auto P = with_spectrum<T>(b, k, {3, 2, 1, 0.5, 0.25}, 21);
        CHECK(sp::detail::ritz_left_vectors(P, eig(P, 8)).size() == 0);
    }
}

TEST_CASE("block Krylov: float32 products on an ill-conditioned spectrum take the QR route")
{
    // sigma_30 / sigma_1 = 1 / 385: float H loses U's orthonormality to ~eps_float 385^2 ~ 1e-2,
    // so U must come from the QR of P C, orthonormal to float rounding, with the exact spectrum
    // (l = 35 and q = 1 cover all 40 columns) and the optimal error.
    const auto s = geometric(40, 3e3);
    const auto A = with_spectrum<float>(800, 40, s, 17);
    auto f = sp::truncated_svd(A, 30, krylov(1, 5));
    CHECK(f.status.ok());
    CHECK(orthonormality_error(f.U) < 1e-5);
    CHECK(orthonormality_error(xt::xtensor<float, 2>(xt::transpose(f.Vt))) < 1e-5);
    for (std::size_t i = 0; i < 30; ++i)
        CHECK(std::abs(double(f.S(i)) - s[i]) <= 1e-6);
    CHECK(reconstruction_error(A, f.U, f.S, f.Vt) == doctest::Approx(tail(s, 30)).epsilon(1e-3));
}

TEST_CASE("block Krylov: real data, the stories260K token embedding [512, 64]")
{
    // The real embedding of the shared checkpoint: q = 1 with l = 32 spans its whole 64-column
    // row space, so block Krylov is exact (to float rounding) where plain q = 1 is not.
    const auto path = tessera_test::shared_data("stories260K/stories260K.bin");
    TESSERA_SKIP_IF_MISSING(path, "stories260K.bin");
    const auto E = stories260k_embedding(path);
    REQUIRE(E.shape(0) == 512);
    const auto ref = reference_sigma(E);
    auto f = sp::truncated_svd(E, 16, krylov(1, 16));
    CHECK(f.status.ok());
    CHECK(f.power_iterations == 1);
    for (std::size_t i = 0; i < 16; ++i)
        CHECK(double(f.S(i)) == doctest::Approx(ref[i]).epsilon(1e-5));
    CHECK(reconstruction_error(E, f.U, f.S, f.Vt) == doctest::Approx(tail(ref, 16)).epsilon(1e-4));
    sp::truncated_svd_options plain;
    plain.method = sp::svd_method::randomized;
    plain.power_iterations = 1;
    auto g = sp::truncated_svd(E, 16, plain);
    CHECK(reconstruction_error(E, f.U, f.S, f.Vt) <= reconstruction_error(E, g.U, g.S, g.Vt));
}
