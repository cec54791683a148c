#include <cmath>
#include <limits>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/spectral/truncated_svd.hpp>

#include "spectral_test_support.hpp"

using namespace spectral_test;
namespace sp = tessera::spectral;

namespace
{
    template <class T>
    constexpr double vec_tol()  // the bar for U, V and orthonormality
    {
        return std::is_same_v<T, float> ? 1e-5 : 1e-12;
    }

    template <class T>
    sp::truncated_svd_options with_method(sp::svd_method m)
    {
        sp::truncated_svd_options o;
        o.method = m;
        return o;
    }

    std::vector<double> power_law(std::size_t k, double alpha, double scale = 1.0)
    {
        std::vector<double> s(k);
        for (std::size_t i = 0; i < k; ++i)
            s[i] = scale * std::pow(double(i + 1), -alpha);
        return s;
    }

    double tail(const std::vector<double>& s, std::size_t r)
    {
        double t = 0;
        for (std::size_t i = r; i < s.size(); ++i)
            t += s[i] * s[i];
        return std::sqrt(t);
    }
}  // namespace

TEST_CASE_TEMPLATE("exact path matches numpy.linalg.svd on the tall and wide fixtures", T, float, double)
{
    for (const char* name : {"tall", "wide"})
    {
        CAPTURE(name);
        auto A = load_matrix<T>(std::string(name) + "_A");
        auto S_ref = load_vector<double>(std::string(name) + "_S");
        auto U_ref = load_matrix<double>(std::string(name) + "_U");
        auto Vt_ref = load_matrix<double>(std::string(name) + "_Vt");
        const std::size_t k = S_ref.size();
        for (std::size_t r : {std::size_t(1), std::size_t(5), k})
        {
            auto f = sp::truncated_svd(A, r, with_method<T>(sp::svd_method::exact));
            REQUIRE(f.U.shape(0) == A.shape(0));
            REQUIRE(f.U.shape(1) == r);
            REQUIRE(f.S.size() == r);
            REQUIRE(f.Vt.shape(0) == r);
            REQUIRE(f.Vt.shape(1) == A.shape(1));
            CHECK(f.status.ok());
            CHECK(f.method == sp::svd_method::exact);
            for (std::size_t i = 0; i < r; ++i)
                CHECK(double(f.S(i)) == doctest::Approx(S_ref(i)).epsilon(10 * vec_tol<T>()));
            // Vectors up to sign; the fixture spectra are well separated (gap >= 2.5 % of sigma_1).
            const double vt = (std::is_same_v<T, float> ? 30 : 100) * vec_tol<T>();
            CHECK(column_diff_up_to_sign(f.U, U_ref, r) < vt);
            xt::xtensor<T, 2> V = xt::transpose(f.Vt);
            xt::xtensor<double, 2> V_ref = xt::transpose(Vt_ref);
            CHECK(column_diff_up_to_sign(V, V_ref, r) < vt);
            CHECK(orthonormality_error(f.U) < 10 * vec_tol<T>());
            CHECK(orthonormality_error(V) < 10 * vec_tol<T>());
        }
    }
}

TEST_CASE_TEMPLATE("gram path matches the fixtures within eps*(s1/si)^2 and keeps the tail identity", T, float,
                   double)
{
    for (const char* name : {"tall", "wide"})
    {
        CAPTURE(name);
        auto A = load_matrix<T>(std::string(name) + "_A");
        auto S_ref = load_vector<double>(std::string(name) + "_S");
        auto U_ref = load_matrix<double>(std::string(name) + "_U");
        const std::size_t r = 8;
        auto f = sp::truncated_svd(A, r, with_method<T>(sp::svd_method::gram));
        CHECK(f.status.ok());
        CHECK(f.method == sp::svd_method::gram);
        const double eps = std::numeric_limits<T>::epsilon();
        for (std::size_t i = 0; i < r; ++i)
        {
            const double ratio = S_ref(0) / S_ref(i);
            CHECK(std::abs(double(f.S(i)) - S_ref(i)) <= 20 * (eps + 1e-16 * ratio * ratio) * S_ref(i));
        }
        const double cond = S_ref(0) / S_ref(r - 1);
        CHECK(column_diff_up_to_sign(f.U, U_ref, r) < 100 * vec_tol<T>() * cond);
        CHECK(orthonormality_error(f.U) < 10 * vec_tol<T>() * cond);
        xt::xtensor<T, 2> V = xt::transpose(f.Vt);
        CHECK(orthonormality_error(V) < 10 * vec_tol<T>());
    }
}

