#include <cmath>

#include <doctest/doctest.h>
#include <tessera/core/blas.hpp>
#include <tessera/core/eigh_top.hpp>
#include <tessera/core/lapack.hpp>
#include <tessera/core/triangular.hpp>
#include <tessera/core/random.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include "test_support.hpp"

using tessera::blas::op;

template <class T>
double max_abs_diff(const xt::xtensor<T, 2>& a, const xt::xtensor<T, 2>& b)
{
    return xt::amax(xt::abs(xt::cast<double>(a) - xt::cast<double>(b)))();
}

template <class T>
double orthonormality_error(const xt::xtensor<T, 2>& Q)  // || Q^T Q - I ||_max
{
    auto G = tessera::blas::matmul(Q, Q, op::transpose, op::none);
    return max_abs_diff<T>(G, xt::eye<T>(G.shape(0)));
}

TEST_CASE_TEMPLATE("svd reconstructs tall and wide matrices with orthonormal factors", T, float, double)
{
    const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
    for (auto [m, n] : {std::pair<std::size_t, std::size_t>{60, 17}, {17, 60}, {25, 25}})
    {
        auto A = tessera::random_normal<T>(m, n, 9);
        auto f = tessera::lapack::svd<T>(A);
        const std::size_t k = std::min(m, n);
        REQUIRE(f.U.shape(0) == m);
        REQUIRE(f.U.shape(1) == k);
        REQUIRE(f.Vt.shape(0) == k);
        REQUIRE(f.Vt.shape(1) == n);
        CHECK(f.status.ok());
        for (std::size_t i = 1; i < k; ++i)
            CHECK(f.S(i - 1) >= f.S(i));
        xt::xtensor<T, 2> US = f.U * xt::view(f.S, xt::newaxis(), xt::all());
        auto R = tessera::blas::matmul(US, f.Vt);
        CHECK(max_abs_diff(R, A) < 10 * tol * double(f.S(0)));
        CHECK(orthonormality_error(f.U) < 10 * tol);
        xt::xtensor<T, 2> V = xt::transpose(f.Vt);
        CHECK(orthonormality_error(V) < 10 * tol);
    }
}

TEST_CASE_TEMPLATE("svd reads an lvalue without changing it; the rvalue overload gives the same factors", T, float,
                   double)
{
    for (auto [m, n] : {std::pair<std::size_t, std::size_t>{300, 41}, {41, 300}, {33, 33}})
    {
        const auto A = tessera::random_normal<T>(m, n, 21);
        const xt::xtensor<T, 2> before = A;
        auto f = tessera::lapack::svd<T>(A);
        CHECK(xt::all(xt::equal(A, before)));
        auto g = tessera::lapack::svd<T>(xt::xtensor<T, 2>(A));
        CHECK(xt::all(xt::equal(f.S, g.S)));
        CHECK(xt::all(xt::equal(f.U, g.U)));
        CHECK(xt::all(xt::equal(f.Vt, g.Vt)));
    }
}

TEST_CASE_TEMPLATE("transposed matches the definition on uneven tiles and thread counts", T, float, double)
{
    for (auto [m, n] : {std::pair<std::size_t, std::size_t>{1000, 3}, {3, 1000}, {129, 65}, {0, 4}, {1, 1}})
        for (int threads : {1, 2})
        {
            tessera::detail::thread_count_guard guard(threads);
            auto A = tessera::random_normal<T>(m, n, 5);
            auto B = tessera::blas::transposed(A);
            REQUIRE(B.shape(0) == n);
            REQUIRE(B.shape(1) == m);
            bool same = true;
            for (std::size_t i = 0; i < m; ++i)
                for (std::size_t j = 0; j < n; ++j)
                    same = same && B(j, i) == A(i, j);
            CHECK(same);
        }
}

TEST_CASE("svd singular values of a known matrix")
{
    // diag(3, 2, 1) rotated on both sides by permutations and signs.
    xt::xtensor<double, 2> A = {{0, -2, 0}, {0, 0, 1}, {3, 0, 0}, {0, 0, 0}};
    auto f = tessera::lapack::svd<double>(A);
    CHECK(f.S(0) == doctest::Approx(3.0));
    CHECK(f.S(1) == doctest::Approx(2.0));
    CHECK(f.S(2) == doctest::Approx(1.0));
}

