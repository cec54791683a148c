#include <cmath>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__GLIBC__)
#include <dlfcn.h>  // the gesdd hook at the end of this file
#endif

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

}  // namespace

// ---- The gesvd fallback of lapack::svd (core/lapack.hpp), forced. ----
// This executable defines sgesdd_/dgesdd_ itself: calls from tessera's headers bind to these
// definitions, which forward to OpenBLAS's (dlsym RTLD_NEXT) unless `gesdd_failures` asks them to
// report non-convergence (info = 1, outputs untouched), as LAPACK's gesdd does when its divide
// and conquer fails. Workspace queries (lwork = -1) always forward.
#if defined(__GLIBC__)
#define SPECTRAL_GESDD_HOOK 1
namespace
{
    int gesdd_failures = 0;  ///< number of upcoming gesdd computations to fail

    /// gesdd with the hook: fails (info = 1) while gesdd_failures > 0, else OpenBLAS's `name`.
    template <class S>
    void hooked_gesdd(const char* name, const char* jobz, const int* m, const int* n, S* a, const int* lda, S* s, S* u,
                      const int* ldu, S* vt, const int* ldvt, S* work, const int* lwork, int* iwork, int* info,
                      std::size_t len)
    {
        if (*lwork != -1 && gesdd_failures > 0)
        {
            --gesdd_failures;
            *info = 1;
            return;
        }
        using fn = void (*)(const char*, const int*, const int*, S*, const int*, S*, S*, const int*, S*, const int*,
                            S*, const int*, int*, int*, std::size_t);
        static const fn real = [name] {
            void* p = dlsym(RTLD_NEXT, name);
            if (p == nullptr)
                throw std::runtime_error(std::string("dlsym: ") + name + " not found");
            return reinterpret_cast<fn>(p);
        }();
        real(jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork, info, len);
    }
}  // namespace

extern "C"
{
    void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s, float* u,
                 const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork, int* iwork, int* info,
                 std::size_t len)
    {
        hooked_gesdd<float>("sgesdd_", jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork, info, len);
    }

    void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s, double* u,
                 const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork, int* iwork, int* info,
                 std::size_t len)
    {
        hooked_gesdd<double>("dgesdd_", jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork, info, len);
    }
}
#endif

