#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/align/procrustes.hpp>
#include <tessera/core/blas.hpp>
#include <tessera/core/random.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnorm.hpp>
#include <xtensor/xview.hpp>

#include "align_fixtures.hpp"
#include "test_support.hpp"

using align_test::determinant;
using align_test::load;
using align_test::max_abs_diff;
using align_test::scalar;
using align_test::semi_orthogonality_error;
using tessera::align::procrustes;
using tessera::align::procrustes_options;
using tessera::blas::matmul;

namespace
{
    template <class T>
    constexpr double eps()
    {
        return std::is_same_v<T, float> ? 2e-5 : 1e-12;
    }

    template <class T>
    double direct_residual(const tessera::align::similarity_transform<T>& t, const xt::xtensor<T, 2>& A,
                           const xt::xtensor<T, 2>& B)
    {
        auto Y = t.apply(A);
        double ss = 0;
        for (std::size_t i = 0; i < Y.size(); ++i)
        {
            const double d = double(Y.data()[i]) - double(B.data()[i]);
            ss += d * d;
        }
        return std::sqrt(ss);
    }
}  // namespace

TEST_CASE_TEMPLATE("procrustes recovers a known rotation, scale and translation exactly", T, float, double)
{
    const std::size_t n = 300, d = 12;
    auto A = tessera::random_normal<T>(n, d, 11);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j)
            A(i, j) += T(0.5) * T(j);  // a non-zero mean that centring must remove
    const auto Q = align_test::random_rotation<T>(d, 3);
    const T scale = T(2.5);
    xt::xtensor<T, 2> B = scale * matmul(A, Q);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j)
            B(i, j) += T(1) - T(0.25) * T(j);

    procrustes_options o;
    o.scale = true;
    const auto t = procrustes(A, B, o);
    CHECK(t.status.ok());
    CHECK_FALSE(t.reflection_removed);
    CHECK(max_abs_diff(t.R, Q) < 20 * eps<T>());
    CHECK(double(t.s) == doctest::Approx(2.5).epsilon(20 * eps<T>()));
    CHECK(determinant(t.R) == doctest::Approx(1.0).epsilon(1e-5));
    CHECK(max_abs_diff(t.apply(A), B) < 200 * eps<T>());
    CHECK(max_abs_diff(t.inverse_apply(B), A) < 200 * eps<T>());
    CHECK(t.residual < 1e-2 * std::sqrt(double(n * d)) * (std::is_same_v<T, float> ? 1.0 : 1e-5));
    CHECK(t.mean_a(3) == doctest::Approx(1.5).epsilon(0.2));  // sample mean of N(0,1) + 1.5
}

TEST_CASE_TEMPLATE("procrustes on noisy data: rotation within the noise bound, residual ~ sigma", T, float, double)
{
    const std::size_t n = 4000, d = 8;
    const double sigma = 0.1;
    auto A = tessera::random_normal<T>(n, d, 21);
    const auto Q = align_test::random_rotation<T>(d, 4);
    xt::xtensor<T, 2> B = matmul(A, Q) + tessera::random_normal<T>(n, d, 22, 0, T(sigma));
    const auto t = procrustes(A, B);
    CHECK(t.status.ok());
    // Perturbation of the polar factor ~ sigma sqrt(d / n) = 0.0045; allow 5x.
    CHECK(max_abs_diff(t.R, Q) < 5 * sigma * std::sqrt(double(d) / double(n)));
    // E||B_c - A_c R||^2 ~ sigma^2 (n - 1) d minus the d(d-1)/2 fitted degrees of freedom.
    const double per_entry = t.residual * t.residual / double(n * d);
    CHECK(per_entry == doctest::Approx(sigma * sigma).epsilon(0.05));
    CHECK(t.residual == doctest::Approx(direct_residual(t, A, B)).epsilon(1e-4));
}

