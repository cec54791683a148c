#include <limits>
#include <doctest/doctest.h>
#include <tessera/core/blas.hpp>
#include <tessera/core/random.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include "test_support.hpp"

using tessera::blas::op;

template <class T>
xt::xtensor<double, 2> naive(const xt::xtensor<T, 2>& A, const xt::xtensor<T, 2>& B, op ta, op tb)
{
    const std::size_t m = ta == op::none ? A.shape(0) : A.shape(1), k = ta == op::none ? A.shape(1) : A.shape(0);
    const std::size_t n = tb == op::none ? B.shape(1) : B.shape(0);
    xt::xtensor<double, 2> C = xt::zeros<double>({m, n});
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
            for (std::size_t p = 0; p < k; ++p)
                C(i, j) += double(ta == op::none ? A(i, p) : A(p, i)) * double(tb == op::none ? B(p, j) : B(j, p));
    return C;
}

TEST_CASE_TEMPLATE("gemm in all four transpose combinations equals a naive triple loop", T, float, double)
{
    for (op ta : {op::none, op::transpose})
        for (op tb : {op::none, op::transpose})
        {
            auto A = ta == op::none ? tessera::random_normal<T>(37, 19, 1) : tessera::random_normal<T>(19, 37, 1);
            auto B = tb == op::none ? tessera::random_normal<T>(19, 23, 2) : tessera::random_normal<T>(23, 19, 2);
            auto C = tessera::blas::matmul(A, B, ta, tb);
            auto R = naive(A, B, ta, tb);
            REQUIRE(C.shape(0) == 37);
            REQUIRE(C.shape(1) == 23);
            CHECK(xt::amax(xt::abs(xt::cast<double>(C) - R))() < 50 * tessera_test::tol<T>());
        }
}

