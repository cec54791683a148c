#include <doctest/doctest.h>
#include <tessera/core/blas.hpp>
#include <tessera/core/random.hpp>
#include <tessera/tt/sequential.hpp>
#include <xtensor/xview.hpp>

#include "test_support.hpp"
#include "tt_test_helpers.hpp"

using tessera::tt::to_tt_matrix_sequential;
using tessera::tt::tt_matrix_sequential;

TEST_CASE_TEMPLATE("tt_matrix_sequential: untruncated reconstruction and layout", T, float, double)
{
    auto W = tessera::random_normal<T>(200, 50, 1);
    auto A = to_tt_matrix_sequential(W, {10, 20}, {5, 10});
    CHECK(A.rows() == 200);
    CHECK(A.cols() == 50);
    CHECK(A.row_modes() == std::vector<std::size_t>{10, 20});
    CHECK(A.col_modes() == std::vector<std::size_t>{5, 10});
    CHECK(A.ranks() == std::vector<std::size_t>{1, 10, 50, 10, 1});  // the middle bond is rank(W)
    CHECK(tt_test::diff_norm(A.to_dense(), W) <= 20 * tessera_test::tol<T>() * tt_test::fro(W));
    // Entry (i, j) is the train at (i / 20, i % 20, j / 10, j % 10).
    CHECK(double(A.train()({3, 7, 2, 9})) == doctest::Approx(double(W(3 * 20 + 7, 2 * 10 + 9))).epsilon(1e-3));
}

TEST_CASE_TEMPLATE("tt_matrix_sequential: seed 004 bond sweep [10, mid, 10] degrades monotonically", T, float, double)
{
    // A 50 -> 200 layer as in TTLayer.from_linear_layer([5, 10], [10, 20], W, bond_dims=[10, mid, 10]):
    // modes in then out, i.e. our rows are the input modes: pass W^T [50, 200].
    auto Wt = tessera::random_normal<T>(50, 200, 2);
    double last = -1;
    std::size_t last_params = 0;
    for (std::size_t mid : std::vector<std::size_t>{50, 40, 20, 10, 5})
    {
        tessera::tt::tt_options o;
        o.bond_ranks = {10, mid, 10};
        auto A = to_tt_matrix_sequential(Wt, {5, 10}, {10, 20}, o);
        CHECK(A.ranks() == std::vector<std::size_t>{1, 5, mid, 10, 1});  // r_1 <= 5 = m_1
        const double err = tt_test::diff_norm(A.to_dense(), Wt) / tt_test::fro(Wt);
        CHECK(err >= last);
        if (last_params != 0)
            CHECK(A.parameter_count() < last_params);
        last = err;
        last_params = A.parameter_count();
        // The error is the discarded tail of the middle bond (an exact low-rank truncation of W^T).
        double bound = 0;
        for (const auto& b : A.bonds())
            bound += b.discarded_energy;
        CHECK(err * tt_test::fro(Wt) <= std::sqrt(bound) * (1 + 1e-3) + 1e-5 * tt_test::fro(Wt));
    }
}

TEST_CASE_TEMPLATE("tt_matrix_sequential: matvec / matmat / transposes equal the dense products", T, float, double)
{
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    auto W = tessera::random_normal<T>(120, 96, 3);
    for (std::size_t cap : std::vector<std::size_t>{4, 12, 1000})
    {
        auto A = to_tt_matrix_sequential(W, {4, 5, 6}, {8, 12}, {cap, 0.0});
        auto D = A.to_dense();
        auto X = tessera::random_normal<T>(96, 5, 4);
        CHECK(tt_test::diff_norm(A.matmat(X), tessera::blas::matmul(D, X)) <=
              tol * tt_test::fro(tessera::blas::matmul(D, X)));
        xt::xtensor<T, 1> x = xt::view(X, xt::all(), 0);
        auto yref = tessera::blas::matvec(D, x);
        CHECK(tt_test::diff_norm(A.matvec(x), yref) <= tol * tt_test::fro(yref));
        auto Y = tessera::random_normal<T>(120, 3, 5);
        auto Xref = tessera::blas::matmul(D, Y, tessera::blas::op::transpose);
        CHECK(tt_test::diff_norm(A.transpose_matmat(Y), Xref) <= tol * tt_test::fro(Xref));
        xt::xtensor<T, 1> y = xt::view(Y, xt::all(), 2);
        auto xref = tessera::blas::matvec(D, y, tessera::blas::op::transpose);
        CHECK(tt_test::diff_norm(A.transpose_matvec(y), xref) <= tol * tt_test::fro(xref));
    }
}

TEST_CASE("tt_matrix_sequential: bad input")
{
    auto W = tessera::random_normal<double>(20, 6, 1);
    CHECK_THROWS_WITH_AS(to_tt_matrix_sequential(W, {4, 5}, {4}), doctest::Contains("prod(col_modes [4])=4"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(to_tt_matrix_sequential(W, {}, {6}), doctest::Contains("must both be non-empty"),
                         tessera::invalid_argument);
    tessera::tt::tt_options o;
    o.bond_ranks = {2};
    CHECK_THROWS_WITH_AS(to_tt_matrix_sequential(W, {4, 5}, {6}, o),
                         doctest::Contains("options.bond_ranks has 1 entries; expected d - 1 = 2"),
                         tessera::invalid_argument);
    auto A = to_tt_matrix_sequential(W, {4, 5}, {2, 3});
    CHECK_THROWS_WITH_AS(A.matvec(xt::zeros<double>({5})), doctest::Contains("x must have length cols()=6, got 5"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tt_matrix_sequential<double>(A.train(), 4), doctest::Contains("row_modes=4 must be in [1, order()-1] = [1, 3]"),
                         tessera::invalid_argument);
}
