#include <doctest/doctest.h>
#include <tessera/core/blas.hpp>
#include <tessera/core/lapack.hpp>
#include <tessera/core/random.hpp>
#include <tessera/tt/tt_svd.hpp>
#include <xtensor/xview.hpp>

#include <type_traits>

#include "test_support.hpp"
#include "tt_test_helpers.hpp"

using tessera::tt::tt_options;
using tessera::tt::tt_svd;

namespace
{
    /// A [m, n] matrix Q1 diag(s) Q2^T with s_i = (i + 1)^-alpha and random orthonormal Q1, Q2.
    template <class T>
    xt::xtensor<T, 2> power_law(std::size_t m, std::size_t n, double alpha, std::uint64_t seed)
    {
        const std::size_t k = std::min(m, n);
        auto Q1 = tessera::lapack::qr<T>(tessera::random_normal<T>(m, k, seed, 0)).Q;
        auto Q2 = tessera::lapack::qr<T>(tessera::random_normal<T>(n, k, seed, 1)).Q;
        for (std::size_t j = 0; j < k; ++j)
        {
            const T s = static_cast<T>(std::pow(double(j + 1), -alpha));
            for (std::size_t i = 0; i < m; ++i)
                Q1(i, j) *= s;
        }
        return tessera::blas::matmul(Q1, Q2, tessera::blas::op::none, tessera::blas::op::transpose);
    }
}  // namespace

TEST_CASE_TEMPLATE("tt_svd: exact reconstruction when nothing is truncated", T, float, double)
{
    auto A = tessera::random_normal<T>(1, 4 * 5 * 6 * 3, 3);
    auto x = tt_svd(A, {4, 5, 6, 3});
    CHECK(x.shape() == std::vector<std::size_t>{4, 5, 6, 3});
    // Full ranks of a generic tensor: min(prod left, prod right).
    CHECK(x.ranks() == std::vector<std::size_t>{1, 4, 18, 3, 1});
    CHECK(x.status().ok());
    CHECK(tt_test::diff_norm(x.full(), A) <= 20 * tessera_test::tol<T>() * tt_test::fro(A));
}

TEST_CASE_TEMPLATE("tt_svd: a tensor with known TT ranks is recovered with exactly those ranks", T, float, double)
{
    const double eps = std::is_same_v<T, float> ? 1e-4 : 1e-10;
    for (auto bonds : {std::vector<std::size_t>{2, 3, 2}, {1, 4, 3}, {3, 5, 2}})
    {
        auto ref = tt_test::random_train<T>({4, 5, 6, 5}, bonds, 7);
        auto F = ref.full();
        auto x = tt_svd(F, {4, 5, 6, 5}, {1000, eps});
        CHECK(x.ranks() == ref.ranks());
        CHECK(tt_test::diff_norm(x.full(), F) <= eps * tt_test::fro(F));
    }
}

TEST_CASE_TEMPLATE("tt_svd: ||A - TT||_F <= eps ||A||_F on random and power-law data", T, float, double)
{
    auto R = tessera::random_normal<T>(64, 64, 5);
    auto P = power_law<T>(64, 64, 1.0, 6);
    for (const auto* A : {&R, &P})
    {
        const double na = tt_test::fro(*A);
        std::size_t last_params = ~std::size_t(0);
        for (double eps : {0.01, 0.05, 0.1, 0.3, 0.6})
        {
            for (auto shape : {std::vector<std::size_t>{8, 8, 8, 8}, {4, 4, 4, 4, 4, 4}, {64, 64}})
            {
                auto x = tt_svd(*A, shape, {1000, eps});
                CHECK(x.status().ok());
                const double err = tt_test::diff_norm(x.full(), *A);
                CHECK(err <= eps * na * (1 + 1e-5));
                double bound = 0;
                for (double e : x.discarded_energy())
                    bound += e;
                CHECK(err <= std::sqrt(bound) * (1 + 1e-3) + 1e-5 * na);
                if (shape.size() == 4)
                {
                    CHECK(x.parameter_count() <= last_params);  // looser eps, fewer parameters
                    last_params = x.parameter_count();
                }
            }
        }
    }
}

