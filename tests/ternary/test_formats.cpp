// TQ2_0 / TQ1_0 / I2_S converters: bit-exact against the bytes ggml's own reference quantizers
// wrote (../shared/data/ternary, see its vectors.json), round trips, and bad input.
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <immintrin.h>
#include <tessera/ternary/formats.hpp>
#include <tessera/ternary/matmul.hpp>
#include <xtensor/xnpy.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "test_support.hpp"

using namespace tessera::ternary;

namespace
{
    std::vector<std::uint8_t> read_bytes(const tessera_test::fs::path& p)
    {
        std::ifstream f(p, std::ios::binary);
        return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    }
    template <class T, std::size_t N>
    xt::xtensor<T, N> npy(const tessera_test::fs::path& p)
    {
        return xt::load_npy<T>(p.string());
    }
    std::uint64_t lcg(std::uint64_t& s)
    {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return s >> 33;
    }
}  // namespace

TEST_CASE("io half conversions, which the TQ formats use for d, agree with F16C (vcvtps2ph, RNE)")
{
    for (std::uint32_t h = 0; h < 0x10000; ++h)
    {
        if ((h & 0x7c00u) == 0x7c00u)
            continue;  // inf / nan
        const float f = tessera::half_to_float(static_cast<std::uint16_t>(h));
        CHECK(tessera::float_to_half(f) == ((h == 0x8000u) ? 0x8000u : h));
#if defined(__F16C__)
        CHECK(f == _cvtsh_ss(static_cast<unsigned short>(h)));
#endif
    }
#if defined(__F16C__)
    std::uint64_t s = 1;
    for (int i = 0; i < 200000; ++i)
    {
        std::uint32_t bits = static_cast<std::uint32_t>(lcg(s) << 1) ^ static_cast<std::uint32_t>(lcg(s));
        bits = (bits & 0x807fffffu) | ((90u + static_cast<std::uint32_t>(lcg(s) % 60u)) << 23);  // 2^-37 .. 2^22
        float f;
        std::memcpy(&f, &bits, 4);
        CHECK(tessera::float_to_half(f) == _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
    }
#endif
}

TEST_CASE("TQ2_0 and TQ1_0 encodings are bit-exact against ggml's reference quantizers")
{
    const auto dir = tessera_test::shared_data("ternary");
    TESSERA_SKIP_IF_MISSING(dir, "../shared/data/ternary (ggml reference encodings)");
    for (const std::string name : {"gauss", "ternary_rowscale"})
    {
        CAPTURE(name);
        const auto W = npy<float, 2>(dir / (name + ".f32.npy"));
        REQUIRE(W.shape(0) == 16);
        REQUIRE(W.shape(1) == 512);
        const auto tq2 = read_bytes(dir / (name + ".tq2_0.bin"));
        const auto tq1 = read_bytes(dir / (name + ".tq1_0.bin"));
        REQUIRE(tq2.size() == 16 * 2 * 66);
        REQUIRE(tq1.size() == 16 * 2 * 54);
        CHECK(encode_tq2_0(W) == tq2);
        CHECK(encode_tq1_0(W) == tq1);
        // decoding reproduces ggml's dequantization bit for bit
        const auto m2 = from_tq2_0(tq2, 16, 512);
        const auto m1 = from_tq1_0(tq1, 16, 512);
        const auto deq2 = npy<float, 2>(dir / (name + ".tq2_0.deq.f32.npy"));
        const auto deq1 = npy<float, 2>(dir / (name + ".tq1_0.deq.f32.npy"));
        CHECK(m2.dequantize() == deq2);
        CHECK(m1.dequantize() == deq1);
        CHECK(m1.codes() == m2.codes());
        // tessera -> format -> tessera is the identity, and re-encoding gives the same bytes
        CHECK(to_tq2_0(m2) == tq2);
        CHECK(to_tq1_0(m1) == tq1);
        CHECK(to_tq1_0(m2) == tq1);
        CHECK(from_tq2_0(to_tq2_0(m1), 16, 512).codes() == m1.codes());
        // pack into tessera's layouts and back: the same codes
        CHECK(unpack_2bit(pack_2bit(m2)) == m2.codes());
        CHECK(unpack_base3(pack_base3(m1)) == m1.codes());
    }
    // exact ternary input: trits reproduced, d = fp16(row scale)
    const auto trits = npy<std::int8_t, 2>(dir / "ternary_rowscale.trits.i1.npy");
    const auto scales = npy<float, 1>(dir / "ternary_rowscale.scales.f32.npy");
    const auto m = from_tq2_0(read_bytes(dir / "ternary_rowscale.tq2_0.bin"), 16, 512);
    CHECK(m.codes() == trits);
    for (std::size_t i = 0; i < 16; ++i)
        for (std::size_t b = 0; b < 2; ++b)
            CHECK(m.scales()(i, b) == tessera::half_to_float(tessera::float_to_half(scales(i))));
}

TEST_CASE("packed GEMV on ggml's TQ2_0/TQ1_0 weights and Q8_K activations matches ggml's dot products")
{
    const auto dir = tessera_test::shared_data("ternary");
    TESSERA_SKIP_IF_MISSING(dir, "../shared/data/ternary (ggml reference encodings)");
    const auto q8 = read_bytes(dir / "act.q8_K.bin");
    REQUIRE(q8.size() == 2 * 292);
    int8_activations a;  // Q8_K: float d; int8 qs[256]; int16 bsums[16]
    a.block_size = 256;
    a.values = xt::xtensor<std::int8_t, 2>::from_shape({1, 512});
    a.scales = xt::xtensor<float, 2>::from_shape({1, 2});
    for (std::size_t b = 0; b < 2; ++b)
    {
        std::memcpy(&a.scales(0, b), q8.data() + b * 292, 4);
        std::memcpy(a.values.data() + b * 256, q8.data() + b * 292 + 4, 256);
    }
    for (const std::string name : {"gauss", "ternary_rowscale"})
        for (const std::string fmt : {"tq2_0", "tq1_0"})
        {
            CAPTURE(name + "." + fmt);
            const auto bytes = read_bytes(dir / (name + "." + fmt + ".bin"));
            const auto m = fmt == "tq2_0" ? from_tq2_0(bytes, 16, 512) : from_tq1_0(bytes, 16, 512);
            const auto ref = npy<float, 1>(dir / (name + "." + fmt + ".gemv_act.f32.npy"));
            const auto y2 = gemv(pack_2bit(m), a);
            const auto y3 = gemv(pack_base3(m), a);
            CHECK(y2 == y3);
            for (std::size_t i = 0; i < 16; ++i)
            {
                double mag = 0;  // sum over blocks |d_w d_x isum|: the scale of ggml's rounding
                for (std::size_t b = 0; b < 2; ++b)
                {
                    long s = 0;
                    for (std::size_t k = 0; k < 256; ++k)
                        s += m.codes()(i, b * 256 + k) * a.values(0, b * 256 + k);
                    mag += std::fabs(static_cast<double>(m.scales()(i, b)) * a.scales(0, b) * static_cast<double>(s));
                }
                // ggml rounds d_w*d_x and its float sums differently: agree to ~1e-6 of the magnitude
                CHECK(std::fabs(static_cast<double>(y2(i)) - ref(i)) <= 1e-5 * mag + 1e-30);
            }
        }
}

TEST_CASE("I2_S layout: weight j of a 128-block at bits 6-2*(j/32) of byte j%32, then the fp32 scale")
{
    xt::xtensor<std::int8_t, 2> codes = xt::xtensor<std::int8_t, 2>::from_shape({3, 256});
    std::uint64_t s = 9;
    for (auto& c : codes)
        c = static_cast<std::int8_t>(static_cast<int>(lcg(s) % 3) - 1);
    xt::xtensor<float, 2> sc = xt::xtensor<float, 2>::from_shape({3, 1});
    sc.fill(0.0375f);
    const ternary_matrix<float> m(codes, sc, 256, scale_granularity::per_tensor);
    const auto b = to_i2_s(m);
    REQUIRE(b.size() == 3 * 256 / 4 + 4);
    for (std::size_t flat = 0; flat < 3 * 256; ++flat)
    {
        const std::size_t blk = flat / 128, j = flat % 128;
        const unsigned q = (b[blk * 32 + j % 32] >> (6 - 2 * (j / 32))) & 3u;
        CHECK(static_cast<int>(q) - 1 == codes.data()[flat]);
    }
    float tail;
    std::memcpy(&tail, b.data() + 192, 4);
    CHECK(tail == 0.0375f);
    const auto back = from_i2_s(b, 3, 256);
    CHECK(back.codes() == codes);
    CHECK(back.scales()(2, 0) == 0.0375f);
    CHECK(to_i2_s(back) == b);
}

TEST_CASE("converters reject bad input with a clear message")
{
    xt::xtensor<float, 2> W = xt::ones<float>({2, 300});
    CHECK_THROWS_WITH_AS(encode_tq2_0(W), "ternary::encode_tq2_0: row length=300 must be a positive multiple of 256 (TQ2_0 blocks)",
                         tessera::invalid_argument);
    CHECK_THROWS_AS(encode_tq1_0(W), tessera::invalid_argument);
    const auto q = quantize_absmean(W);  // group 128: not one scale per 256-block, and 300 % 256 != 0
    CHECK_THROWS_WITH_AS(to_tq2_0(q), "ternary::to_tq2_0: cols=300 must be a positive multiple of 256 (TQ2_0 blocks)",
                         tessera::invalid_argument);
    xt::xtensor<float, 2> W2 = xt::ones<float>({2, 512});
    CHECK_THROWS_WITH_AS(to_tq2_0(quantize_absmean(W2)),
                         "ternary::to_tq2_0: group_size=128 must be a multiple of 256: a TQ2_0 block has one scale",
                         tessera::invalid_argument);
    std::vector<std::uint8_t> bytes(131);
    CHECK_THROWS_WITH_AS(from_tq2_0(bytes, 1, 512),
                         "ternary::from_tq2_0: buffer of 131 bytes does not match shape [1, 512]: expected 132 bytes",
                         tessera::invalid_argument);
    CHECK_THROWS_AS(from_tq1_0(bytes, 1, 300), tessera::invalid_argument);
    std::vector<std::uint8_t> tq2(66, 0xff);  // code 3 everywhere
    CHECK_THROWS_AS(from_tq2_0(tq2, 1, 256), tessera::invalid_argument);
    W2(1, 3) = 5.0f;  // now the group scales differ: I2_S has only one
    CHECK_THROWS_AS(to_i2_s(quantize_absmean(W2)), tessera::invalid_argument);
    CHECK_THROWS_AS(from_i2_s(std::vector<std::uint8_t>(10), 1, 128), tessera::invalid_argument);
}

TEST_CASE("TQ converters refuse non-finite weights, scales that float16 cannot hold, and non-finite d")
{
    // encode: NaN / inf weights are named by position (they used to encode silently)
    xt::xtensor<float, 2> W = xt::ones<float>({2, 512});
    W(1, 300) = std::nanf("");
    CHECK_THROWS_WITH_AS(encode_tq2_0(W), "ternary::encode_tq2_0: W must be finite, got nan at [1, 300]",
                         tessera::invalid_argument);
    W(1, 300) = -INFINITY;
    CHECK_THROWS_WITH_AS(encode_tq1_0(W), "ternary::encode_tq1_0: W must be finite, got -inf at [1, 300]",
                         tessera::invalid_argument);
    // encode: d = fp16(max|x|) is inf from 65520 on (65519.996 still rounds to 65504)
    W(1, 300) = 65519.996f;
    CHECK(tessera::half_to_float(static_cast<std::uint16_t>(encode_tq2_0(W)[66 * 3 + 64] |
                                                                (encode_tq2_0(W)[66 * 3 + 65] << 8))) == 65504.0f);
    W(1, 300) = -65520.0f;
    CHECK_THROWS_WITH_AS(encode_tq2_0(W),
                         "ternary::encode_tq2_0: max|W|=65520 of row 1, block 1 would be stored as float16 d=inf: the magnitude "
                         "must be below 65520",
                         tessera::invalid_argument);
    CHECK_THROWS_AS(encode_tq1_0(W), tessera::invalid_argument);
    W(1, 300) = 1e-9f;  // blocks of tiny weights keep ggml's d = 0 (bit-exact with quantize_row_tq*_0_ref)
    xt::view(W, 1, xt::range(256, 512)) = 1e-9f;
    CHECK(encode_tq2_0(W)[66 * 3 + 64] == 0);

    // to_tq: a tessera scale whose float16 is inf, or 0 while the scale is not, names row and block
    xt::xtensor<std::int8_t, 2> codes = xt::ones<std::int8_t>({2, 512});
    xt::xtensor<float, 2> sc = xt::ones<float>({2, 2});
    sc(1, 1) = 1e5f;
    const ternary_matrix<float> big(codes, sc, 256, scale_granularity::per_group);
    CHECK_THROWS_WITH_AS(to_tq2_0(big),
                         "ternary::to_tq2_0: scale=100000 of row 1, block 1 would be stored as float16 d=inf: the magnitude "
                         "must be below 65520",
                         tessera::invalid_argument);
    sc(1, 1) = 2e-8f;
    const ternary_matrix<float> tiny(codes, sc, 256, scale_granularity::per_group);
    CHECK_THROWS_WITH_AS(to_tq1_0(tiny),
                         "ternary::to_tq1_0: scale=2e-08 of row 1, block 1 would be stored as float16 d=0 (its weights lost): a "
                         "nonzero scale must exceed 2^-25 = 2.98e-08",
                         tessera::invalid_argument);
    sc(1, 1) = 3e-8f;  // just above 2^-25: the smallest float16 subnormal, 2^-24
    const auto sub = from_tq2_0(to_tq2_0(ternary_matrix<float>(codes, sc, 256, scale_granularity::per_group)), 2, 512);
    CHECK(sub.scales()(1, 1) == std::ldexp(1.0f, -24));
    sc(1, 1) = 0.0f;  // an exact 0 is representable
    CHECK(to_tq2_0(ternary_matrix<float>(codes, sc, 256, scale_granularity::per_group)).size() == 4 * 66);
    sc(1, 1) = std::nanf("");
    CHECK_THROWS_AS(to_tq2_0(ternary_matrix<float>(codes, sc, 256, scale_granularity::per_group)),
                    tessera::invalid_argument);

    // from_tq: an inf / NaN d is refused naming the block and the byte offset of d (GEMV gave NaN)
    sc(1, 1) = 0.5f;
    const ternary_matrix<float> ok(codes, sc, 256, scale_granularity::per_group);
    auto tq2 = to_tq2_0(ok);
    tq2[66 * 1 + 64] = 0x00;
    tq2[66 * 1 + 65] = 0x7c;  // row 0, block 1: +inf
    CHECK_THROWS_WITH_AS(from_tq2_0(tq2, 2, 512),
                         "ternary::from_tq2_0: block (0, 1) has a non-finite d=inf (float16 at byte offset 130)",
                         tessera::invalid_argument);
    auto tq1 = to_tq1_0(ok);
    tq1[54 * 2 + 52] = 0x00;
    tq1[54 * 2 + 53] = 0x7e;  // row 1, block 0: NaN
    CHECK_THROWS_WITH_AS(from_tq1_0(tq1, 2, 512),
                         "ternary::from_tq1_0: block (1, 0) has a non-finite d=nan (float16 at byte offset 160)",
                         tessera::invalid_argument);
}
