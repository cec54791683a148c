// int8 absmax activation quantization against a direct double reference.
#include <cmath>
#include <limits>

#include <doctest/doctest.h>
#include <tessera/ternary/activations.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "test_support.hpp"

using namespace tessera::ternary;

TEST_CASE_TEMPLATE("quantize_activations_int8 per block and per token", T, float, double)
{
    xt::xtensor<T, 2> X = xt::xtensor<T, 2>::from_shape({3, 150});
    std::uint64_t s = 42;
    for (auto& v : X)
    {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        v = static_cast<T>((static_cast<double>(s >> 11) * 0x1.0p-53 - 0.5) * 8);
    }
    for (std::size_t k = 64; k < 128; ++k)
        X(1, k) = 0;  // an all-zero block
    for (bool per_token : {false, true})
    {
        activation_options o;
        o.per_token = per_token;
        const auto a = quantize_activations_int8(X, o);
        const std::size_t bs = per_token ? 150 : 64;
        CHECK(a.block_size == bs);
        CHECK(a.scales.shape(1) == (per_token ? 1u : 3u));
        for (std::size_t b = 0; b < 3; ++b)
            for (std::size_t k = 0; k < 150; ++k)
            {
                double amax = 0;
                for (std::size_t j = (k / bs) * bs; j < std::min<std::size_t>(150, (k / bs + 1) * bs); ++j)
                    amax = std::max(amax, std::fabs(static_cast<double>(static_cast<float>(X(b, j)))));
                CHECK(a.scales(b, k / bs) == doctest::Approx(amax / 127).epsilon(1e-6));
                const double q = amax > 0 ? static_cast<double>(static_cast<float>(X(b, k))) * 127 / amax : 0;
                CHECK(std::fabs(a.values(b, k) - q) <= 0.5 + 1e-4);  // nearest integer
                CHECK(std::abs(static_cast<int>(a.values(b, k))) <= 127);
            }
        // the largest entry of each block maps to +-127
        const auto D = a.dequantize();
        CHECK(std::fabs(D(0, 3) - static_cast<float>(X(0, 3))) <= a.scales(0, 0) * 0.5f + 1e-6f);
    }
    const auto a = quantize_activations_int8(X);
    CHECK(a.scales(1, 1) == 0.0f);
    CHECK(a.values(1, 100) == 0);
    // 1-D input is one row
    xt::xtensor<T, 1> v = xt::view(X, 2, xt::all());
    const auto a1 = quantize_activations_int8(v);
    CHECK(a1.batch() == 1);
    CHECK(xt::view(a1.values, 0, xt::all()) == xt::view(a.values, 2, xt::all()));
}

TEST_CASE("quantize_activations_int8 rejects bad input")
{
    xt::xtensor<float, 2> X = {{1.f, 2.f}};
    activation_options o;
    o.block_size = 0;
    CHECK_THROWS_WITH_AS(quantize_activations_int8(X, o), "ternary::quantize_activations_int8: block_size=0 must be >= 1",
                         tessera::invalid_argument);
    X(0, 1) = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH_AS(quantize_activations_int8(X), "ternary::quantize_activations_int8: X must be finite, got inf at [0, 1]",
                         tessera::invalid_argument);
    xt::xtensor<float, 2> E = xt::xtensor<float, 2>::from_shape({0, 3});
    CHECK_THROWS_AS(quantize_activations_int8(E), tessera::invalid_argument);
}
