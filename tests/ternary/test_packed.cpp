// packed_ternary (packed.hpp): the scale accessors of both storages (binary16 widened exactly,
// padding included) and the byte count. The products on f16 storage are tested in test_matmul.cpp.
#include <cmath>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/core/half.hpp>
#include <tessera/ternary/pack.hpp>
#include <tessera/ternary/packed.hpp>
#include <tessera/ternary/quantize.hpp>
#include <xtensor/xtensor.hpp>

using namespace tessera::ternary;

TEST_CASE("row_scales serves both storages; storage_bytes counts 4 or 2 bytes per scale")
{
    const std::size_t rows = 5, cols = 300;  // 3 groups of 128 (the last one short)
    xt::xtensor<float, 2> W = xt::xtensor<float, 2>::from_shape({rows, cols});
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t k = 0; k < cols; ++k)
            W(i, k) = std::sin(0.37f * float(i * cols + k)) * float(1 + i);
    const auto q = quantize_absmean(W);
    REQUIRE(q.n_groups() == 3);
    const auto F = pack_2bit(q), H = pack_2bit(q, scale_storage::f16);
    CHECK(F.scale_type == scale_storage::f32);
    CHECK(H.scale_type == scale_storage::f16);
    CHECK(F.row_scales_f16(0) == nullptr);
    CHECK(H.row_scales(0) == nullptr);
    std::vector<float> buf(H.scale_stride, -1.0f);
    for (std::size_t i = 0; i < rows; ++i)
    {
        const float* f = F.row_scales(i, buf.data());
        CHECK(f == F.row_scales(i));  // f32: no copy
        for (std::size_t g = 0; g < 3; ++g)
            CHECK(f[g] == q.scales()(i, g));
        const float* h = H.row_scales(i, buf.data());
        CHECK(h == buf.data());
        for (std::size_t g = 0; g < 3; ++g)
            CHECK(h[g] == tessera::half_to_float(tessera::float_to_half(q.scales()(i, g))));
        for (std::size_t g = 3; g < H.scale_stride; ++g)  // the SIMD padding widens to zeros
            CHECK(h[g] == 0.0f);
    }
    CHECK(F.storage_bytes() == rows * 75 + 4 * rows * 3);  // ceil(300/4) code bytes per row
    CHECK(H.storage_bytes() == rows * 75 + 2 * rows * 3);
}
