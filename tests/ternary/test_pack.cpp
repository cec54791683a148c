// 2-bit and base-3 packing: every byte pattern, odd shapes, padding and bad input.
#include <cstdint>
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/ternary/pack.hpp>
#include <xtensor/xtensor.hpp>

#include "test_support.hpp"

using namespace tessera::ternary;

namespace
{
    xt::xtensor<std::int8_t, 2> random_codes(std::size_t r, std::size_t c, std::uint64_t seed)
    {
        xt::xtensor<std::int8_t, 2> m = xt::xtensor<std::int8_t, 2>::from_shape({r, c});
        std::uint64_t s = seed;
        for (auto& v : m)
        {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            v = static_cast<std::int8_t>(static_cast<int>((s >> 33) % 3) - 1);
        }
        return m;
    }
}  // namespace

TEST_CASE("pack_2bit: all 81 four-code patterns give the documented byte and unpack back")
{
    // one row of 81*4 codes: pattern p occupies weights 4p..4p+3 = byte p of the row
    xt::xtensor<std::int8_t, 2> codes = xt::xtensor<std::int8_t, 2>::from_shape({1, 324});
    for (int p = 0; p < 81; ++p)
        for (int j = 0, v = p; j < 4; ++j, v /= 3)
            codes(0, static_cast<std::size_t>(4 * p + j)) = static_cast<std::int8_t>(v % 3 - 1);
    const auto P = pack_2bit(codes);
    CHECK(P.row_stride == 128);  // ceil(81/64)*64
    CHECK(P.row_stride % 64 == 0);
    CHECK(reinterpret_cast<std::uintptr_t>(P.row(0)) % 64 == 0);
    for (int p = 0; p < 81; ++p)
    {
        unsigned want = 0;
        for (int j = 0, v = p; j < 4; ++j, v /= 3)
            want |= static_cast<unsigned>(v % 3) << (2 * j);  // code = w + 1 at bits 2j..2j+1
        CHECK(P.row(0)[p] == want);
    }
    for (std::size_t b = 81; b < 128; ++b)
        CHECK(P.row(0)[b] == 0x55);  // padding weights are code 1 (weight 0)
    CHECK(unpack_2bit(P) == codes);
    // the same 81 patterns as 81 rows of 4 (each row padded to 64 bytes)
    xt::xtensor<std::int8_t, 2> rows = xt::xtensor<std::int8_t, 2>::from_shape({81, 4});
    std::copy(codes.begin(), codes.end(), rows.begin());
    const auto Q = pack_2bit(rows);
    CHECK(Q.row_stride == 64);
    CHECK(unpack_2bit(Q) == rows);
    for (std::size_t p = 0; p < 81; ++p)
        CHECK(Q.row(p)[0] == P.row(0)[p]);
}

