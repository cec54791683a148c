#include <doctest/doctest.h>
#include <tessera/spectral/low_rank.hpp>
#include <tessera/spectral/truncated_svd.hpp>

#include "spectral_test_support.hpp"

using namespace spectral_test;
namespace sp = tessera::spectral;

TEST_CASE_TEMPLATE("low_rank from a truncated SVD: reconstruct, apply, row, storage", T, float, double)
{
    auto A = tessera::random_normal<T>(90, 30, 17);
    const std::size_t r = 7;
    auto f = sp::truncated_svd(A, r);
    sp::low_rank<T> c(f);
    CHECK(c.rows() == 90);
    CHECK(c.cols() == 30);
    CHECK(c.rank() == r);
    CHECK(c.shape() == std::array<std::size_t, 2>{90, 30});
    CHECK(c.storage_bytes() == (90 + 30) * r * sizeof(T));
    CHECK(c.compression_ratio() == doctest::Approx(90.0 * 30.0 / (120.0 * 7.0)));

    // reconstruct() equals U diag(S) Vt computed independently, and its error is the SVD's.
    auto R = c.reconstruct();
    double worst = 0;
    for (std::size_t i = 0; i < 90; ++i)
        for (std::size_t j = 0; j < 30; ++j)
        {
            double s = 0;
            for (std::size_t t = 0; t < r; ++t)
                s += double(f.U(i, t)) * double(f.S(t)) * double(f.Vt(t, j));
            worst = std::max(worst, std::abs(s - double(R(i, j))));
        }
    CHECK(worst < 100 * tessera_test::tol<T>());

    // apply(x) == reconstruct() x, apply(X) == reconstruct() X, row(i) == reconstruct()[i].
    auto x = tessera::random_normal<T>(30, 1, 4);
    xt::xtensor<T, 1> xv = xt::view(x, xt::all(), 0);
    auto y = c.apply(xv);
    auto y_ref = tessera::blas::matvec(R, xv);
    REQUIRE(y.size() == 90);
    for (std::size_t i = 0; i < 90; ++i)
        CHECK(double(y(i)) == doctest::Approx(double(y_ref(i))).epsilon(100 * tessera_test::tol<T>()).scale(10));
    auto X = tessera::random_normal<T>(30, 5, 6);
    auto Y = c.apply(X);
    auto Y_ref = tessera::blas::matmul(R, X);
    CHECK(max_abs_diff(Y, Y_ref) < 1000 * tessera_test::tol<T>());
    auto row = c.row(42);
    for (std::size_t j = 0; j < 30; ++j)
        CHECK(double(row(j)) == doctest::Approx(double(R(42, j))).epsilon(100 * tessera_test::tol<T>()).scale(1));
}

TEST_CASE_TEMPLATE("low_rank from factors and its errors", T, float, double)
{
    xt::xtensor<T, 2> L = {{1, 2}, {3, 4}, {5, 6}};
    xt::xtensor<T, 2> Rt = {{1, 0, 2, 0}, {0, 1, 0, -1}};
    sp::low_rank<T> c(L, Rt);
    xt::xtensor<T, 2> dense = {{1, 2, 2, -2}, {3, 4, 6, -4}, {5, 6, 10, -6}};
    CHECK(c.reconstruct() == dense);
    CHECK(c.storage_bytes() == 14 * sizeof(T));
    CHECK(c.compression_ratio() == doctest::Approx(12.0 / 14.0));
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::low_rank<T>(L, L), "spectral::low_rank: left factor [3, 2] and right factor [3, 2]");
    xt::xtensor<T, 1> bad = xt::zeros<T>({3});
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(c.apply(bad), "spectral::low_rank::apply: x must have length cols()=4, got 3");
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(c.row(3), "spectral::low_rank::row: i=3 must be below rows()=3");
    sp::low_rank<T> empty;
    CHECK(empty.rows() == 0);
    CHECK(empty.storage_bytes() == 0);
}