TEST_CASE_TEMPLATE("tt_svd: d = 2 is the truncated SVD (error equals the discarded tail)", T, float, double)
{
    auto A = power_law<T>(30, 20, 0.7, 8);
    auto f = tessera::lapack::svd<T>(A);
    auto x = tt_svd(A, {30, 20}, {6, 0.0});
    REQUIRE(x.ranks() == std::vector<std::size_t>{1, 6, 1});
    double tail = 0;
    for (std::size_t i = 6; i < f.S.size(); ++i)
        tail += double(f.S(i)) * double(f.S(i));
    CHECK(tt_test::diff_norm(x.full(), A) == doctest::Approx(std::sqrt(tail)).epsilon(1e-3));
    CHECK(x.discarded_energy()[0] == doctest::Approx(tail).epsilon(1e-3));
    CHECK(x.status().code == tessera::status_code::accuracy_limited);
}

TEST_CASE_TEMPLATE("tt_svd: max_rank caps every rank", T, float, double)
{
    auto A = tessera::random_normal<T>(1, 4096, 9);
    auto x = tt_svd(A, {8, 8, 8, 8}, {5, 0.01});
    for (auto r : x.ranks())
        CHECK(r <= 5);
    CHECK(x.max_rank() == 5);
    CHECK(x.status().code == tessera::status_code::accuracy_limited);
    CHECK(x.status().message.find("rank caps bind") != std::string::npos);
}

TEST_CASE_TEMPLATE("tt_svd: randomized unfoldings keep the guarantee and stay near the exact error", T, float, double)
{
    auto P = power_law<T>(512, 512, 1.0, 10);
    const std::vector<std::size_t> shape{16, 32, 32, 16};
    for (std::size_t cap : std::vector<std::size_t>{8, 24})
    {
        tessera::tt::tt_options ex{cap, 0.0}, rnd{cap, 0.0};
        ex.method = tessera::tt::svd_method::exact;
        rnd.method = tessera::tt::svd_method::randomized;
        auto a = tt_svd(P, shape, ex);
        auto b = tt_svd(P, shape, rnd);
        auto c = tt_svd(P, shape, rnd);
        CHECK(b.ranks() == a.ranks());
        CHECK(tt_test::diff_norm(b.full(), c.full()) == 0.0);  // seeded: bitwise reproducible
        const double ea = tt_test::diff_norm(a.full(), P), eb = tt_test::diff_norm(b.full(), P);
        double bound = 0;
        for (double e : b.discarded_energy())
            bound += e;
        CHECK(eb <= std::sqrt(bound) * (1 + 1e-3) + 1e-5 * tt_test::fro(P));  // the computed bound is a bound
        CHECK(eb <= 1.05 * ea + 1e-6 * tt_test::fro(P));                      // and near-optimal on power-law data
    }
    for (double eps : {0.05, 0.2})  // eps-driven with a generous cap: the guarantee holds
    {
        tessera::tt::tt_options o{64, eps};
        o.method = tessera::tt::svd_method::randomized;
        auto x = tt_svd(P, shape, o);
        if (x.status().ok())
            CHECK(tt_test::diff_norm(x.full(), P) <= eps * tt_test::fro(P) * (1 + 1e-5));
        else
            CHECK(x.status().code == tessera::status_code::accuracy_limited);
    }
}

TEST_CASE("tt_svd: the method is spectral's svd_method; gram is refused")
{
    static_assert(std::is_same_v<tessera::tt::svd_method, tessera::spectral::svd_method>);
    auto A = tessera::random_normal<double>(4, 6, 1);
    tessera::tt::tt_options o{};
    o.method = tessera::spectral::svd_method::gram;
    CHECK_THROWS_WITH_AS(tt_svd(A, {4, 6}, o),
                         "tt::tt_svd: options.method=gram is not supported by tt; expected exact, randomized or automatic",
                         tessera::invalid_argument);
}

TEST_CASE("tt_svd: bad input")
{
    auto A = tessera::random_normal<double>(4, 6, 1);
    CHECK_THROWS_WITH_AS(tt_svd(A, {4, 5}), doctest::Contains("shape [4, 5] has product 20 but A has 24 entries"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tt_svd(A, {24}), doctest::Contains("at least 2 modes (d >= 2), got [24]"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tt_svd(A, {4, 6}, {0, 0.1}), doctest::Contains("options.max_rank=0 must be >= 1"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tt_svd(A, {4, 6}, {3, -1.0}), doctest::Contains("options.rel_eps=-1 must be"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tt_svd(A, {4, 0, 6}), doctest::Contains("shape[1]=0"), tessera::invalid_argument);
    A(1, 1) = std::nan("");
    CHECK_THROWS_WITH_AS(tt_svd(A, {4, 6}), doctest::Contains("must be finite"), tessera::invalid_argument);
}