TEST_CASE_TEMPLATE("equals scipy.linalg.orthogonal_procrustes without centring, reflections allowed", T, float,
                   double)
{
    const auto A = load<T>("ortho_a"), B = load<T>("ortho_b"), R = load<T>("ortho_r");
    procrustes_options o;
    o.center = false;
    o.allow_reflection = true;
    const auto t = procrustes(A, B, o);
    CHECK(t.status.ok());
    CHECK(max_abs_diff(t.R, R) < 50 * eps<T>());
    CHECK(double(xt::sum(t.singular_values)()) == doctest::Approx(scalar("ortho_trace")).epsilon(10 * eps<T>()));
    CHECK(xt::all(xt::equal(t.mean_a, T(0))));
    CHECK(t.s == T(1));
}

TEST_CASE_TEMPLATE("det(R) = +1 when reflections are forbidden even if the best map is a reflection", T, float,
                   double)
{
    const auto A = load<T>("refl_a"), B = load<T>("refl_b");
    procrustes_options o;
    o.center = false;
    o.allow_reflection = true;
    const auto free = procrustes(A, B, o);
    CHECK(max_abs_diff(free.R, load<T>("refl_r_scipy")) < 50 * eps<T>());
    CHECK(determinant(free.R) == doctest::Approx(-1.0).epsilon(1e-5));
    // B = A F exactly: the residual (summed from the mapped rows here) is rounding only.
    CHECK(free.residual < (std::is_same_v<T, float> ? 1e-3 : 1e-6) * double(xt::norm_l2(B)()));

    o.allow_reflection = false;
    const auto kabsch = procrustes(A, B, o);
    CHECK(kabsch.reflection_removed);
    CHECK(determinant(kabsch.R) == doctest::Approx(1.0).epsilon(1e-5));
    CHECK(semi_orthogonality_error(kabsch.R) < 20 * eps<T>());
    CHECK(max_abs_diff(kabsch.R, load<T>("refl_r_kabsch")) < 50 * eps<T>());
    CHECK(kabsch.residual == doctest::Approx(direct_residual(kabsch, A, B)).epsilon(1e-4));
    CHECK(kabsch.residual > free.residual);
}

TEST_CASE_TEMPLATE("disparity equals scipy.spatial.procrustes and is symmetric", T, float, double)
{
    const auto m1 = load<T>("disp_m1"), m2 = load<T>("disp_m2");
    const double ref = scalar("disparity");
    CHECK(tessera::align::procrustes_disparity(m1, m2) == doctest::Approx(ref).epsilon(100 * eps<T>()));
    CHECK(tessera::align::procrustes_disparity(m2, m1) == doctest::Approx(ref).epsilon(100 * eps<T>()));
    CHECK(tessera::align::procrustes_disparity(m1, m1) < 1e-4);
}

TEST_CASE_TEMPLATE("weighted, centred, scaled fit with Kabsch guard equals the numpy reference", T, float, double)
{
    const auto A = load<T>("weighted_a"), B = load<T>("weighted_b"), W = load<double>("weighted_w");
    procrustes_options o;
    o.scale = true;
    o.weights.assign(W.begin(), W.end());
    const auto t = procrustes(A, B, o);
    CHECK(t.status.ok());
    CHECK(max_abs_diff(t.R, load<T>("weighted_r")) < 50 * eps<T>());
    CHECK(double(t.s) == doctest::Approx(scalar("weighted_s")).epsilon(20 * eps<T>()));
    const auto ma = load<T>("weighted_mean_a"), mb = load<T>("weighted_mean_b"), sg = load<T>("weighted_sigma");
    CHECK(max_abs_diff(xt::xtensor<T, 2>(xt::view(t.mean_a, xt::newaxis(), xt::all())), ma) < 10 * eps<T>());
    CHECK(max_abs_diff(xt::xtensor<T, 2>(xt::view(t.mean_b, xt::newaxis(), xt::all())), mb) < 10 * eps<T>());
    CHECK(max_abs_diff(xt::xtensor<T, 2>(xt::view(t.singular_values, xt::newaxis(), xt::all())), sg) <
          100 * eps<T>() * double(sg(0, 0)));
}

