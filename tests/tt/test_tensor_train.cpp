#include <doctest/doctest.h>
#include <tessera/tt/tensor_train.hpp>
#include <xtensor/xmath.hpp>

#include "test_support.hpp"
#include "tt_test_helpers.hpp"

using tessera::tt::tensor_train;
using tessera::tt::tt_options;

TEST_CASE_TEMPLATE("tensor_train: element access, full, parameter count", T, float, double)
{
    auto x = tt_test::random_train<T>({3, 4, 5, 2}, {2, 3, 2}, 11);
    CHECK(x.order() == 4);
    CHECK(x.ranks() == std::vector<std::size_t>{1, 2, 3, 2, 1});
    CHECK(x.parameter_count() == 1 * 3 * 2 + 2 * 4 * 3 + 3 * 5 * 2 + 2 * 2 * 1);
    CHECK(x.storage_bytes() == x.parameter_count() * sizeof(T));
    CHECK(x.compression_ratio() == doctest::Approx(120.0 / 64.0));
    auto F = x.full();
    REQUIRE(F.shape() == std::vector<std::size_t>{3, 4, 5, 2});
    // Independent reference: the product of core slices written out by hand.
    for (std::size_t a = 0; a < 3; ++a)
        for (std::size_t b = 0; b < 4; ++b)
            for (std::size_t c = 0; c < 5; ++c)
                for (std::size_t e = 0; e < 2; ++e)
                {
                    double s = 0;
                    const auto &G0 = x.core(0), &G1 = x.core(1), &G2 = x.core(2), &G3 = x.core(3);
                    for (std::size_t i = 0; i < 2; ++i)
                        for (std::size_t j = 0; j < 3; ++j)
                            for (std::size_t k = 0; k < 2; ++k)
                                s += double(G0(0, a, i)) * double(G1(i, b, j)) * double(G2(j, c, k)) *
                                     double(G3(k, e, 0));
                    CHECK(double(F(a, b, c, e)) == doctest::Approx(s).epsilon(tessera_test::tol<T>()));
                    CHECK(double(x({a, b, c, e})) == doctest::Approx(s).epsilon(tessera_test::tol<T>()));
                }
}

TEST_CASE_TEMPLATE("tensor_train: norm and dot equal the dense ones", T, float, double)
{
    auto x = tt_test::random_train<T>({4, 3, 5, 3}, {3, 4, 2}, 21);
    auto y = tt_test::random_train<T>({4, 3, 5, 3}, {2, 5, 3}, 22);
    auto X = x.full();
    auto Y = y.full();
    double ref = 0;
    for (std::size_t i = 0; i < X.size(); ++i)
        ref += double(X.data()[i]) * double(Y.data()[i]);
    CHECK(x.dot(y) == doctest::Approx(ref).epsilon(tessera_test::tol<T>()));
    CHECK(y.dot(x) == doctest::Approx(ref).epsilon(tessera_test::tol<T>()));
    CHECK(x.norm() == doctest::Approx(tt_test::fro(X)).epsilon(tessera_test::tol<T>()));
}

TEST_CASE_TEMPLATE("tensor_train: sum is the dense sum, with ranks added", T, float, double)
{
    auto x = tt_test::random_train<T>({3, 4, 3}, {2, 3}, 31);
    auto y = tt_test::random_train<T>({3, 4, 3}, {3, 1}, 32);
    auto s = x + y;
    CHECK(s.ranks() == std::vector<std::size_t>{1, 5, 4, 1});
    xt::xarray<T> ref = x.full() + y.full();
    CHECK(tt_test::diff_norm(s.full(), ref) <= 10 * tessera_test::tol<T>() * tt_test::fro(ref));
    xt::xarray<T> dref = x.full() - y.full();
    CHECK(tt_test::diff_norm((x - y).full(), dref) <= 10 * tessera_test::tol<T>() * tt_test::fro(dref));
}