TEST_CASE("pack_base3: all 243 five-code patterns decode, and bytes are ceil(v*256/243)")
{
    using tessera::ternary::detail::base3_pos;
    using tessera::ternary::detail::base3_weight;
    // 1024 columns = one group of 16 units = 16 slots in 4 blocks (slot 15 is digit 0 of block 3)
    const std::size_t cols = 1024;
    const auto geo = tessera::ternary::detail::base3_geom(cols);
    REQUIRE(geo.full_groups == 1);
    REQUIRE(geo.tail_width == 0);
    xt::xtensor<std::int8_t, 2> codes = xt::zeros<std::int8_t>({std::size_t(1), cols});
    // pattern p in byte p of the row: its digit t is the weight base3_weight(p, t, geo), spelled out here
    // from the documented formula (slot s = 5 (p / 64) + t, weight 64 (16 (s / 16) + (p % 64) / 4)
    // + 4 (s % 16) + p % 4) and checked against base3_pos in both directions
    for (std::size_t p = 0; p < 243; ++p)
        for (std::size_t t = 0, v = p; t < 5; ++t, v /= 3)  // digit 4 - t holds v's base-3 digit t
        {
            const int digit = static_cast<int>(4 - t);
            const std::size_t slot = 5 * (p / 64) + static_cast<std::size_t>(digit);
            if (slot >= 16)
                continue;  // past the group's 16 slots: padding of the last block
            const std::size_t k = 64 * (16 * (slot / 16) + (p % 64) / 4) + 4 * (slot % 16) + p % 4;
            REQUIRE(base3_weight(p, digit, geo) == k);
            REQUIRE(base3_pos(k, geo).byte == p);
            REQUIRE(base3_pos(k, geo).digit == digit);
            codes(0, k) = static_cast<std::int8_t>(static_cast<int>(v % 3) - 1);
        }
    const auto P = pack_base3(codes);
    CHECK(P.row_stride == 256);
    for (std::size_t p = 0; p < 192; ++p)  // blocks 0-2: all five digits are weights
        CHECK(P.row(0)[p] == (p * 256 + 242) / 243);
    CHECK(unpack_base3(P) == codes);
    // every one of the 243 bytes decodes digit by digit with ((uint8)(b*3^t)*3)>>8
    for (unsigned v = 0; v < 243; ++v)
    {
        const auto b = static_cast<std::uint8_t>((v * 256 + 242) / 243);
        unsigned back = 0;
        for (int t = 0; t < 5; ++t)
            back = back * 3 + tessera::ternary::detail::base3_digit(b, t);
        CHECK(back == v);
    }
    CHECK(P.storage_bytes() == (cols + 4) / 5);
}

TEST_CASE("base-3 geometry: whole groups of 16 units take 16 slots, a partial group of n units the power of two >= n")
{
    using namespace tessera::ternary::detail;
    CHECK(stride_base3(1) == 64);      // 1 unit -> 1 slot
    CHECK(stride_base3(200) == 64);    // 4 units -> 4 slots
    CHECK(stride_base3(1024) == 256);  // 16 slots -> 4 blocks
    CHECK(stride_base3(1025) == 256);  // 16 + 1 slots
    CHECK(stride_base3(1600) == 448);  // 25 units = 16 + 9 -> 16 + 16 slots -> 7 blocks (old layout: 5)
    CHECK(stride_base3(2048) == 448);
    CHECK(stride_base3(4096) == 832);
    CHECK(stride_base3(5632) == 1152); // 88 units = 5 groups + 8 -> 88 slots = ceil(5632 / 320) blocks
    CHECK(stride_base3(8192) == 1664); // 128 slots -> 26 blocks = ceil(8192 / 320) blocks
    for (std::size_t c = 64; c <= 65536; c += 64)
    {
        CAPTURE(c);
        const auto g = base3_geom(c);
        CHECK(g.tail_width >= g.tail_units);
        CHECK(g.tail_width < 2 * g.tail_units + (g.tail_units == 0));  // the least power of two
        CHECK(stride_base3(c) <= (c + 319) / 320 * 64 + 128);  // at most 7 padding slots
        if (c % 1024 == 0 || (c / 64) % 16 == 1 || (c / 64) % 16 == 2 || (c / 64) % 16 == 4 || (c / 64) % 16 == 8)
            CHECK(stride_base3(c) == (c + 319) / 320 * 64);
    }
    // base3_pos is a bijection from the weights of a row onto (byte, digit) pairs inside the
    // stride, base3_weight inverts it, and every other position is padding
    for (std::size_t c : {1u, 63u, 64u, 65u, 200u, 700u, 1000u, 1024u, 1025u, 1800u, 3000u, 6000u, 10300u})
    {
        CAPTURE(c);
        const auto geo = base3_geom(c);
        const std::size_t stride = stride_base3(c);
        std::vector<int> seen(stride * 5, 0);
        for (std::size_t k = 0; k < c; ++k)
        {
            const auto at = base3_pos(k, geo);
            REQUIRE(at.byte < stride);
            REQUIRE(base3_weight(at.byte, at.digit, geo) == k);
            ++seen[at.byte * 5 + static_cast<std::size_t>(at.digit)];
        }
        CHECK(*std::max_element(seen.begin(), seen.end()) == 1);
        for (std::size_t b = 0; b < stride; ++b)
            for (int t = 0; t < 5; ++t)
                if (!seen[b * 5 + static_cast<std::size_t>(t)])
                {
                    const std::size_t k = base3_weight(b, t, geo);
                    CHECK((k == base3_padding || k >= c));  // padding slot, or a padding weight of a unit
                }
    }
}