TEST_CASE_TEMPLATE("weights of 0 remove rows exactly", T, float, double)
{
    const std::size_t n = 120, p = 6, q = 6;
    auto A = tessera::random_normal<T>(n, p, 31);
    auto B = tessera::random_normal<T>(n, q, 32);
    std::vector<double> w(n, 1.0);
    std::vector<std::size_t> kept;
    for (std::size_t i = 0; i < n; ++i)
    {
        if (i % 3 == 0)
        {
            w[i] = 0.0;
            for (std::size_t j = 0; j < p; ++j)
                A(i, j) = T(1e6);  // garbage that must have no influence
        }
        else
            kept.push_back(i);
    }
    xt::xtensor<T, 2> As = xt::view(A, xt::keep(kept), xt::all());
    xt::xtensor<T, 2> Bs = xt::view(B, xt::keep(kept), xt::all());
    procrustes_options o;
    o.scale = true;
    const auto ref = procrustes(As, Bs, o);
    o.weights = w;
    const auto t = procrustes(A, B, o);
    CHECK(max_abs_diff(t.R, ref.R) < 10 * eps<T>());
    CHECK(double(t.s) == doctest::Approx(double(ref.s)).epsilon(10 * eps<T>()));
    CHECK(max_abs_diff(t.mean_a, ref.mean_a) < 10 * eps<T>());
    CHECK(t.residual == doctest::Approx(ref.residual).epsilon(10 * eps<T>()));
    // Uniform weights of 2 give the same map (the objective only doubles).
    o.weights.assign(n, 2.0);
    const auto twice = procrustes(As, Bs, procrustes_options{true, true, false, std::vector<double>(kept.size(), 2.0)});
    CHECK(max_abs_diff(twice.R, ref.R) < 10 * eps<T>());
    CHECK(twice.residual == doctest::Approx(std::sqrt(2.0) * ref.residual).epsilon(10 * eps<T>()));
}

TEST_CASE_TEMPLATE("semi-orthogonal R for p != q equals the numpy reference; R^T R = I or R R^T = I", T, float,
                   double)
{
    for (const char* shape : {"tall", "wide"})
    {
        CAPTURE(shape);
        const auto A = load<T>(std::string("semi_") + shape + "_a");
        const auto B = load<T>(std::string("semi_") + shape + "_b");
        procrustes_options o;
        o.scale = true;
        const auto t = procrustes(A, B, o);
        if (A.shape(1) > B.shape(1))  // p > q, A not whitened: the polar factor is not the LS minimiser
        {
            CHECK(t.status.code == tessera::status_code::accuracy_limited);
            CHECK(t.status.message.find("not the least-squares minimiser") != std::string::npos);
        }
        else
            CHECK(t.status.ok());
        CHECK(t.R.shape(0) == A.shape(1));
        CHECK(t.R.shape(1) == B.shape(1));
        CHECK(semi_orthogonality_error(t.R) < 20 * eps<T>());
        CHECK(max_abs_diff(t.R, load<T>(std::string("semi_") + shape + "_r")) < 100 * eps<T>());
        CHECK(double(t.s) == doctest::Approx(scalar(std::string("semi_") + shape + "_s")).epsilon(50 * eps<T>()));
        CHECK(t.residual == doctest::Approx(direct_residual(t, A, B)).epsilon(1e-3));
        if (A.shape(1) < B.shape(1))  // p < q: inverse_apply is an exact left inverse
        {
            xt::xtensor<T, 2> back = t.inverse_apply(t.apply(A));
            CHECK(max_abs_diff(back, A) < 100 * eps<T>());
        }
    }
}

TEST_CASE_TEMPLATE("fewer rows than columns: rank_deficient status, still an exact orthogonal fit", T, float, double)
{
    const std::size_t n = 5, d = 10;
    auto A = tessera::random_normal<T>(n, d, 41);
    const auto Q = align_test::random_rotation<T>(d, 6);
    const xt::xtensor<T, 2> B = matmul(A, Q);
    const auto t = procrustes(A, B);
    CHECK(t.status.code == tessera::status_code::rank_deficient);
    CHECK(t.status.message.find("rank 4 < 10") != std::string::npos);
    CHECK(semi_orthogonality_error(t.R) < 20 * eps<T>());
    CHECK(determinant(t.R) == doctest::Approx(1.0).epsilon(1e-5));
    CHECK(max_abs_diff(t.apply(A), B) < 200 * eps<T>());
}