TEST_CASE_TEMPLATE("gemm accumulates with beta and rejects mismatched shapes", T, float, double)
{
    auto A = tessera::random_normal<T>(4, 3, 1);
    auto B = tessera::random_normal<T>(3, 5, 2);
    xt::xtensor<T, 2> C = xt::ones<T>({4, 5});
    tessera::blas::gemm(op::none, op::none, T(2), A, B, T(3), C);
    auto R = naive(A, B, op::none, op::none);
    CHECK(xt::amax(xt::abs(xt::cast<double>(C) - (2.0 * R + 3.0)))() < 1e-4);
    xt::xtensor<T, 2> bad = xt::zeros<T>({4, 4});
    CHECK_THROWS_WITH_AS(tessera::blas::gemm(op::none, op::none, T(1), A, B, T(0), bad),
                         "blas::gemm: C must have shape [4, 5], got [4, 4]", tessera::invalid_argument);
    CHECK_THROWS_AS(tessera::blas::matmul(A, A), tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("gemm splits thin products across threads and still computes alpha op(A) op(B) + beta C", T, float, double)
{
    // gemm_raw splits a product with few output columns and many rows by C's rows, and one with
    // a long inner dimension by that dimension (per-thread sums added after). Every transpose
    // combination, operands read in place from wider matrices (leading dimensions > width), C
    // written in place inside a wider matrix whose other columns must stay untouched, with
    // alpha and beta, on 1 and 2 threads, against a double triple loop within the float sum bound.
    using tessera::blas::detail::gemm_split;
    struct shape
    {
        std::size_t m, n, k;
        gemm_split expect;
    };
    const shape shapes[] = {{9001, 37, 50, gemm_split::rows}, {33, 21, 9001, gemm_split::inner}, {300, 300, 300, gemm_split::none}};
    const double u = std::numeric_limits<T>::epsilon() / 2;
    for (const shape& sh : shapes)
        for (int threads : {1, 2})
        {
            tessera::thread_count_guard guard(threads);
            const bool can_split = threads == 2 && tessera::max_threads() == 2 &&
                                   tessera::blas::detail::blas_runs_on_calling_thread();
            CHECK(tessera::blas::detail::thin_gemm_split(sh.m, sh.n, sh.k) == (can_split ? sh.expect : gemm_split::none));
            for (op ta : {op::none, op::transpose})
                for (op tb : {op::none, op::transpose})
                {
                    const std::size_t pad = 3;
                    const std::size_t ar = ta == op::none ? sh.m : sh.k, ac = ta == op::none ? sh.k : sh.m;
                    const std::size_t br = tb == op::none ? sh.k : sh.n, bc = tb == op::none ? sh.n : sh.k;
                    auto Aw = tessera::random_normal<T>(ar, ac + pad, 11);
                    auto Bw = tessera::random_normal<T>(br, bc + pad, 12);
                    auto Cw = tessera::random_normal<T>(sh.m, sh.n + pad, 13);
                    const xt::xtensor<T, 2> C0 = Cw;
                    const T alpha = T(0.75), beta = T(-0.5);
                    tessera::blas::detail::gemm_raw(ta, tb, sh.m, sh.n, sh.k, alpha, Aw.data(), ac + pad, Bw.data(),
                                                    bc + pad, beta, Cw.data(), sh.n + pad);
                    const xt::xtensor<T, 2> A = xt::view(Aw, xt::all(), xt::range(0, ac));
                    const xt::xtensor<T, 2> B = xt::view(Bw, xt::all(), xt::range(0, bc));
                    const auto R = naive(A, B, ta, tb);
                    const auto absA = xt::xtensor<T, 2>(xt::abs(A)), absB = xt::xtensor<T, 2>(xt::abs(B));
                    const auto bound = naive(absA, absB, ta, tb);
                    std::size_t bad = 0, touched = 0;
                    for (std::size_t i = 0; i < sh.m; ++i)
                    {
                        for (std::size_t j = 0; j < sh.n; ++j)
                        {
                            const double want = double(alpha) * R(i, j) + double(beta) * double(C0(i, j));
                            const double tol = (double(sh.k) + 2) * u * (double(alpha) * bound(i, j) + std::abs(double(C0(i, j))));
                            bad += !(std::abs(double(Cw(i, j)) - want) <= tol);
                        }
                        for (std::size_t j = sh.n; j < sh.n + pad; ++j)
                            touched += Cw(i, j) != C0(i, j);
                    }
                    CHECK_MESSAGE(bad == 0, sh.m, "x", sh.n, "x", sh.k, " ta ", int(ta), " tb ", int(tb), " threads ", threads);
                    CHECK(touched == 0);
                }
        }
}

TEST_CASE_TEMPLATE("matvec and its transpose", T, float, double)
{
    auto A = tessera::random_normal<T>(6, 4, 3);
    xt::xtensor<T, 1> x = {T(1), T(-2), T(0.5), T(3)};
    auto y = tessera::blas::matvec(A, x);
    for (std::size_t i = 0; i < 6; ++i)
    {
        double r = 0;
        for (std::size_t j = 0; j < 4; ++j)
            r += double(A(i, j)) * double(x(j));
        CHECK(double(y(i)) == doctest::Approx(r).epsilon(1e-5));
    }
    xt::xtensor<T, 1> z = xt::ones<T>({6});
    auto w = tessera::blas::matvec(A, z, op::transpose);
    CHECK(w.size() == 4);
    CHECK(double(w(2)) == doctest::Approx(double(xt::sum(xt::view(A, xt::all(), 2))())).epsilon(1e-5));
    CHECK_THROWS_AS(tessera::blas::matvec(A, z), tessera::invalid_argument);
}

TEST_CASE("gram accumulates float input in double")
{
    // Rows with a large common offset: float accumulation of A^T A loses the small part.
    const std::size_t m = 5000, n = 3;
    xt::xtensor<float, 2> A = xt::zeros<float>({m, n});
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
            A(i, j) = 1000.0f + float((i * 7 + j * 3) % 11) * 0.001f;
    auto Gd = tessera::blas::gram<double>(A);
    auto Gf = tessera::blas::gram<float>(A);
    // Reference: a float times a float is exact in double (24 + 24 bits < 53), and a compensated
    // (Neumaier) sum of the m exact products is correct to about one rounding.
    auto exact = [&](std::size_t a, std::size_t b) {
        double s = 0, c = 0;
        for (std::size_t i = 0; i < m; ++i)
        {
            const double p = double(A(i, a)) * double(A(i, b));
            const double t = s + p;
            c += std::abs(s) >= std::abs(p) ? (s - t) + p : (p - t) + s;
            s = t;
        }
        return s + c;
    };
    // Any summation order of m positive terms in double is within m * u of the exact sum
    // (u = 2^-53): the bound holds for every OpenBLAS kernel (Haswell, Prescott, ...), which
    // sum in different orders.
    const double bound = double(m) * std::numeric_limits<double>::epsilon() / 2;
    double worst_d = 0, worst_f = 0;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
        {
            const double e = exact(i, j);
            CHECK(std::abs(Gd(i, j) - e) <= bound * e);
            CHECK(Gd(i, j) == Gd(j, i));
            worst_d = std::max(worst_d, std::abs(Gd(i, j) - e) / e);
            worst_f = std::max(worst_f, std::abs(double(Gf(i, j)) - e) / e);
        }
    // The float path is far less accurate: demonstrates why the double path exists.
    CHECK(worst_f > 1e-9);
    CHECK(worst_f > 1000 * worst_d);
    MESSAGE("gram relative error: double accumulation " << worst_d << " (bound " << bound << "), float " << worst_f);
}

TEST_CASE("gram<double, float>: float block products summed in double")
{
    // m = 5000 rows: three blocks of 2048 (the last partial). Positive entries, so every
    // product and partial sum is positive: a float sum of k terms is within k u_f of exact.
    const std::size_t m = 5000, n = 7;
    xt::xtensor<float, 2> A = xt::xtensor<float, 2>::from_shape({m, n});
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
            A(i, j) = 1.0f + float((i * 7 + j * 3) % 11) * 0.125f + float(i % 13) * 1e-3f;
    auto Gd = tessera::blas::gram<double>(A);
    auto Gm = tessera::blas::gram<double, float>(A);
    auto Gf = tessera::blas::gram<float>(A);
    const double uf = std::numeric_limits<float>::epsilon() / 2;
    double worst_m = 0, worst_f = 0;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
        {
            CHECK(Gm(i, j) == Gm(j, i));
            const double rel = std::abs(Gm(i, j) - Gd(i, j)) / Gd(i, j);
            // Each block's float sum of <= 2048 positive terms: within 2048 u_f, then summed exactly
            // enough in double.
            CHECK(rel <= 2048 * uf);
            worst_m = std::max(worst_m, rel);
            worst_f = std::max(worst_f, std::abs(double(Gf(i, j)) - Gd(i, j)) / Gd(i, j));
        }
    // It really multiplies in float (not a double pass in disguise): errors at float level.
    CHECK(worst_m > 1e-9);
    MESSAGE("gram relative error vs double: float blocks summed in double " << worst_m << ", all float " << worst_f);
    // One block, and an empty matrix.
    xt::xtensor<float, 2> small = xt::view(A, xt::range(0, 10), xt::all());
    auto G1 = tessera::blas::gram<double, float>(small);
    auto G1f = tessera::blas::gram<float>(small);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
            CHECK(G1(i, j) == double(G1f(i, j)));
    xt::xtensor<float, 2> none = xt::xtensor<float, 2>::from_shape({0, n});
    auto G0 = tessera::blas::gram<double, float>(none);
    CHECK(G0.shape(0) == n);
    CHECK(xt::all(xt::equal(G0, 0.0)));
}

TEST_CASE_TEMPLATE("gram splits a narrow matrix into one row range per thread", T, float, double)
{
    // 9001 x 37 (odd, so the two ranges and their 2048-row blocks are uneven), entries of both
    // signs. Every combination of Acc and Work must equal the exact Gram to the accuracy of its
    // summation, with 1 thread (one syrk) and 2 (two ranges, summed).
    const std::size_t m = 9001, n = 37;
    auto A = tessera::random_normal<T>(m, n, 42);
    xt::xtensor<double, 2> exact = xt::zeros<double>({n, n});
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t a = 0; a < n; ++a)
            for (std::size_t b = 0; b < n; ++b)
                exact(a, b) += double(A(i, a)) * double(A(i, b));
    const double uf = std::numeric_limits<float>::epsilon() / 2, ud = std::numeric_limits<double>::epsilon() / 2;
    // |sum error| <= k u sum |a_ia a_ib| <= k u ||a_a|| ||a_b||; k = m for one sum, 2048 for blocks.
    auto bound = [&](std::size_t a, std::size_t b, double k_u) { return k_u * std::sqrt(exact(a, a) * exact(b, b)); };
    for (int threads : {1, 2})
    {
        tessera::detail::thread_count_guard guard(threads);
        const std::size_t parts = tessera::blas::detail::gram_row_parts(m, n);
        if (threads == 1)
            CHECK(parts == 1);
        else if (tessera::detail::max_threads() == 2 && tessera::blas::detail::blas_runs_on_calling_thread())
            CHECK(parts == 2);
        CHECK(tessera::blas::detail::gram_row_parts(m, 513) == 1);
        CHECK(tessera::blas::detail::gram_row_parts(100, n) == 1);
        auto Gd = tessera::blas::gram<double>(A);
        auto Gt = tessera::blas::gram<T>(A);
        auto Gm = tessera::blas::gram<double, float>(xt::xtensor<float, 2>(xt::cast<float>(A)));
        for (std::size_t a = 0; a < n; ++a)
            for (std::size_t b = 0; b < n; ++b)
            {
                CHECK(Gd(a, b) == Gd(b, a));
                CHECK(std::abs(Gd(a, b) - exact(a, b)) <= bound(a, b, double(m) * ud) + 1e-300);
                const double ut = std::is_same_v<T, float> ? uf : ud;
                CHECK(std::abs(double(Gt(a, b)) - exact(a, b)) <= bound(a, b, double(m) * ut));
                // float A: block products in float over <= 2048 rows; the cast rounds a double A first.
                CHECK(std::abs(Gm(a, b) - exact(a, b)) <= bound(a, b, 2048 * uf + (std::is_same_v<T, float> ? 0 : 2 * uf)));
            }
        MESSAGE(threads << " threads: " << parts << " row ranges");
    }
}

TEST_CASE_TEMPLATE("gram of a column block read in place equals gram of its copy", T, float, double)
{
    // detail::gram_strided reads columns [7, 44) of a 9001 x 50 matrix through its row stride
    // (block Krylov's H corner): it must give the same bits as gram of the copied block, for
    // every Acc / Work combination, on 1 thread and on 2 (two row ranges).
    const std::size_t m = 9001, n = 50, c0 = 7, w = 37;
    const auto A = tessera::random_normal<T>(m, n, 43);
    xt::xtensor<T, 2> block = xt::xtensor<T, 2>::from_shape({m, w});
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < w; ++j)
            block(i, j) = A(i, c0 + j);
    for (int threads : {1, 2})
    {
        CAPTURE(threads);
        tessera::detail::thread_count_guard guard(threads);
        using tessera::blas::detail::gram_strided;
        CHECK(xt::all(xt::equal(gram_strided<T>(A.data() + c0, m, w, n), tessera::blas::gram<T>(block))));
        CHECK(xt::all(xt::equal(gram_strided<double>(A.data() + c0, m, w, n), tessera::blas::gram<double>(block))));
        CHECK(xt::all(xt::equal(gram_strided<double, T>(A.data() + c0, m, w, n),
                                tessera::blas::gram<double, T>(block))));
    }
}

TEST_CASE("the BLAS reports its core")
{
    const std::string core = tessera::blas::core_name();
    CHECK_FALSE(core.empty());
    MESSAGE("OpenBLAS core: " << core << ", threads " << tessera::blas::num_threads());
}
