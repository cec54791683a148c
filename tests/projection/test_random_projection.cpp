#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/core/blas.hpp>
#include <tessera/core/parallel.hpp>
#include <tessera/core/random.hpp>
#include <tessera/projection/random_projection.hpp>
#include <xtensor/xmanipulation.hpp>

#include "test_support.hpp"

using tessera::projection::projection_kind;
using tessera::projection::random_projection;
using tessera::projection::reconstruct_options;

namespace
{
    const projection_kind all_kinds[] = {projection_kind::gaussian, projection_kind::orthonormal,
                                         projection_kind::achlioptas, projection_kind::very_sparse};

    template <class T>
    double frobenius(const xt::xtensor<T, 2>& A)
    {
        double s = 0;
        for (T v : A)
            s += static_cast<double>(v) * static_cast<double>(v);
        return std::sqrt(s);
    }

    template <class A, class B>
    double max_abs_diff(const A& a, const B& b)
    {
        double m = 0;
        auto ib = b.begin();
        for (auto ia = a.begin(); ia != a.end(); ++ia, ++ib)
            m = std::max(m, std::abs(static_cast<double>(*ia) - static_cast<double>(*ib)));
        return m;
    }

    template <class T>
    bool bitwise_equal(const xt::xtensor<T, 2>& a, const xt::xtensor<T, 2>& b)
    {
        return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
    }
}  // namespace

TEST_CASE_TEMPLATE("entry moments per kind match their distributions", T, float, double)
{
    const std::size_t d = 512, k = 256;
    const double N = static_cast<double>(d * k);
    for (auto kind : all_kinds)
    {
        INFO("kind=" << tessera::projection::to_string(kind));
        random_projection<T> proj(d, k, kind, 11);
        const auto P = proj.template matrix<double>();
        double m1 = 0, m2 = 0, m4 = 0, zeros = 0;
        for (double v : P)
        {
            m1 += v;
            m2 += v * v;
            m4 += v * v * v * v;
            zeros += v == 0.0 ? 1.0 : 0.0;
        }
        m1 /= N, m2 /= N, m4 /= N;
        if (kind == projection_kind::orthonormal)
        {
            // k orthonormal columns: ||P||_F^2 = k exactly, so the mean square is 1/d.
            CHECK(m2 == doctest::Approx(1.0 / double(d)).epsilon(1e-5));
            auto G = tessera::blas::matmul(P, P, tessera::blas::op::transpose);
            CHECK(max_abs_diff(G, xt::eye<double>(k)) < (std::is_same_v<T, float> ? 1e-5 : 1e-12));
            continue;
        }
        const double kk = double(k);
        // Every kind has E[x] = 0 and E[x^2] = 1/k; the fourth moment is 3/k^2 (Gaussian) or
        // s/k^2 for the sparse sign kinds (s = 3 for Achlioptas, sqrt(d) for very sparse).
        const double s = kind == projection_kind::gaussian ? 3.0
                         : kind == projection_kind::achlioptas ? 3.0
                                                               : std::sqrt(double(d));
        const double sd_m2 = std::sqrt((s - 1.0) / N) / kk;  // std of the sample mean of x^2
        CHECK(std::abs(m1) < 5.0 * std::sqrt(1.0 / kk / N));
        CHECK(std::abs(m2 - 1.0 / kk) < 5.0 * sd_m2);
        CHECK(m4 * kk * kk == doctest::Approx(s).epsilon(0.08));
        if (kind == projection_kind::gaussian)
            CHECK(zeros == 0.0);
        else
        {
            const double density = kind == projection_kind::achlioptas ? 1.0 / 3.0 : 1.0 / s;
            CHECK(proj.density() == doctest::Approx(density));
            CHECK(std::abs((N - zeros) / N - density) < 5.0 * std::sqrt(density * (1 - density) / N));
            CHECK(double(proj.nnz()) == N - zeros);
            const double value = std::sqrt(1.0 / (density * kk));
            for (double v : P)
                if (v != 0.0)
                    CHECK_MESSAGE(std::abs(std::abs(v) - value) < 1e-6 * value, "value ", v);
        }
    }
}