TEST_CASE_TEMPLATE("exact path matches numpy.linalg.svd on the tall and wide fixtures (also through gesvd)", T, float,
                   double)
{
    for (const char* name : {"tall", "wide"})
    {
        CAPTURE(name);
        auto A = load_matrix<T>(std::string(name) + "_A");
        auto S_ref = load_vector<double>(std::string(name) + "_S");
        auto U_ref = load_matrix<double>(std::string(name) + "_U");
        auto Vt_ref = load_matrix<double>(std::string(name) + "_Vt");
        const std::size_t k = S_ref.size();
#if SPECTRAL_GESDD_HOOK
        const int hook_failures[] = {0, 1};  // 1: gesdd forced to fail, gesvd must take over
#else
        const int hook_failures[] = {0};
#endif
        for (int fail : hook_failures)
        for (std::size_t r : {std::size_t(1), std::size_t(5), k})
        {
            CAPTURE(fail);
#if SPECTRAL_GESDD_HOOK
            gesdd_failures = fail;
#endif
            auto f = sp::truncated_svd(A, r, with_method<T>(sp::svd_method::exact));
#if SPECTRAL_GESDD_HOOK
            CHECK(gesdd_failures == 0);  // the hook was reached
#endif
            REQUIRE(f.U.shape(0) == A.shape(0));
            REQUIRE(f.U.shape(1) == r);
            REQUIRE(f.S.size() == r);
            REQUIRE(f.Vt.shape(0) == r);
            REQUIRE(f.Vt.shape(1) == A.shape(1));
            if (fail == 0)
                CHECK(f.status.ok());
            else
            {
                CHECK(f.status.code == tessera::status_code::fallback_used);
                CHECK(f.status.message == "gesdd did not converge; gesvd used");
            }
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
        // Tall and wide: the small side is renormalized by default.
        auto A = alpha == 1.0 ? xt::xtensor<T, 2>(xt::transpose(with_spectrum<T>(1500, 300, s, 21)))
                              : with_spectrum<T>(1500, 300, s, 21);
        for (std::size_t r : {std::size_t(10), std::size_t(40)})
            for (bool both : {false, true})
        {
            CAPTURE(r);
            CAPTURE(both);
            auto o = with_method<T>(sp::svd_method::randomized);
            o.renormalize_both_sides = both;
            auto f = sp::truncated_svd(A, r, o);
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
    check_seeded(A, s, 12, o, 1.01);
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
    // sigma_6 = 1e-9 is below the Gram's numerical zero sqrt(sqrt(50) eps_double) = 4e-8: refused
    // as rank deficient (at the Gram's resolution), its S entry and U column zeroed.
    auto bad = sp::truncated_svd(A, 6, o);
    CHECK(bad.status.code == tessera::status_code::rank_deficient);
    CHECK(bad.status.message.find("gram: numerical rank 5 < rank=6") != std::string::npos);
    CHECK(double(bad.S(5)) == 0.0);
    // sigma_4 = 1e-3: eps_double * 1e6 = 2.2e-10: accepted; sigma_5 = 1e-5: 2.2e-6 relative error.
    o.gram_fallback = true;
    auto fb = sp::truncated_svd(A, 6, o);
    CHECK(fb.method == sp::svd_method::exact);
    CHECK(fb.status.message.find("exact (gesdd in double) used instead") != std::string::npos);
    // The double fallback resolves 1e-9 to eps_double / 1e-9 = 2.2e-7 relative: fine against
    // float's 1e-4 (fallback_used), above double's 1e-8 (accuracy_limited, said so).
    CHECK(fb.status.code == (std::is_same_v<T, float> ? tessera::status_code::fallback_used
                                                      : tessera::status_code::accuracy_limited));
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
    auto g = sp::truncated_svd(A, 6);  // automatic: k = 30 <= 16 * 16 -> gram
    CHECK(g.method == sp::svd_method::gram);
    CHECK(sp::choose_svd_method(151936, 896, 256) == sp::svd_method::gram);
    CHECK(sp::choose_svd_method(151936, 896, 64) == sp::svd_method::gram);        // 896 <= 16 * 74
    CHECK(sp::choose_svd_method(151936, 896, 32) == sp::svd_method::randomized);  // 896 > 16 * 42
    CHECK(sp::choose_svd_method(20000, 8000, 3000) == sp::svd_method::exact);
    CHECK(sp::choose_svd_method(20000, 8000, 100) == sp::svd_method::randomized);
    // Expressions are evaluated once and accepted.
    auto e = sp::truncated_svd(T(2) * A, 3);
    CHECK(double(e.S(0)) == doctest::Approx(2 * double(g.S(0))).epsilon(1e-5));
}

TEST_CASE_TEMPLATE("bad input throws with the parameter and the values", T, float, double)
{
    auto A = tessera::random_normal<T>(10, 4, 1);
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::truncated_svd(A, 0), "spectral::truncated_svd: rank=0 must be at least 1");
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::truncated_svd(A, 5), "spectral::truncated_svd: rank=5 exceeds min(rows, cols)=4");
    xt::xtensor<T, 2> empty = xt::xtensor<T, 2>::from_shape({0, 4});
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::truncated_svd(empty, 1), "must be a non-empty matrix, got shape [0, 4]");
    A(3, 2) = std::numeric_limits<T>::quiet_NaN();
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::truncated_svd(A, 1), "A must be finite, got nan at [3, 2]");
    A(3, 2) = std::numeric_limits<T>::infinity();
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::truncated_svd(A, 1), "got inf at [3, 2]");
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

TEST_CASE("real data: stories260K token embedding [512, 64]: tail identity and randomized near-optimal")
{
    const auto path = tessera_test::shared_data("stories260K/stories260K.bin");
    TESSERA_SKIP_IF_MISSING(path, "stories260K.bin");
    const auto E = stories260k_embedding(path);
    REQUIRE(E.shape(0) == 512);
    // Independent reference: LAPACK on a double copy.
    auto ref = tessera::lapack::svd<double>(xt::xtensor<double, 2>(xt::cast<double>(E)));
    std::vector<double> s(ref.S.begin(), ref.S.end());
    for (std::size_t r : {std::size_t(4), std::size_t(16), std::size_t(32)})
    {
        CAPTURE(r);
        for (auto method : {sp::svd_method::exact, sp::svd_method::gram})
        {
            auto f = sp::truncated_svd(E, r, with_method<float>(method));
            CHECK(f.status.ok());
            CHECK(reconstruction_error(E, f.U, f.S, f.Vt) == doctest::Approx(tail(s, r)).epsilon(1e-4));
            for (std::size_t i = 0; i < r; ++i)
                CHECK(double(f.S(i)) == doctest::Approx(s[i]).epsilon(1e-5));
        }
        auto g = sp::truncated_svd(E, r, with_method<float>(sp::svd_method::randomized));
        CHECK(reconstruction_error(E, g.U, g.S, g.Vt) <= 1.01 * tail(s, r));
    }
}