TEST_CASE_TEMPLATE("zero or constant input: degenerate status with R = I", T, float, double)
{
    const xt::xtensor<T, 2> Z = xt::zeros<T>({20, 4});
    const auto B = tessera::random_normal<T>(20, 4, 51);
    const auto t = procrustes(Z, B);
    CHECK(t.status.code == tessera::status_code::degenerate);
    CHECK(max_abs_diff(t.R, xt::xtensor<T, 2>(xt::eye<T>(4))) == 0.0);
    xt::xtensor<T, 2> C = xt::ones<T>({20, 4}) * T(3);  // constant rows: zero after centring
    CHECK(procrustes(B, C).status.code == tessera::status_code::degenerate);
    CHECK_THROWS_WITH_AS(tessera::align::procrustes_disparity(B, C),
                         "align::procrustes_disparity: A and B must not be constant (zero after centring)",
                         tessera::invalid_argument);
}

TEST_CASE("bad input throws tessera::invalid_argument naming function, parameter and values")
{
    const auto A = tessera::random_normal<double>(10, 3, 1);
    const auto B9 = tessera::random_normal<double>(9, 3, 2);
    CHECK_THROWS_WITH_AS(procrustes(A, B9),
                         "align::procrustes: A and B must have the same number of rows, got A [10, 3] and B [9, 3]",
                         tessera::invalid_argument);
    auto Bnan = tessera::random_normal<double>(10, 3, 3);
    Bnan(2, 1) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH_AS(procrustes(A, Bnan), "align::procrustes: B must be finite, got nan at [2, 1]",
                         tessera::invalid_argument);
    auto Ainf = A;
    Ainf(7, 0) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH_AS(procrustes(Ainf, A), "align::procrustes: A must be finite, got inf at [7, 0]",
                         tessera::invalid_argument);
    procrustes_options o;
    o.weights.assign(9, 1.0);
    CHECK_THROWS_WITH_AS(procrustes(A, A, o), "align::procrustes: options.weights must have one entry per row (10), got 9",
                         tessera::invalid_argument);
    o.weights.assign(10, 1.0);
    o.weights[4] = -0.5;
    CHECK_THROWS_WITH_AS(procrustes(A, A, o), "align::procrustes: options.weights[4] must be finite and >= 0, got -0.5",
                         tessera::invalid_argument);
    o.weights.assign(10, 0.0);
    CHECK_THROWS_WITH_AS(procrustes(A, A, o), "align::procrustes: options.weights must have a positive sum, got 0",
                         tessera::invalid_argument);
    const xt::xtensor<double, 2> E = xt::zeros<double>({0, 3});
    CHECK_THROWS_WITH_AS(procrustes(E, E), "align::procrustes: A and B must be non-empty, got A [0, 3] and B [0, 3]",
                         tessera::invalid_argument);
    const xt::xtensor<double, 1> v = xt::zeros<double>({10});
    CHECK_THROWS_WITH_AS(procrustes(v, A), "align::procrustes: A must have 2 dimensions (a matrix), got shape [10]",
                         tessera::invalid_argument);
    const auto t = procrustes(A, A);
    CHECK_THROWS_WITH_AS(t.apply(B9.shape(0) == 9 ? xt::xtensor<double, 2>(xt::zeros<double>({2, 4}))
                                                  : xt::xtensor<double, 2>()),
                         "align::similarity_transform::apply: X must have 3 columns, got shape [2, 4]",
                         tessera::invalid_argument);
}

TEST_CASE("float and double agree; expressions are accepted")
{
    const auto A = tessera::random_normal<double>(200, 7, 61);
    const auto B = tessera::random_normal<double>(200, 7, 62);
    const auto td = procrustes(A, B);
    const xt::xtensor<float, 2> Af = xt::cast<float>(A), Bf = xt::cast<float>(B);
    const auto tf = procrustes(Af, Bf);
    CHECK(max_abs_diff(tf.R, td.R) < 1e-4);
    const auto te = procrustes(2.0 * A, B + 1.0);  // unevaluated expressions
    CHECK(max_abs_diff(te.R, td.R) < 1e-12);
}

