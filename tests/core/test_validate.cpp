#include <cmath>
#include <limits>

#include <doctest/doctest.h>
#include <tessera/core/parallel.hpp>
#include <tessera/core/validate.hpp>

TEST_CASE_TEMPLATE("require_finite names the function, the parameter, the value and its full index", T, float, double)
{
    const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
    xt::xtensor<T, 1> v = xt::zeros<T>({5});
    CHECK_NOTHROW(tessera::require_finite(v, "m::f", "v"));
    v(3) = -inf;
    CHECK_THROWS_WITH_AS(tessera::require_finite(v, "m::f", "v"), "m::f: v must be finite, got -inf at [3]", tessera::invalid_argument);
    xt::xtensor<T, 2> M = xt::zeros<T>({4, 3});
    M(2, 1) = nan;
    M(3, 0) = inf;  // the first one in row-major order is reported
    CHECK_THROWS_WITH_AS(tessera::require_finite(M, "m::f", "M"), "m::f: M must be finite, got nan at [2, 1]", tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::require_finite(M.data(), 4, 3, "m::g", "M"), "m::g: M must be finite, got nan at [2, 1]",
                         tessera::invalid_argument);
    xt::xtensor<T, 3> C = xt::zeros<T>({2, 3, 4});
    C(1, 2, 3) = nan;
    CHECK_THROWS_WITH_AS(tessera::require_finite(C, "m::f", "C"), "m::f: C must be finite, got nan at [1, 2, 3]",
                         tessera::invalid_argument);
    xt::xtensor<T, 2> empty = xt::zeros<T>({0, 7});
    CHECK_NOTHROW(tessera::require_finite(empty, "m::f", "E"));
    CHECK_NOTHROW(tessera::require_finite(M.data(), 0, 0, "m::f", "E"));
    CHECK_NOTHROW(tessera::require_finite_value(1.5, "m::f", "x"));
    CHECK_THROWS_WITH_AS(tessera::require_finite_value(std::nan(""), "m::f", "x"), "m::f: x=nan must be finite", tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("first_non_finite across chunks: the first bad entry at any thread count, every position class", T, float, double)
{
    const std::size_t n = (std::size_t(1) << 16) * 5 + 123;  // 6 chunks, a partial last one
    std::vector<T> x(n, T(1));
    CHECK(tessera::first_non_finite(x.data(), n) == n);
    for (std::size_t pos : {std::size_t(0), std::size_t(65535), std::size_t(65536), n / 2, n - 1})
    {
        CAPTURE(pos);
        x[pos] = std::numeric_limits<T>::quiet_NaN();
        x[n - 1 - (pos == n - 1 ? 1 : 0)] = std::numeric_limits<T>::infinity();  // a later bad entry too
        for (int threads : {1, 2})
        {
            tessera::thread_count_guard g(threads);
            const std::size_t got = tessera::first_non_finite(x.data(), n);
            CHECK(got == std::min(pos, n - 1 - (pos == n - 1 ? 1 : 0)));
        }
        std::fill(x.begin(), x.end(), T(1));
    }
    // largest finite values are finite (x - x = 0 exactly, no overflow)
    x[7] = std::numeric_limits<T>::max();
    x[8] = -std::numeric_limits<T>::max();
    x[9] = std::numeric_limits<T>::denorm_min();
    CHECK(tessera::first_non_finite(x.data(), n) == n);
}