TEST_CASE_TEMPLATE("eigh: descending values, column eigenvectors, A V = V diag(w)", T, float, double)
{
    auto X = tessera::random_normal<T>(40, 12, 4);
    auto A = tessera::blas::matmul(X, X, op::transpose, op::none);
    auto e = tessera::lapack::eigh<T>(A);
    CHECK(e.status.ok());
    for (std::size_t i = 1; i < 12; ++i)
        CHECK(e.values(i - 1) >= e.values(i));
    auto AV = tessera::blas::matmul(A, e.vectors);
    xt::xtensor<T, 2> VW = e.vectors * xt::view(e.values, xt::newaxis(), xt::all());
    const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-11;
    CHECK(max_abs_diff(AV, VW) < tol * double(e.values(0)));
    CHECK(orthonormality_error(e.vectors) < tol * 10);
    CHECK_THROWS_AS(tessera::lapack::eigh<T>(X), tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("eigvalsh: eigh's values without the vectors, and the trace", T, float, double)
{
    // 40 x 12 Gram: the values-only syevd must give eigh's values (to rounding of a different
    // reduction path) summing to the trace; vectors is [n, 0]; a non-square A throws.
    auto X = tessera::random_normal<T>(40, 12, 5);
    auto A = tessera::blas::matmul(X, X, op::transpose, op::none);
    auto e = tessera::lapack::eigh<T>(A);
    auto v = tessera::lapack::eigvalsh<T>(A);
    CHECK(v.status.ok());
    REQUIRE(v.values.size() == 12);
    CHECK(v.vectors.shape(0) == 12);
    CHECK(v.vectors.shape(1) == 0);
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    double sum = 0, trace = 0;
    for (std::size_t i = 0; i < 12; ++i)
    {
        if (i > 0)
            CHECK(v.values(i - 1) >= v.values(i));
        CHECK(std::abs(double(v.values(i)) - double(e.values(i))) <= tol * double(e.values(0)));
        sum += double(v.values(i));
        trace += double(A(i, i));
    }
    CHECK(sum == doctest::Approx(trace).epsilon(tol));
    CHECK_THROWS_AS(tessera::lapack::eigvalsh<T>(X), tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("eigh_top: the largest eigenpairs equal eigh's, A V = V diag(w)", T, float, double)
{
    const std::size_t n = 60;
    auto X = tessera::random_normal<T>(200, n, 9);
    auto A = tessera::blas::matmul(X, X, op::transpose, op::none);
    auto full = tessera::lapack::eigh<T>(A);
    const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-11;
    for (std::size_t count : {std::size_t(1), std::size_t(7), n})
    {
        CAPTURE(count);
        auto e = tessera::lapack::eigh_top<T>(A, count);
        REQUIRE(e.status.ok());
        REQUIRE(e.values.size() == count);
        REQUIRE(e.vectors.shape(0) == n);
        REQUIRE(e.vectors.shape(1) == count);
        for (std::size_t j = 0; j < count; ++j)
        {
            CHECK(std::abs(double(e.values(j)) - double(full.values(j))) <= tol * double(full.values(0)));
            if (j > 0)
                CHECK(e.values(j - 1) >= e.values(j));
        }
        auto AV = tessera::blas::matmul(A, e.vectors);
        xt::xtensor<T, 2> VW = e.vectors * xt::view(e.values, xt::newaxis(), xt::all());
        CHECK(max_abs_diff(AV, VW) < tol * double(full.values(0)));
        CHECK(orthonormality_error(e.vectors) < tol * 10);
    }
    CHECK_THROWS_WITH_AS(tessera::lapack::eigh_top<T>(A, 0), doctest::Contains("lapack::eigh_top: count=0 must be in [1, 60]"),
                         tessera::invalid_argument);
    CHECK_THROWS_AS(tessera::lapack::eigh_top<T>(A, n + 1), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::lapack::eigh_top<T>(X, 1), doctest::Contains("A must be square"),
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("qr: Q orthonormal, R upper triangular, QR = A", T, float, double)
{
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-13;
    for (auto [m, n] : {std::pair<std::size_t, std::size_t>{50, 8}, {8, 50}, {9, 9}})
    {
        auto A = tessera::random_normal<T>(m, n, 5);
        auto f = tessera::lapack::qr<T>(A);
        const std::size_t k = std::min(m, n);
        REQUIRE(f.Q.shape(0) == m);
        REQUIRE(f.Q.shape(1) == k);
        REQUIRE(f.R.shape(0) == k);
        REQUIRE(f.R.shape(1) == n);
        for (std::size_t i = 0; i < k; ++i)
            for (std::size_t j = 0; j < i; ++j)
                CHECK(f.R(i, j) == T(0));
        CHECK(orthonormality_error(f.Q) < 10 * tol);
        CHECK(max_abs_diff(tessera::blas::matmul(f.Q, f.R), A) < 100 * tol);
    }
}

TEST_CASE_TEMPLATE("cholesky solves SPD systems and reports non-PD as a status", T, float, double)
{
    auto X = tessera::random_normal<T>(30, 6, 8);
    auto A = tessera::blas::matmul(X, X, op::transpose, op::none);
    auto c = tessera::lapack::cholesky<T>(A);
    CHECK(c.status.ok());
    auto LLt = tessera::blas::matmul(c.L, c.L, op::none, op::transpose);
    CHECK(max_abs_diff(LLt, A) < (std::is_same_v<T, float> ? 1e-3 : 1e-11));
    auto B = tessera::random_normal<T>(6, 3, 2);
    auto S = tessera::lapack::cholesky_solve(c.L, B);
    CHECK(max_abs_diff(tessera::blas::matmul(A, S), B) < (std::is_same_v<T, float> ? 1e-3 : 1e-10));

    xt::xtensor<T, 2> notpd = {{1, 2}, {2, 1}};
    auto bad = tessera::lapack::cholesky<T>(notpd);
    CHECK(bad.status.code == tessera::status_code::rank_deficient);
    CHECK(bad.status.message.find("order 2") != std::string::npos);
}

TEST_CASE_TEMPLATE("lu_permuted_lower spans the same space as A and matches P^T L", T, float, double)
{
    auto A = tessera::random_normal<T>(20, 5, 3);
    auto L = tessera::lapack::lu_permuted_lower(A);
    // range(L) == range(A): projecting A onto range(L) leaves no residual.
    auto q = tessera::lapack::qr<T>(L);
    auto P = tessera::blas::matmul(q.Q, tessera::blas::matmul(q.Q, A, op::transpose, op::none));
    CHECK(max_abs_diff(P, A) < (std::is_same_v<T, float> ? 1e-4 : 1e-12));
    // Partial pivoting bounds every entry of L by 1 and yields 5 unit "pivot rows".
    CHECK(xt::amax(xt::abs(L))() <= T(1));
    int ones = 0;
    for (std::size_t i = 0; i < 20; ++i)
        for (std::size_t j = 0; j < 5; ++j)
            ones += L(i, j) == T(1) ? 1 : 0;
    CHECK(ones >= 5);
    CHECK_THROWS_AS(tessera::lapack::lu_permuted_lower<T>(xt::xtensor<T, 2>(xt::zeros<T>({2, 3}))),
                    tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("lu_permuted_lower equals a textbook partial-pivoting LU on a tall matrix", T, float, double)
{
    // 1000 x 7: the transposes and the write-out run in 64-row bands across threads, 16 bands
    // and a short last one. Reference: Doolittle elimination with partial pivoting in double,
    // the row swaps undone at the end (scipy.linalg.lu(A, permute_l=True)[0]).
    const std::size_t m = 1000, n = 7;
    auto A = tessera::random_normal<T>(m, n, 21);
    for (int threads : {1, 2})
    {
        tessera::thread_count_guard guard(threads);
        auto L = tessera::lapack::lu_permuted_lower(A);
        REQUIRE(L.shape(0) == m);
        REQUIRE(L.shape(1) == n);
        std::vector<double> W(m * n);
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j)
                W[i * n + j] = double(A(i, j));
        std::vector<std::size_t> perm(m);
        for (std::size_t i = 0; i < m; ++i)
            perm[i] = i;
        for (std::size_t j = 0; j < n; ++j)
        {
            std::size_t p = j;
            for (std::size_t i = j + 1; i < m; ++i)
                if (std::abs(W[i * n + j]) > std::abs(W[p * n + j]))
                    p = i;
            for (std::size_t c = 0; c < n; ++c)
                std::swap(W[j * n + c], W[p * n + c]);
            std::swap(perm[j], perm[p]);
            for (std::size_t i = j + 1; i < m; ++i)
            {
                W[i * n + j] /= W[j * n + j];
                for (std::size_t c = j + 1; c < n; ++c)
                    W[i * n + c] -= W[i * n + j] * W[j * n + c];
            }
        }
        // Row i of the eliminated matrix came from row perm[i] of A: L's row perm[i] is its
        // unit-lower part.
        double worst = 0;
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j)
            {
                const double want = j < i ? W[i * n + j] : (i == j ? 1.0 : 0.0);
                worst = std::max(worst, std::abs(double(L(perm[i], j)) - want));
            }
        CHECK(worst < (std::is_same_v<T, float> ? 1e-4 : 1e-12));
    }
}

TEST_CASE("an illegal LAPACK argument surfaces as lapack_error with routine and info")
{
    // Call gesdd through the internal prototype with lda < m: LAPACK reports info = -5.
    int m = 4, n = 3, lda = 2, ldu = 4, ldvt = 3, lwork = 100, info = 0;
    std::vector<double> a(12, 1.0), s(3), u(12), vt(9), work(100);
    std::vector<int> iwork(24);
    tessera::detail::gesdd("S", &m, &n, a.data(), &lda, s.data(), u.data(), &ldu, vt.data(), &ldvt, work.data(),
                           &lwork, iwork.data(), &info);
    CHECK(info == -5);
    try
    {
        tessera::lapack::detail::check_info<double>("gesdd", info, "lapack::svd");
        FAIL("no throw");
    }
    catch (const tessera::lapack_error& e)
    {
        CHECK(e.routine() == "dgesdd");
        CHECK(e.info() == -5);
        CHECK(std::string(e.what()).find("argument 5 had an illegal value") != std::string::npos);
    }
}

TEST_CASE("empty inputs give empty factors")
{
    auto f = tessera::lapack::svd<double>(xt::xtensor<double, 2>::from_shape({0, 5}));
    CHECK(f.S.size() == 0);
    auto q = tessera::lapack::qr<double>(xt::xtensor<double, 2>::from_shape({5, 0}));
    CHECK(q.Q.shape(1) == 0);
}