TEST_CASE_TEMPLATE("reconstruction error equals the discarded tail for exact and gram", T, float, double)
{
    const auto s = power_law(40, 1.0, 3.0);
    auto A = with_spectrum<T>(120, 40, s, 11);
    for (auto method : {sp::svd_method::exact, sp::svd_method::gram})
        for (std::size_t r : {std::size_t(1), std::size_t(7), std::size_t(20), std::size_t(39)})
        {
            CAPTURE(r);
            auto f = sp::truncated_svd(A, r, with_method<T>(method));
            const double err = reconstruction_error(A, f.U, f.S, f.Vt);
            const double expected = tail(s, r);
            // Absolute floor: the rounding of A itself (eps * ||A||_F * sqrt(r)).
            const double floor = 50 * double(std::numeric_limits<T>::epsilon()) * s[0] * std::sqrt(double(r));
            CHECK(err == doctest::Approx(expected).epsilon(1e-3).scale(0));
            CHECK(std::abs(err - expected) <= 1e-3 * expected + floor);
        }
}

TEST_CASE_TEMPLATE("randomized path is within 1% of the optimal error on power-law spectra", T, float, double)
{
    for (double alpha : {0.5, 1.0, 2.0})
    {
        CAPTURE(alpha);
        const auto s = power_law(300, alpha);
        auto A = with_spectrum<T>(1500, 300, s, 21);
        for (std::size_t r : {std::size_t(10), std::size_t(40)})
        {
            CAPTURE(r);
            auto f = sp::truncated_svd(A, r, with_method<T>(sp::svd_method::randomized));
            CHECK(f.method == sp::svd_method::randomized);
            CHECK(f.status.ok());
            const double err = reconstruction_error(A, f.U, f.S, f.Vt);
            const double opt = tail(s, r);
            CHECK(err <= 1.01 * opt);
            CHECK(err >= 0.999 * opt);
            CHECK(orthonormality_error(f.U) < 1e-5);
            for (std::size_t i = 0; i < r; ++i)
                CHECK(double(f.S(i)) == doctest::Approx(s[i]).epsilon(0.02));
        }
    }
}

TEST_CASE_TEMPLATE("randomized: QR normalizer, no float32 products, and the same seed gives the same bits", T, float,
                   double)
{
    const auto s = power_law(80, 1.0);
    auto A = with_spectrum<T>(400, 80, s, 5);
    sp::truncated_svd_options o;
    o.method = sp::svd_method::randomized;
    o.normalizer = sp::power_normalizer::qr;
    o.float32_products = false;
    auto f1 = sp::truncated_svd(A, 12, o);
    CHECK(reconstruction_error(A, f1.U, f1.S, f1.Vt) <= 1.01 * tail(s, 12));
    auto f2 = sp::truncated_svd(A, 12, o);
    CHECK(f1.U == f2.U);
    CHECK(f1.S == f2.S);
    CHECK(f1.Vt == f2.Vt);
    o.seed = 99;
    auto f3 = sp::truncated_svd(A, 12, o);
    CHECK_FALSE(f1.U == f3.U);
    CHECK(reconstruction_error(A, f3.U, f3.S, f3.Vt) <= 1.01 * tail(s, 12));
}

TEST_CASE_TEMPLATE("gram refuses a tail it cannot resolve", T, float, double)
{
    std::vector<double> s = {1.0, 0.5, 0.25, 1e-3, 1e-5, 1e-9};
    auto A = with_spectrum<T>(50, 6, s, 3);
    sp::truncated_svd_options o;
    o.method = sp::svd_method::gram;
    o.gram_fallback = false;
    // The top 3 are resolvable at any T.
    auto ok = sp::truncated_svd(A, 3, o);
    CHECK(ok.status.ok());
    // sigma_6 = 1e-9: eps_double * 1e18 = 222 relative error: refused.
    auto bad = sp::truncated_svd(A, 6, o);
    CHECK(bad.status.code == tessera::status_code::accuracy_limited);
    CHECK(bad.status.message.find("gram_tolerance") != std::string::npos);
    o.gram_fallback = true;
    auto fb = sp::truncated_svd(A, 6, o);
    CHECK(fb.status.code == tessera::status_code::fallback_used);
    CHECK(fb.method == sp::svd_method::exact);
    if constexpr (std::is_same_v<T, double>)
        CHECK(double(fb.S(5)) == doctest::Approx(1e-9).epsilon(1e-4));
    // sigma_5 = 1e-5: 2.2e-6 relative error: accepted for float (1e-4), refused for double (1e-8).
    o.gram_fallback = false;
    auto mid = sp::truncated_svd(A, 5, o);
    CHECK(mid.status.ok() == std::is_same_v<T, float>);
}