TEST_CASE_TEMPLATE("entries are regenerated from counter_rng positions i * k + j", T, float, double)
{
    const std::size_t d = 40, k = 24;
    const std::uint64_t seed = 2024, base = 0x70726f6a00000000ull;
    random_projection<T> g(d, k, projection_kind::gaussian, seed);
    random_projection<T> vs(d, k, projection_kind::very_sparse, seed);
    const tessera::counter_rng rg(seed, base + 0), rv(seed, base + 3);
    const auto Pg = g.matrix(), Pv = vs.matrix();
    const double s = std::sqrt(double(d));
    for (std::size_t i = 0; i < d; ++i)
        for (std::size_t j = 0; j < k; ++j)
        {
            const std::uint64_t pos = i * k + j;
            CHECK(Pg(i, j) == rg.normal<T>(pos) * static_cast<T>(1.0 / std::sqrt(double(k))));
            CHECK(Pv(i, j) == static_cast<T>(rv.sparse_sign(pos, 1.0 / s) * std::sqrt(s / double(k))));
        }
    // Same arguments -> same matrix; another seed -> another matrix.
    CHECK(bitwise_equal(random_projection<T>(d, k, projection_kind::gaussian, seed).matrix(), Pg));
    CHECK(!bitwise_equal(random_projection<T>(d, k, projection_kind::gaussian, seed + 1).matrix(), Pg));
}

TEST_CASE_TEMPLATE("sparse projection without densifying equals the dense product", T, float, double)
{
    for (std::size_t n : {1, 15, 16, 37, 300})
        for (auto kind : {projection_kind::achlioptas, projection_kind::very_sparse})
        {
            INFO("n=" << n << " kind=" << tessera::projection::to_string(kind));
            const std::size_t d = 129, k = 33;
            random_projection<T> proj(d, k, kind, 5);
            CHECK(proj.is_sparse());
            auto W = tessera::random_normal<T>(n, d, 3);
            auto Y = proj.project(W);
            REQUIRE(Y.shape(0) == n);
            REQUIRE(Y.shape(1) == k);
            auto Yd = tessera::blas::matmul(W, proj.matrix());
            CHECK(max_abs_diff(Y, Yd) < 50 * tessera_test::tol<T>());
        }
}

TEST_CASE_TEMPLATE("structured pinv satisfies the four Penrose identities and matches the SVD pinv", T, float,
                   double)
{
    for (auto kind : all_kinds)
        for (std::size_t k : {8, 64, 100})
        {
            INFO("kind=" << tessera::projection::to_string(kind) << " k=" << k);
            const std::size_t d = 100;
            random_projection<T> proj(d, k, kind, 17);
            const auto P = proj.template matrix<double>();
            auto pinv = proj.template pseudoinverse<double>();
            CHECK(pinv.status.ok());
            const auto& M = pinv.matrix;
            REQUIRE(M.shape(0) == k);
            REQUIRE(M.shape(1) == d);
            using tessera::blas::matmul;
            const auto PM = matmul(P, M), MP = matmul(M, P);
            // Orthonormal-kind P is orthonormal only to T's precision, and pinv = P^T.
            const double tol = (kind == projection_kind::orthonormal && std::is_same_v<T, float>) ? 1e-5 : 1e-9;
            CHECK(max_abs_diff(matmul(PM, P), P) < tol);
            CHECK(max_abs_diff(matmul(MP, M), M) < tol * 10);
            xt::xtensor<double, 2> PMt = xt::transpose(PM), MPt = xt::transpose(MP);
            CHECK(max_abs_diff(PMt, PM) < tol);
            CHECK(max_abs_diff(MPt, MP) < tol);
            reconstruct_options exact;
            exact.exact = true;
            auto ref = proj.template pseudoinverse<double>(exact);
            CHECK(ref.status.ok());
            CHECK(max_abs_diff(ref.matrix, M) < tol * 10);
        }
}

