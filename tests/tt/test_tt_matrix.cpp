#include <doctest/doctest.h>
#include <tessera/core/blas.hpp>
#include <tessera/core/random.hpp>
#include <tessera/tt/tt_matrix.hpp>
#include <xtensor/xview.hpp>

#include "test_support.hpp"
#include "tt_test_helpers.hpp"

using tessera::tt::tt_matrix;
using tessera::tt::tt_options;
using tessera::tt::to_tt_matrix;

namespace
{
    /// A matrix whose interleaved TT-ranks are exactly `bonds`: the dense form of random cores.
    template <class T>
    xt::xtensor<T, 2> known_rank_matrix(const std::vector<std::size_t>& m, const std::vector<std::size_t>& n,
                                        const std::vector<std::size_t>& bonds, std::uint64_t seed)
    {
        std::vector<std::size_t> s;
        for (std::size_t k = 0; k < m.size(); ++k)
            s.push_back(m[k] * n[k]);
        tt_matrix<T> W(m, n, tt_test::random_train<T>(s, bonds, seed));
        return W.to_dense();
    }

    /// Independent dense reference of W(i, j) for the interleaved layout, entry by entry.
    template <class T>
    double entry(const tt_matrix<T>& W, std::size_t i, std::size_t j)
    {
        const auto& m = W.row_modes();
        const auto& n = W.col_modes();
        const std::size_t d = m.size();
        std::vector<std::size_t> ii(d), jj(d), idx(d);
        for (std::size_t k = d; k-- > 0;)
        {
            ii[k] = i % m[k];
            i /= m[k];
            jj[k] = j % n[k];
            j /= n[k];
        }
        for (std::size_t k = 0; k < d; ++k)
            idx[k] = ii[k] * n[k] + jj[k];
        return double(W.train()(idx));
    }
}  // namespace

TEST_CASE_TEMPLATE("tt_matrix: untruncated TT-matrix reconstructs W exactly", T, float, double)
{
    auto W = tessera::random_normal<T>(24, 30, 1);
    auto A = to_tt_matrix(W, {2, 3, 4}, {5, 3, 2});
    CHECK(A.rows() == 24);
    CHECK(A.cols() == 30);
    CHECK(A.ranks() == std::vector<std::size_t>{1, 10, 8, 1});  // min(prod left, prod right) over modes (10, 9, 8)
    CHECK(tt_test::diff_norm(A.to_dense(), W) <= 20 * tessera_test::tol<T>() * tt_test::fro(W));
    for (std::size_t i = 0; i < 24; i += 5)
        for (std::size_t j = 0; j < 30; j += 7)
            CHECK(entry(A, i, j) == doctest::Approx(double(W(i, j))).epsilon(1e-3).scale(1.0));
}

TEST_CASE_TEMPLATE("tt_matrix: known TT-matrix ranks are recovered", T, float, double)
{
    const double eps = std::is_same_v<T, float> ? 1e-4 : 1e-10;
    auto W = known_rank_matrix<T>({4, 2, 3, 2}, {2, 3, 2, 4}, {3, 5, 2}, 3);
    auto A = to_tt_matrix(W, {4, 2, 3, 2}, {2, 3, 2, 4}, {1000, eps});
    CHECK(A.ranks() == std::vector<std::size_t>{1, 3, 5, 2, 1});
    CHECK(tt_test::diff_norm(A.to_dense(), W) <= eps * tt_test::fro(W));
    auto b = A.bonds();
    REQUIRE(b.size() == 3);
    CHECK(b[0].rank == 3);
    CHECK(b[0].full_rank == 8);
    CHECK(b[1].full_rank == 48);
    CHECK(b[2].full_rank == 8);
    CHECK(b[1].params == 5 * (3 * 6 + 6 * 2));
    CHECK(A.compression_ratio() == doctest::Approx(double(W.size()) / double(A.parameter_count())));
}

TEST_CASE_TEMPLATE("tt_matrix: eps guarantee on a truncated TT-matrix", T, float, double)
{
    auto W = tessera::random_normal<T>(64, 48, 4);
    for (double eps : {0.1, 0.4, 0.7})
    {
        auto A = to_tt_matrix(W, {4, 4, 4}, {4, 4, 3}, {1000, eps});
        CHECK(A.status().ok());
        CHECK(tt_test::diff_norm(A.to_dense(), W) <= eps * tt_test::fro(W) * (1 + 1e-5));
        double bound = 0;
        for (const auto& b : A.bonds())
            bound += b.discarded_energy;
        CHECK(std::sqrt(bound) <= eps * tt_test::fro(W) * (1 + 1e-6));
    }
}

