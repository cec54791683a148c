#include <fstream>

#include <doctest/doctest.h>
#include <tessera/core/random.hpp>
#include <tessera/tt/tensorly_layout.hpp>

#include "test_support.hpp"
#include "tt_test_helpers.hpp"

namespace
{
    struct ttm_fixture
    {
        std::vector<xt::xtensor<double, 4>> factors;
        xt::xtensor<double, 2> dense;
    };

    /// Reads tests/fixtures/tt/tensorly_ttm_*.txt (format in tests/fixtures/generate_tt.py).
    ttm_fixture read_fixture(const std::string& name)
    {
        std::ifstream in(tessera_test::fixture("tt/" + name));
        REQUIRE(in.good());
        std::size_t d = 0;
        in >> d;
        std::vector<std::size_t> m(d), n(d), r(d + 1);
        for (auto& v : m)
            in >> v;
        for (auto& v : n)
            in >> v;
        for (auto& v : r)
            in >> v;
        ttm_fixture f;
        std::size_t M = 1, N = 1;
        for (std::size_t k = 0; k < d; ++k)
        {
            xt::xtensor<double, 4> F = xt::xtensor<double, 4>::from_shape({r[k], m[k], n[k], r[k + 1]});
            for (auto& v : F)
                in >> v;
            f.factors.push_back(std::move(F));
            M *= m[k];
            N *= n[k];
        }
        f.dense = xt::xtensor<double, 2>::from_shape({M, N});
        for (auto& v : f.dense)
            in >> v;
        REQUIRE(!in.fail());
        return f;
    }
}  // namespace

TEST_CASE("tensorly layout: factors reconstruct tensorly's tt_matrix_to_matrix, and round trip")
{
    for (const char* name : {"tensorly_ttm_random.txt", "tensorly_ttm_decomposed.txt"})
    {
        auto f = read_fixture(name);
        auto A = tessera::tt::from_tensorly_factors(f.factors);
        CHECK(A.rows() == f.dense.shape(0));
        CHECK(A.cols() == f.dense.shape(1));
        CHECK(tt_test::diff_norm(A.to_dense(), f.dense) <= 1e-12 * tt_test::fro(f.dense));
        auto back = tessera::tt::to_tensorly_factors(A);
        REQUIRE(back.size() == f.factors.size());
        for (std::size_t k = 0; k < back.size(); ++k)
        {
            CHECK(back[k].shape() == f.factors[k].shape());
            CHECK(tt_test::diff_norm(back[k], f.factors[k]) == 0.0);
        }
        // Products agree with the dense matrix tensorly would produce.
        auto x = tessera::random_normal<double>(A.cols(), 3, 1);
        auto y = A.matmat(x);
        auto yref = tessera::blas::matmul(f.dense, x);
        CHECK(tt_test::diff_norm(y, yref) <= 1e-12 * tt_test::fro(yref));
    }
}

TEST_CASE_TEMPLATE("tensorly layout: our decomposition exported and re-imported is unchanged", T, float, double)
{
    auto W = tessera::random_normal<T>(12, 24, 3);
    auto A = tessera::tt::to_tt_matrix(W, {3, 4}, {6, 4}, {4, 0.0});
    auto F = tessera::tt::to_tensorly_factors(A);
    CHECK(F[0].shape() == std::array<std::size_t, 4>{1, 3, 6, 4});
    CHECK(F[1].shape() == std::array<std::size_t, 4>{4, 4, 4, 1});
    auto B = tessera::tt::from_tensorly_factors(F);
    CHECK(tt_test::diff_norm(B.to_dense(), A.to_dense()) == 0.0);
}

TEST_CASE_TEMPLATE("tensorly layout: to_tt_matrix matches tensorly's tensor_train_matrix at the same rank", T, float,
                   double)
{
    // Fixture 2 is tensorly's rank-4 tensor_train_matrix of the 12 x 24 input stored beside it.
    auto f = read_fixture("tensorly_ttm_decomposed.txt");
    std::ifstream in(tessera_test::fixture("tt/tensorly_ttm_decomposed_input.txt"));
    REQUIRE(in.good());
    xt::xtensor<T, 2> W = xt::xtensor<T, 2>::from_shape({12, 24});
    for (auto& v : W)
        in >> v;
    REQUIRE(!in.fail());
    auto A = tessera::tt::to_tt_matrix(W, {3, 4}, {6, 4}, {4, 0.0});
    CHECK(A.ranks() == std::vector<std::size_t>{1, 4, 1});
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    CHECK(tt_test::diff_norm(A.to_dense(), f.dense) <= tol * tt_test::fro(f.dense));
}

TEST_CASE("tensorly layout: bad factors")
{
    std::vector<xt::xtensor<double, 4>> bad{xt::zeros<double>({2, 2, 2, 1})};
    CHECK_THROWS_WITH_AS(tessera::tt::from_tensorly_factors(bad), doctest::Contains("rank_0 = 1"),
                         tessera::invalid_argument);
    std::vector<xt::xtensor<double, 4>> chain{xt::zeros<double>({1, 2, 2, 3}), xt::zeros<double>({2, 2, 2, 1})};
    CHECK_THROWS_WITH_AS(tessera::tt::from_tensorly_factors(chain), doctest::Contains("ends with rank 3"),
                         tessera::invalid_argument);
    std::vector<xt::xtensor<double, 4>> last{xt::zeros<double>({1, 2, 2, 3})};
    CHECK_THROWS_WITH_AS(tessera::tt::from_tensorly_factors(last), doctest::Contains("rank_d = 1"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::tt::from_tensorly_factors(std::vector<xt::xtensor<double, 4>>{}),
                         doctest::Contains("must not be empty"), tessera::invalid_argument);
}