TEST_CASE_TEMPLATE("k > d: the Cholesky cannot apply; the SVD fallback is reported and still a pinv", T, float,
                   double)
{
    const std::size_t d = 20, k = 30;
    random_projection<T> proj(d, k, projection_kind::gaussian, 1);
    auto r = proj.template pseudoinverse<double>();
    CHECK(r.status.code == tessera::status_code::fallback_used);
    CHECK(r.status.message.find("k=30, d=20") != std::string::npos);
    const auto P = proj.template matrix<double>();
    const auto PMP = tessera::blas::matmul(tessera::blas::matmul(P, r.matrix), P);
    CHECK(max_abs_diff(PMP, P) < 1e-10);
    reconstruct_options exact;
    exact.exact = true;
    auto rx = proj.template pseudoinverse<double>(exact);
    CHECK(rx.status.code == tessera::status_code::rank_deficient);
    CHECK(rx.status.message.find("numerical rank 20 < k=30") != std::string::npos);
    CHECK(max_abs_diff(rx.matrix, r.matrix) < 1e-10);
    // W P pinv(P) = W when P has full row rank d: reconstruction is exact.
    auto W = tessera::random_normal<T>(10, d, 2);
    CHECK(max_abs_diff(proj.reconstruct(proj.project(W)), W) < 20 * tessera_test::tol<T>());
}

TEST_CASE_TEMPLATE("orthonormal kind: error equals sqrt(1 - ||W Q||^2 / ||W||^2) exactly", T, float, double)
{
    const std::size_t n = 300, d = 96, k = 40;
    auto W = tessera::random_normal<T>(n, d, 8);
    for (std::size_t j = 0; j < d; ++j)  // anisotropic columns: the identity must not rely on isotropy
        xt::view(W, xt::all(), j) *= static_cast<T>(1.0 + double(j % 7));
    random_projection<T> proj(d, k, projection_kind::orthonormal, 4);
    auto Y = proj.project(W);
    auto R = proj.reconstruct(Y);
    xt::xtensor<T, 2> E = W - R;
    const double rel = frobenius(E) / frobenius(W);
    const double ratio = frobenius(Y) / frobenius(W);
    CHECK(rel == doctest::Approx(std::sqrt(1.0 - ratio * ratio)).epsilon(std::is_same_v<T, float> ? 1e-4 : 1e-10));
}

TEST_CASE_TEMPLATE("isotropic data: pinv error sqrt(1 - k/d), scaled variant sqrt(d/k - 1)", T, float, double)
{
    // For rows w ~ N(0, I_d) and any rank-k orthogonal projector O: E||w(I - O)||^2 = d - k and
    // E||w O d/k - w||^2 = d^2/k - d, whatever the kind.
    const std::size_t n = 3000, d = 128, k = 32;
    auto W = tessera::random_normal<T>(n, d, 21);
    const double wn = frobenius(W);
    for (auto kind : all_kinds)
    {
        INFO("kind=" << tessera::projection::to_string(kind));
        random_projection<T> proj(d, k, kind, 9);
        auto Y = proj.project(W);
        xt::xtensor<T, 2> E = W - proj.reconstruct(Y);
        xt::xtensor<T, 2> Es = W - proj.reconstruct_scaled(Y);
        CHECK(frobenius(E) / wn == doctest::Approx(std::sqrt(1.0 - double(k) / double(d))).epsilon(0.01));
        CHECK(frobenius(Es) / wn == doctest::Approx(std::sqrt(double(d) / double(k) - 1.0)).epsilon(0.02));
        reconstruct_options exact;
        exact.exact = true;
        auto Rx = proj.reconstruct(Y, exact);
        CHECK(max_abs_diff(Rx, proj.reconstruct(Y)) < 20 * tessera_test::tol<T>());
    }
}

TEST_CASE_TEMPLATE("same seed gives the same matrix (bitwise) and results on 1 and 2 threads", T, float, double)
{
    const std::size_t n = 257, d = 150, k = 48;
    auto W = tessera::random_normal<T>(n, d, 33);
    for (auto kind : all_kinds)
    {
        INFO("kind=" << tessera::projection::to_string(kind));
        xt::xtensor<T, 2> P1, Y1, R1, P2, Y2, R2;
        {
            tessera::thread_count_guard g(1);
            random_projection<T> proj(d, k, kind, 77);
            P1 = proj.matrix(), Y1 = proj.project(W), R1 = proj.reconstruct(Y1);
        }
        {
            tessera::thread_count_guard g(2);
            random_projection<T> proj(d, k, kind, 77);
            P2 = proj.matrix(), Y2 = proj.project(W), R2 = proj.reconstruct(Y2);
        }
        // P comes from tessera's counter RNG: bitwise identical at any thread count, and so is
        // the sparse kinds' projection (tessera's own kernel). The dense projection and every
        // reconstruction go through BLAS/LAPACK; with the OpenMP build of OpenBLAS its thread
        // count follows OpenMP's and its blocking (so its rounding) depends on it: they agree
        // to rounding, not bit for bit.
        CHECK(bitwise_equal(P1, P2));
        const bool sparse = kind == projection_kind::achlioptas || kind == projection_kind::very_sparse;
        if (sparse)
            CHECK(bitwise_equal(Y1, Y2));
        CHECK(max_abs_diff(Y1, Y2) < 20 * tessera_test::tol<T>());
        CHECK(max_abs_diff(R1, R2) < 20 * tessera_test::tol<T>());
    }
}