// ---- Issue 17: every route reports the tail it cannot resolve (no silent wrong answers). ----
namespace
{
    /// max_i<r |S_i - ref_i| / ref_i.
    template <class T>
    double worst_relative_sigma_error(const xt::xtensor<T, 1>& S, const std::vector<double>& ref, std::size_t r)
    {
        double w = 0;
        for (std::size_t i = 0; i < r; ++i)
            w = std::max(w, std::abs(double(S(i)) - ref[i]) / ref[i]);
        return w;
    }
}  // namespace

TEST_CASE("gram's float fallback runs in double: not worse than the gram result it replaces")
{
    // Condition 1e7, rank 120 of 128: gram's estimate eps_d (1/2.8e-7)^2 = 3e-3 refuses it. The
    // old fallback ran float gesdd: 11.9 % error in sigma_120 with status fallback_used.
    auto A = with_spectrum<float>(2000, 128, geometric(128, 1e7), 7);
    const auto ref = reference_sigma(A);
    sp::truncated_svd_options o;
    o.method = sp::svd_method::gram;
    o.gram_fallback = false;
    auto g = sp::truncated_svd(A, 120, o);
    CHECK(g.status.code == tessera::status_code::accuracy_limited);
    o.gram_fallback = true;
    auto f = sp::truncated_svd(A, 120, o);
    CHECK(f.method == sp::svd_method::exact);
    CHECK(f.status.code == tessera::status_code::fallback_used);
    CHECK(f.status.message.find("exact (gesdd in double) used instead") != std::string::npos);
    const double err_fallback = worst_relative_sigma_error(f.S, ref, 120);
    CHECK(err_fallback < 1e-6);  // float rounding of the double values only
    CHECK(err_fallback <= worst_relative_sigma_error(g.S, ref, 120));
    CHECK(orthonormality_error(f.U) < 1e-5);
}

TEST_CASE_TEMPLATE("exact reports a tail below its precision; a resolvable tail stays ok", T, float, double)
{
    auto A = with_spectrum<T>(2000, 128, geometric(128, 1e7), 7);
    const auto ref = reference_sigma(A);
    auto o = with_method<T>(sp::svd_method::exact);
    // sigma_40 = 7e-3: eps_T / 7e-3 <= 1.7e-5: ok at any T.
    auto good = sp::truncated_svd(A, 40, o);
    CHECK(good.status.ok());
    CHECK(worst_relative_sigma_error(good.S, ref, 40) < 1e-4);
    // sigma_120 = 2.8e-7: float gesdd knows it only to eps_float sigma_1 = 1.2e-7 (11.9 % off,
    // status ok before); double resolves it (eps_d / 2.8e-7 = 8e-10).
    auto tail = sp::truncated_svd(A, 120, o);
    const double err = worst_relative_sigma_error(tail.S, ref, 120);
    if constexpr (std::is_same_v<T, float>)
    {
        CHECK(tail.status.code == tessera::status_code::rank_deficient);
        CHECK(tail.status.message.find("exact (gesdd in float): numerical rank") != std::string::npos);
        CHECK(err > 1e-2);  // the reason for the report
    }
    else
    {
        CHECK(tail.status.ok());
        CHECK(err < 1e-6);
    }
    // In between (sigma_80 = 4.4e-5): float's estimate eps sigma_1 / sigma_r = 2.7e-3 > 1e-4.
    auto mid = sp::truncated_svd(A, 80, o);
    CHECK(mid.status.ok() == std::is_same_v<T, double>);
    if (!mid.status.ok())
        CHECK(mid.status.code == tessera::status_code::accuracy_limited);
}

TEST_CASE_TEMPLATE("randomized near full rank reports the tail its products lose", T, float, double)
{
    // l = min(120 + 10, 128) = 128: the float32 power iterations lose the directions below
    // sqrt(eps_float) sigma_1 (50-100 % error in the trailing sigma, status ok before).
    auto A = with_spectrum<T>(2000, 128, geometric(128, 1e7), 7);
    const auto ref = reference_sigma(A);
    auto o = with_method<T>(sp::svd_method::randomized);
    for (std::size_t r : {std::size_t(30), std::size_t(80), std::size_t(120)})
    {
        CAPTURE(r);
        auto f = sp::truncated_svd(A, r, o);
        const double err = worst_relative_sigma_error(f.S, ref, r);
        CAPTURE(err);
        CAPTURE(f.status.message);
        if (f.status.ok())
            CHECK(err < 1e-3);  // ok means resolved
        else
            CHECK((f.status.code == tessera::status_code::accuracy_limited ||
                   f.status.code == tessera::status_code::rank_deficient));
        CHECK(f.status.ok() == (r == 30));  // sigma_30 = 2.6e-2 > sqrt(eps_f); sigma_80 = 4.4e-5 is not
    }
    auto f = sp::truncated_svd(A, 120, o);
    CHECK(worst_relative_sigma_error(f.S, ref, 120) > 0.1);  // what the status reports
}