TEST_CASE_TEMPLATE("tt_matrix: matvec / matmat / transposes equal the dense products", T, float, double)
{
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    auto W = tessera::random_normal<T>(4096 / 16, 1024 / 16, 5);  // 256 x 64
    for (auto ranks : {std::size_t(3), std::size_t(8), std::size_t(1000)})
    {
        auto A = to_tt_matrix(W, {4, 4, 4, 4}, {2, 4, 4, 2}, {ranks, 0.0});
        auto D = A.to_dense();  // the product reference is the matrix the TT represents
        auto x = tessera::random_normal<T>(64, 1, 6);
        xt::xtensor<T, 1> xv = xt::view(x, xt::all(), 0);
        auto y = A.matvec(xv);
        auto yref = tessera::blas::matvec(D, xv);
        CHECK(tt_test::diff_norm(y, yref) <= tol * tt_test::fro(yref));
        auto X = tessera::random_normal<T>(64, 7, 7);
        auto Y = A.matmat(X);
        auto Yref = tessera::blas::matmul(D, X);
        CHECK(tt_test::diff_norm(Y, Yref) <= tol * tt_test::fro(Yref));
        auto Z = tessera::random_normal<T>(256, 5, 8);
        auto Xt = A.transpose_matmat(Z);
        auto Xref = tessera::blas::matmul(D, Z, tessera::blas::op::transpose);
        CHECK(tt_test::diff_norm(Xt, Xref) <= tol * tt_test::fro(Xref));
        xt::xtensor<T, 1> zv = xt::view(Z, xt::all(), 1);
        auto xt_ = A.transpose_matvec(zv);
        auto xtref = tessera::blas::matvec(D, zv, tessera::blas::op::transpose);
        CHECK(tt_test::diff_norm(xt_, xtref) <= tol * tt_test::fro(xtref));
    }
}

TEST_CASE_TEMPLATE("tt_matrix: round re-truncates with the eps guarantee", T, float, double)
{
    auto W = tessera::random_normal<T>(64, 64, 9);
    auto A = to_tt_matrix(W, {4, 4, 4}, {4, 4, 4});
    auto R = A.round({1000, 0.3});
    CHECK(tt_test::diff_norm(R.to_dense(), W) <= 0.3 * tt_test::fro(W) * (1 + 1e-5));
    CHECK(R.parameter_count() < A.parameter_count());
}

TEST_CASE("tt_matrix: bad input")
{
    auto W = tessera::random_normal<double>(12, 10, 1);
    CHECK_THROWS_WITH_AS(to_tt_matrix(W, {3, 4}, {2, 4}),
                         doctest::Contains("W has shape [12, 10] but prod(row_modes [3, 4])=12 and prod(col_modes [2, 4])=8"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(to_tt_matrix(W, {12}, {10}), doctest::Contains("need d >= 2"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(to_tt_matrix(W, {3, 4}, {10}), doctest::Contains("must have the same length"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(to_tt_matrix(W, {3, 4}, {2, 5}, {0, 0.0}), doctest::Contains("options.max_rank=0"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(to_tt_matrix(W, {3, 4}, {2, 5}, {4, -0.5}), doctest::Contains("options.rel_eps=-0.5"),
                         tessera::invalid_argument);
    auto A = to_tt_matrix(W, {3, 4}, {2, 5}, {3, 0.0});
    CHECK_THROWS_WITH_AS(A.matvec(xt::zeros<double>({12})), doctest::Contains("x must have length cols()=10, got 12"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(A.transpose_matvec(xt::zeros<double>({10})),
                         doctest::Contains("y must have length rows()=12, got 10"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(A.matmat(xt::zeros<double>({9, 2})), doctest::Contains("got [9, 2]"),
                         tessera::invalid_argument);
    xt::xtensor<double, 3> cube = xt::zeros<double>({2, 3, 4});
    CHECK_THROWS_WITH_AS(to_tt_matrix(cube, {2, 3}, {2, 2}), doctest::Contains("W must have 2 dimensions"),
                         tessera::invalid_argument);
}

TEST_CASE("tt_matrix: the product plan merges cores across full-rank bonds (hand-counted flops)")
{
    using tessera::tt::detail::choose_plan;
    using tessera::tt::detail::evaluate_plan;
    const std::vector<std::size_t> n{4, 8, 8, 4}, m{8, 8, 8, 8}, ranks{1, 32, 32, 32, 1};
    auto id = evaluate_plan({0, 1, 2, 3, 4}, n, m, ranks);
    CHECK(id.flops == 2.0 * (8 * 32 * 256 * 4 + 64 * 32 * 32 * 256 + 512 * 32 * 4 * 256 + 4096 * 128));
    CHECK(id.params == 1024 + 2 * 65536 + 1024);
    auto best = choose_plan(n, m, ranks, 2.0);
    CHECK(best.starts == std::vector<std::size_t>{0, 2, 4});
    CHECK(best.flops == 2.0 * (64 * 32 * 32 * 32 + 4096 * 32 * 32));
    CHECK(best.params == 2 * 65536);
    CHECK(choose_plan(n, m, ranks, 0.5).starts == std::vector<std::size_t>{0, 1, 2, 3, 4});  // no room: no merge
}

TEST_CASE_TEMPLATE("tt_matrix: merged cores reproduce the dense matrix", T, float, double)
{
    auto W = tessera::random_normal<T>(64, 36, 12);
    auto A = to_tt_matrix(W, {4, 4, 4}, {3, 4, 3}, {6, 0.0});
    auto D = A.to_dense();
    const auto merged = tessera::tt::detail::merge_cores<T>(A.train().cores(), A.row_modes(), A.col_modes(), 0, 3);
    REQUIRE(merged.shape(1) == 64 * 36);
    for (std::size_t i = 0; i < 64; i += 3)
        for (std::size_t j = 0; j < 36; j += 5)
            CHECK(double(merged(0, i * 36 + j, 0)) == doctest::Approx(double(D(i, j))).epsilon(1e-4));
}