TEST_CASE("pack/unpack identity on random matrices of odd shapes, both layouts")
{
    for (std::size_t r : {1u, 3u, 7u})
        for (std::size_t c : {1u, 3u, 5u, 63u, 65u, 255u, 257u, 319u, 321u, 1001u})
        {
            CAPTURE(r);
            CAPTURE(c);
            const auto codes = random_codes(r, c, r * 1000 + c);
            const auto P2 = pack_2bit(codes);
            const auto P3 = pack_base3(codes);
            CHECK(P2.row_stride == (c + 255) / 256 * 64);
            CHECK(P3.row_stride == tessera::ternary::detail::stride_base3(c));
            CHECK(unpack_2bit(P2) == codes);
            CHECK(unpack_base3(P3) == codes);
            CHECK(P2.storage_bytes() == r * ((c + 3) / 4));
            const auto copy = P2;  // deep copy of the aligned buffer
            CHECK(unpack_2bit(copy) == codes);
        }
}

TEST_CASE("packing rejects bad input with a clear message")
{
    xt::xtensor<std::int8_t, 2> codes = {{0, 1, -1, 2}};
    CHECK_THROWS_WITH_AS(pack_2bit(codes), "ternary::pack_2bit: codes(0, 3)=2 must be -1, 0 or 1", tessera::invalid_argument);
    codes(0, 3) = 1;
    auto P = pack_2bit(codes);
    P.bytes.data()[0] = 0xff;  // code 3 is not a ternary value
    CHECK_THROWS_WITH_AS(unpack_2bit(P), "ternary::unpack_2bit: byte for weight (0, 0) holds invalid code 3",
                         tessera::invalid_argument);
    auto Q = pack_2bit(codes);
    Q.row_stride = 32;  // buffer does not match the shape
    CHECK_THROWS_AS(unpack_2bit(Q), tessera::invalid_argument);
    Q.row_stride = 64;
    Q.cols = 300;  // 300 weights need 128 bytes per row
    CHECK_THROWS_WITH_AS(unpack_2bit(Q),
                         "ternary::unpack_2bit: buffer of 64 bytes with row_stride=64 does not match shape [1, 300] (expected "
                         "row_stride=128, 128 bytes)",
                         tessera::invalid_argument);
    CHECK_THROWS_AS(unpack_base3(pack_2bit(codes)), tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("quantize_pack_2bit equals pack_2bit(quantize_absmean) byte for byte", T, float, double)
{
    xt::xtensor<T, 2> W = xt::xtensor<T, 2>::from_shape({11, 333});
    std::uint64_t s = 3;
    for (auto& v : W)
    {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        v = static_cast<T>(static_cast<double>(s >> 11) * 0x1.0p-53 - 0.5);
    }
    quantize_options o;
    for (std::size_t g : {1u, 64u, 100u, 128u, 1000u})
    {
        o.group_size = g;
        const auto a = quantize_pack_2bit(W, o);
        const auto b = pack_2bit(quantize_absmean(W, o));
        REQUIRE(a.bytes.size() == b.bytes.size());
        CHECK(std::equal(a.bytes.data(), a.bytes.data() + a.bytes.size(), b.bytes.data()));
        CHECK(a.scales == b.scales);
        CHECK(a.group_size == b.group_size);
    }
    W(10, 332) = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_WITH_AS(quantize_pack_2bit(W), "ternary::quantize_pack_2bit: W must be finite, got nan at [10, 332]",
                         tessera::invalid_argument);
}