TEST_CASE("gram: U's orthonormality is checked and repaired with double products")
{
    // sigma_90 = 1.2e-5 of condition 1e7: gram's sigma estimate is 1.4e-6 (accepted), but the
    // float product U = A V S^-1 was orthonormal only to 3.3e-4 (status ok before).
    auto A = with_spectrum<float>(2000, 128, geometric(128, 1e7), 7);
    sp::truncated_svd_options o;
    o.method = sp::svd_method::gram;
    o.gram_fallback = false;
    for (std::size_t r : {std::size_t(64), std::size_t(90)})
    {
        CAPTURE(r);
        auto f = sp::truncated_svd(A, r, o);
        CHECK(f.status.ok());
        CHECK(f.method == sp::svd_method::gram);
        // status ok promises ||U^T U - I||_max <= 1e-5 for float (gram_svd.hpp's acceptance bound):
        // measured 9.4e-6 at r = 64 under OpenBLAS's Prescott kernels, < 1e-6 under Haswell.
        CHECK(orthonormality_error(f.U) <= 1e-5);
    }
    // A cliff (64 values at 1, then 3e-6): the eigenvectors of the tail are inaccurate in the
    // double Gram itself (orthonormality 2.5e-3 before, status ok): reported, then the default
    // falls back to exact.
    std::vector<double> s(128);
    for (std::size_t i = 0; i < 128; ++i)
        s[i] = (i < 64 ? 1.0 : 1e-5) * std::pow(0.99, double(i));
    auto C = with_spectrum<float>(2000, 128, s, 7);
    auto g = sp::truncated_svd(C, 120, o);
    const bool orthonormal = orthonormality_error(g.U) < 1e-5;
    CHECK((orthonormal || g.status.code == tessera::status_code::accuracy_limited));
    CHECK(g.status.message.find("orthonormal only to") != std::string::npos);
    o.gram_fallback = true;
    auto fb = sp::truncated_svd(C, 120, o);
    CHECK(fb.status.code == tessera::status_code::fallback_used);
    CHECK(orthonormality_error(fb.U) < 1e-5);
}

TEST_CASE_TEMPLATE("gram reports an exactly rank-deficient input as rank_deficient", T, float, double)
{
    // A = [B, B]: rank 5 exactly, in float as in double (A^T A is singular to the last bit).
    auto B = tessera::random_normal<T>(120, 5, 17);
    xt::xtensor<T, 2> A = xt::xtensor<T, 2>::from_shape({120, 10});
    for (std::size_t i = 0; i < 120; ++i)
        for (std::size_t j = 0; j < 10; ++j)
            A(i, j) = B(i, j % 5);
    sp::truncated_svd_options o;
    o.method = sp::svd_method::gram;
    o.gram_fallback = false;
    auto f = sp::truncated_svd(A, 8, o);
    CHECK(f.status.code == tessera::status_code::rank_deficient);
    CHECK(f.status.message.find("gram: numerical rank 5 < rank=8") != std::string::npos);
    for (std::size_t j = 5; j < 8; ++j)
    {
        CHECK(double(f.S(j)) == 0.0);
        for (std::size_t i = 0; i < 120; ++i)
            CHECK(double(f.U(i, j)) == 0.0);
    }
    xt::xtensor<T, 2> U5 = xt::view(f.U, xt::all(), xt::range(0, 5));
    CHECK(orthonormality_error(U5) < 10 * vec_tol<T>());
    const double scale = std::sqrt(double(xt::sum(xt::cast<double>(A) * xt::cast<double>(A))()));
    CHECK(reconstruction_error(A, f.U, f.S, f.Vt) < 100 * double(std::numeric_limits<T>::epsilon()) * scale);
    // Default: exact in double takes over, and finds the same numerical rank.
    o.gram_fallback = true;
    auto fb = sp::truncated_svd(A, 8, o);
    CHECK(fb.method == sp::svd_method::exact);
    CHECK(fb.status.code == tessera::status_code::rank_deficient);
    CHECK(fb.status.message.find("exact (gesdd in double): numerical rank 5 < rank=8") != std::string::npos);
}