TEST_CASE_TEMPLATE("tensor_train: rounding a sum recovers the ranks", T, float, double)
{
    const double eps = std::is_same_v<T, float> ? 1e-4 : 1e-9;
    auto x = tt_test::random_train<T>({4, 5, 6, 5, 4}, {3, 5, 4, 2}, 41);
    auto y = tt_test::random_train<T>({4, 5, 6, 5, 4}, {2, 3, 3, 3}, 42);
    // (x + y) - y has ranks r_x + 2 r_y but is exactly x.
    auto s = (x + y) - y;
    CHECK(s.ranks() == std::vector<std::size_t>{1, 7, 11, 10, 8, 1});
    auto r = s.round({/*max_rank=*/1000, eps});
    CHECK(r.ranks() == x.ranks());
    CHECK(r.status().ok());
    CHECK(tt_test::diff_norm(r.full(), x.full()) <= eps * x.norm() * 1.01);
    // x + 2x = 3x has ranks 2 r_x, rounds back to r_x.
    auto t = (x + x.scaled(T(2))).round({1000, eps});
    CHECK(t.ranks() == x.ranks());
    xt::xarray<T> three = T(3) * x.full();
    CHECK(tt_test::diff_norm(t.full(), three) <= eps * tt_test::fro(three) * 1.01);
    // x + y rounds to the (generic) ranks r_x + r_y capped by the mode products.
    auto u = (x + y).round({1000, eps});
    CHECK(u.ranks() == std::vector<std::size_t>{1, 4, 8, 7, 4, 1});
}

TEST_CASE_TEMPLATE("tensor_train: round honours eps and max_rank", T, float, double)
{
    auto x = tt_test::random_train<T>({5, 6, 6, 5}, {5, 12, 5}, 51);
    const double nx = x.norm();
    auto X = x.full();
    for (double eps : {0.05, 0.2, 0.5})
    {
        auto r = x.round({1000, eps});
        CHECK(r.status().ok());
        CHECK(tt_test::diff_norm(r.full(), X) <= eps * nx * (1 + 1e-5));
        CHECK(r.parameter_count() <= x.parameter_count());
        double bound = 0;
        for (double e : r.discarded_energy())
            bound += e;
        CHECK(std::sqrt(bound) <= eps * nx * (1 + 1e-6));
    }
    auto c = x.round({3, 0.0});
    CHECK(c.max_rank() <= 3);
    CHECK(c.status().code == tessera::status_code::accuracy_limited);
    double bound = 0;
    for (double e : c.discarded_energy())
        bound += e;
    CHECK(tt_test::diff_norm(c.full(), X) <= std::sqrt(bound) * (1 + 1e-4) + 1e-6 * nx);
}

TEST_CASE("tensor_train: bad input throws with a message naming the problem")
{
    using C = xt::xtensor<double, 3>;
    CHECK_THROWS_WITH_AS(tensor_train<double>(std::vector<C>{}), doctest::Contains("cores must not be empty"),
                         tessera::invalid_argument);
    std::vector<C> bad{xt::zeros<double>({1, 2, 3}), xt::zeros<double>({2, 2, 1})};
    CHECK_THROWS_WITH_AS(tensor_train<double>{bad}, doctest::Contains("ends with rank 3"), tessera::invalid_argument);
    std::vector<C> bad0{xt::zeros<double>({2, 2, 1})};
    CHECK_THROWS_WITH_AS(tensor_train<double>{bad0}, doctest::Contains("r_0 = 1"), tessera::invalid_argument);
    auto x = tt_test::random_train<double>({3, 4}, {2}, 1);
    CHECK_THROWS_WITH_AS(x({0, 4}), doctest::Contains("index[1]=4 must be < n_1=4"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(x({0}), doctest::Contains("index must have 2 entries, got 1"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(x.round({0, 0.1}), doctest::Contains("options.max_rank=0 must be >= 1"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(x.round({4, -0.1}), doctest::Contains("options.rel_eps=-0.1 must be finite and >= 0"),
                         tessera::invalid_argument);
    auto y = tt_test::random_train<double>({4, 3}, {2}, 1);
    CHECK_THROWS_WITH_AS(x.dot(y), doctest::Contains("shapes must match, got [3, 4] and [4, 3]"),
                         tessera::invalid_argument);
    CHECK_THROWS_AS(x + y, tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tensor_train<double>().norm(), doctest::Contains("empty"), tessera::invalid_argument);
}