TEST_CASE_TEMPLATE("centring is translation invariant across both cross-product routes", T, float, double)
{
    // Near-centred data takes the raw-GEMM + rank-1 route; a large offset forces the blocked
    // centring route. Both must give the same fit.
    const std::size_t n = 5000, d = 16;  // more than one block of 2048 rows
    const auto A = tessera::random_normal<T>(n, d, 91);
    const xt::xtensor<T, 2> B = matmul(A, align_test::random_rotation<T>(d, 92)) +
                                tessera::random_normal<T>(n, d, 93, 0, T(0.5));
    procrustes_options o;
    o.scale = true;
    const auto near = procrustes(A, B, o);
    const xt::xtensor<T, 2> As = A + T(100), Bs = B - T(50);
    const auto far = procrustes(As, Bs, o);
    const double tolR = std::is_same_v<T, float> ? 5e-4 : 1e-10;  // offset 100 costs float ~7 bits
    CHECK(max_abs_diff(near.R, far.R) < tolR);
    CHECK(double(far.s) == doctest::Approx(double(near.s)).epsilon(tolR));
    CHECK(far.residual == doctest::Approx(near.residual).epsilon(std::is_same_v<T, float> ? 1e-3 : 1e-8));
    CHECK(double(far.mean_a(0)) == doctest::Approx(100.0).epsilon(1e-3));
}

TEST_CASE_TEMPLATE("near-identical inputs: residual and disparity equal scipy's, disparity symmetric", T, float, double)
{
    // B = 1.5 A Q - 7 + noise with offsets of 20: ||A_c||^2 + ||B_c||^2 - 2 s tr(Sigma) cancels to
    // rounding here (the closed form gave float residual 2.0e-3 for 1.36e-3 and disparities 3.6e-8 /
    // 9.5e-9 for 4.2e-9; double on near_d 0 for both), so the residual must come from the mapped
    // rows. near_f holds float32 values (both T read the same numbers); near_d (noise 1e-10) is
    // representable only in double.
    std::vector<std::string> sets{"near_f"};
    if (std::is_same_v<T, double>)
        sets.push_back("near_d");
    for (const std::string& name : sets)
    {
        CAPTURE(name);
        const auto A = load<T>(name + "_a"), B = load<T>(name + "_b");
        const double tol = std::is_same_v<T, float> ? 1e-2 : (name == "near_f" ? 1e-6 : 1e-4);
        procrustes_options o;
        o.scale = true;
        o.allow_reflection = true;
        // relative checks: doctest::Approx adds an absolute epsilon that would pass 0 for 1e-9
        const auto rel = [](double x, double ref) { return std::abs(x - ref) / ref; };
        const auto t = procrustes(A, B, o);
        CHECK(t.status.ok());
        CHECK(rel(t.residual, scalar(name + "_residual_scaled")) <= tol);
        o.center = false;
        o.scale = false;
        CHECK(rel(procrustes(A, B, o).residual, scalar(name + "_residual_plain")) <= tol);
        const double ab = tessera::align::procrustes_disparity(A, B);
        const double ba = tessera::align::procrustes_disparity(B, A);
        CHECK(rel(ab, scalar(name + "_disparity_ab")) <= tol);
        CHECK(rel(ba, scalar(name + "_disparity_ba")) <= tol);
        CHECK(std::abs(ab - ba) <= tol * ab);
    }
}