TEST_CASE_TEMPLATE("signs follow svd_flip and automatic picks by shape", T, float, double)
{
    auto A = tessera::random_normal<T>(70, 30, 8);
    for (auto method : {sp::svd_method::exact, sp::svd_method::gram, sp::svd_method::randomized})
    {
        auto f = sp::truncated_svd(A, 6, with_method<T>(method));
        for (std::size_t j = 0; j < 6; ++j)
        {
            std::size_t best = 0;
            for (std::size_t i = 0; i < 70; ++i)
                if (std::abs(f.U(i, j)) > std::abs(f.U(best, j)))
                    best = i;
            CHECK(f.U(best, j) > T(0));
        }
    }
    auto g = sp::truncated_svd(A, 6);  // automatic: k = 30 <= 8 * 16 -> gram
    CHECK(g.method == sp::svd_method::gram);
    CHECK(sp::choose_svd_method(151936, 896, 256) == sp::svd_method::gram);
    CHECK(sp::choose_svd_method(151936, 896, 64) == sp::svd_method::randomized);
    CHECK(sp::choose_svd_method(20000, 8000, 3000) == sp::svd_method::exact);
    CHECK(sp::choose_svd_method(20000, 8000, 100) == sp::svd_method::randomized);
    // Expressions are evaluated once and accepted.
    auto e = sp::truncated_svd(T(2) * A, 3);
    CHECK(double(e.S(0)) == doctest::Approx(2 * double(g.S(0))).epsilon(1e-5));
}

TEST_CASE_TEMPLATE("bad input throws with the parameter and the values", T, float, double)
{
    auto A = tessera::random_normal<T>(10, 4, 1);
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::truncated_svd(A, 0), "truncated_svd: rank=0 must be at least 1");
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::truncated_svd(A, 5), "truncated_svd: rank=5 exceeds min(rows, cols)=4");
    xt::xtensor<T, 2> empty = xt::xtensor<T, 2>::from_shape({0, 4});
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::truncated_svd(empty, 1), "must be a non-empty matrix, got shape [0, 4]");
    A(3, 2) = std::numeric_limits<T>::quiet_NaN();
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::truncated_svd(A, 1), "A must be finite, got nan at (3, 2)");
    A(3, 2) = std::numeric_limits<T>::infinity();
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::truncated_svd(A, 1), "got inf at (3, 2)");
    xt::xtensor<T, 1> v = xt::zeros<T>({5});
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::truncated_svd(v, 1), "A must have 2 dimensions");
    sp::truncated_svd_options o;
    o.gram_tolerance = -1;
    auto B = tessera::random_normal<T>(10, 4, 1);
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::truncated_svd(B, 1, o), "options.gram_tolerance=-1");
}

TEST_CASE_TEMPLATE("randomized handles an exactly rank-deficient matrix (rank 5 < l)", T, float, double)
{
    std::vector<double> s = {5, 4, 3, 2, 1};
    auto A = tessera::blas::matmul(with_spectrum<T>(300, 5, s, 12),
                                   xt::xtensor<T, 2>(xt::cast<T>(random_orthonormal(80, 5, 13))),
                                   tessera::blas::op::none, tessera::blas::op::transpose);  // [300, 80], rank 5
    for (auto normalizer : {sp::power_normalizer::lu, sp::power_normalizer::qr})
    {
        sp::truncated_svd_options o;
        o.method = sp::svd_method::randomized;
        o.normalizer = normalizer;
        auto f = sp::truncated_svd(A, 8, o);
        for (std::size_t i = 0; i < 5; ++i)
            CHECK(double(f.S(i)) == doctest::Approx(s[i]).epsilon(1e-5));
        for (std::size_t i = 5; i < 8; ++i)
            CHECK(double(f.S(i)) < 1e-5);
        CHECK(reconstruction_error(A, f.U, f.S, f.Vt) < 1e-4);
        xt::xtensor<T, 2> U5 = xt::view(f.U, xt::all(), xt::range(0, 5));
        CHECK(orthonormality_error(U5) < 1e-5);
    }
}