TEST_CASE_TEMPLATE("bad input throws tessera::invalid_argument naming the function and values", T, float, double)
{
    using tessera::invalid_argument;
    CHECK_THROWS_WITH_AS(random_projection<T>(10, 0), "projection::random_projection: k=0 must be positive", invalid_argument);
    CHECK_THROWS_WITH_AS(random_projection<T>(0, 4), "projection::random_projection: d=0 must be positive", invalid_argument);
    CHECK_THROWS_WITH_AS(
        random_projection<T>(10, 11, projection_kind::orthonormal),
        "projection::random_projection: k=11 must not exceed d=10 for kind=orthonormal (at most d orthonormal columns)",
        invalid_argument);
    random_projection<T> proj(10, 4, projection_kind::very_sparse);
    xt::xtensor<T, 2> W = xt::zeros<T>({3, 9});
    CHECK_THROWS_WITH_AS(proj.project(W), "projection::random_projection::project: W must have 10 columns (d), got shape [3, 9]",
                         invalid_argument);
    xt::xtensor<T, 2> Y = xt::zeros<T>({3, 5});
    CHECK_THROWS_WITH_AS(proj.reconstruct(Y),
                         "projection::random_projection::reconstruct: Y must have 4 columns (k), got shape [3, 5]",
                         invalid_argument);
    CHECK_THROWS_AS(proj.reconstruct_scaled(Y), invalid_argument);
    xt::xtensor<T, 1> v = xt::zeros<T>({10});
    CHECK_THROWS_WITH_AS(proj.project(v), doctest::Contains("W must have 2 dimensions"), invalid_argument);
}

TEST_CASE_TEMPLATE("project: NaN / Inf anywhere in W is reported at its index by every kind; an overflow is not", T, float,
                   double)
{
    // project checks the dense kinds' result, not W: every (row, column) of W and all three
    // non-finite values must still come back as W's first bad entry, for P with and without zeros.
    const std::size_t n = 5, d = 12, k = 4;
    const T bad[] = {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                     -std::numeric_limits<T>::infinity()};
    for (projection_kind kind : all_kinds)
    {
        CAPTURE(tessera::projection::to_string(kind));
        const random_projection<T> P(d, k, kind, 3);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < d; ++j)
                for (T v : bad)
                {
                    auto W = tessera::random_normal<T>(n, d, 4);
                    W(i, j) = v;
                    if (i + 1 < n)
                        W(n - 1, d - 1) = std::numeric_limits<T>::quiet_NaN();  // a later one is not the one named
                    std::ostringstream want;
                    want << "projection::random_projection::project: W must be finite, got " << v << " at [" << i
                         << ", " << j << "]";
                    CHECK_THROWS_WITH_AS(P.project(W), want.str().c_str(), tessera::invalid_argument);
                }
        // Finite W whose products overflow: not an input error, Y is returned with its Inf. Row 1
        // is max() everywhere, so Y(1, c) = max() * (column sum of P): Inf where that sum exceeds 2.
        xt::xtensor<T, 2> W = xt::zeros<T>({n, d});
        for (std::size_t j = 0; j < d; ++j)
            W(1, j) = std::numeric_limits<T>::max();
        xt::xtensor<T, 2> Y;
        REQUIRE_NOTHROW(Y = P.project(W));
        const auto Pd = P.template matrix<double>();
        std::size_t overflowing = 0;
        for (std::size_t c = 0; c < k; ++c)
        {
            double sum = 0;
            for (std::size_t j = 0; j < d; ++j)
                sum += Pd(j, c);
            if (std::abs(sum) > 2)
            {
                ++overflowing;
                CHECK_FALSE(std::isfinite(Y(1, c)));
            }
            CHECK(Y(0, c) == T(0));
        }
        if (kind == projection_kind::gaussian)
            CHECK(overflowing > 0);  // the case is exercised
    }
}