TEST_CASE_TEMPLATE("near-identical p > q and weighted fits: residual equals a brute-force sum over the rows", T, float,
                   double)
{
    // B = 1.3 A Q + tiny noise. p > q: A = 10 U + 5 with U [n, 7] centred orthonormal columns (so
    // the polar factor of A_c^T B_c is the least-squares R also for p > q), Q [7, 4] orthonormal
    // columns. Weighted: p = q = 5, A ~ N(5, 1), weights 0.5..3.5. The residual of the returned
    // transform, summed directly in double (no GEMM), against the reported one.
    const std::size_t n = 300;
    const double noise = std::is_same_v<T, float> ? 1e-4 : 1e-10;
    std::vector<double> w(n);
    for (std::size_t i = 0; i < n; ++i)
        w[i] = 0.5 + double(i % 4);
    for (const bool weighted : {false, true})
    {
        CAPTURE(weighted);
        const std::size_t p = weighted ? 5 : 7, q = weighted ? 5 : 4;
        xt::xtensor<T, 2> G = tessera::random_normal<T>(n, p, 71);
        G -= xt::xtensor<T, 2>(xt::view(xt::mean(G, {0}), xt::newaxis(), xt::all()));
        const xt::xtensor<T, 2> A = weighted ? xt::xtensor<T, 2>(G + T(5))
                                             : xt::xtensor<T, 2>(T(10) * tessera::lapack::qr<T>(G).Q + T(5));
        const auto Q = xt::xtensor<T, 2>(xt::view(align_test::random_rotation<T>(p, 72), xt::all(), xt::range(0, q)));
        const xt::xtensor<T, 2> B = T(1.3) * matmul(A, Q) + tessera::random_normal<T>(n, q, 73, 0, T(noise));
        procrustes_options o;
        o.scale = true;
        o.allow_reflection = true;
        if (weighted)
            o.weights = w;
        const auto t = procrustes(A, B, o);
        double ss = 0.0;
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < q; ++j)
            {
                double m = 0.0;
                for (std::size_t k = 0; k < p; ++k)
                    m += (double(A(i, k)) - double(t.mean_a(k))) * double(t.R(k, j));
                const double e = double(t.s) * m - (double(B(i, j)) - double(t.mean_b(j)));
                ss += (weighted ? w[i] : 1.0) * e * e;
            }
        const double direct = std::sqrt(ss);
        CHECK(direct < 10 * noise * std::sqrt(double(n * q)));  // a near-identical fit indeed
        CHECK(std::abs(t.residual - direct) <= (std::is_same_v<T, float> ? 1e-2 : 1e-6) * direct);
    }
}

TEST_CASE_TEMPLATE("p > q: the polar factor is flagged unless A_c^T A_c is a multiple of I", T, float, double)
{
    // B = A Q exactly, Q [7, 4] with orthonormal columns: Q itself fits with residual 0. With A
    // anisotropic (columns scaled 1..7) the polar factor of A^T B = (A^T A) Q is not Q, its
    // residual is far from 0, and the status must say so; with A whitened (A^T A = 25 I) the polar
    // factor is Q and the status is ok.
    const std::size_t n = 200, p = 7, q = 4;
    const auto Q = xt::xtensor<T, 2>(xt::view(align_test::random_rotation<T>(p, 81), xt::all(), xt::range(0, q)));
    xt::xtensor<T, 2> U = tessera::random_normal<T>(n, p, 82);
    U -= xt::xtensor<T, 2>(xt::view(xt::mean(U, {0}), xt::newaxis(), xt::all()));
    const xt::xtensor<T, 2> W = T(5) * tessera::lapack::qr<T>(U).Q;  // centred, W^T W = 25 I
    xt::xtensor<T, 2> A = W;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < p; ++k)
            A(i, k) *= T(k + 1);
    for (const bool whitened : {false, true})
    {
        CAPTURE(whitened);
        const xt::xtensor<T, 2>& X = whitened ? W : A;
        const xt::xtensor<T, 2> B = matmul(X, Q);
        const auto t = procrustes(X, B);
        const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-10;
        const double bnorm = std::sqrt(double(xt::sum(B * B)()));
        if (whitened)
        {
            CHECK(t.status.ok());
            CHECK(max_abs_diff(t.R, Q) < tol);
            CHECK(t.residual < tol * bnorm);
        }
        else
        {
            CHECK(t.status.code == tessera::status_code::accuracy_limited);
            CHECK(t.status.message.find("p=7 > q=4") != std::string::npos);
            CHECK(t.residual > 0.01 * bnorm);  // Q would give 0: the returned R is not the minimiser
        }
    }
}
