// Exhaustive checks of the float16 / bfloat16 conversions over all 65,536 bit patterns against
// an independent reference (ldexp arithmetic in double), plus the rounding of every midpoint.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/core/half.hpp>

#if defined(__F16C__)
#include <immintrin.h>
#endif

namespace
{
    // Reference value of a binary16 pattern, from the IEEE 754 definition.
    double half_reference(std::uint16_t h)
    {
        const int s = h >> 15, e = (h >> 10) & 0x1f, m = h & 0x3ff;
        const double sign = s ? -1.0 : 1.0;
        if (e == 31)
            return m ? std::numeric_limits<double>::quiet_NaN() : sign * std::numeric_limits<double>::infinity();
        if (e == 0)
            return sign * std::ldexp(static_cast<double>(m), -24);
        return sign * std::ldexp(1.0 + m / 1024.0, e - 15);
    }
    double bf16_reference(std::uint16_t b)
    {
        const int s = b >> 15, e = (b >> 7) & 0xff, m = b & 0x7f;
        const double sign = s ? -1.0 : 1.0;
        if (e == 255)
            return m ? std::numeric_limits<double>::quiet_NaN() : sign * std::numeric_limits<double>::infinity();
        if (e == 0)
            return sign * std::ldexp(static_cast<double>(m), -133);
        return sign * std::ldexp(1.0 + m / 128.0, e - 127);
    }
    std::uint32_t bits(float f)
    {
        std::uint32_t u;
        std::memcpy(&u, &f, 4);
        return u;
    }

    // For each pair of adjacent finite patterns a < b of one sign: the exact midpoint rounds to
    // the one with an even last bit, values just inside go to the nearer one. Returns failures.
    template <class Decode, class EncodeF, class EncodeD>
    int check_midpoints(Decode ref, EncodeF enc_f, EncodeD enc_d, std::uint16_t max_finite)
    {
        int failures = 0;
        for (std::uint32_t sgn : {0u, 0x8000u})
            for (std::uint32_t k = 0; k < max_finite; ++k)
            {
                const auto a = static_cast<std::uint16_t>(sgn | k), b = static_cast<std::uint16_t>(sgn | (k + 1));
                const double va = ref(a), vb = ref(b), mid = 0.5 * (va + vb);
                const std::uint16_t even = (k & 1u) ? b : a;
                const double below = std::nextafter(mid, va), above = std::nextafter(mid, vb);
                failures += enc_d(mid) != even;
                failures += enc_d(below) != a;
                failures += enc_d(above) != b;
                // float: the midpoint is exact in float; nudge by one float ulp
                const float fm = static_cast<float>(mid);
                failures += enc_f(fm) != even;
                failures += enc_f(std::nextafter(fm, static_cast<float>(va))) != a;
                failures += enc_f(std::nextafter(fm, static_cast<float>(vb))) != b;
            }
        return failures;
    }
}  // namespace

TEST_CASE("half_to_float is exact on all 65,536 binary16 patterns")
{
    int mismatches = 0;
    for (std::uint32_t h = 0; h < 65536; ++h)
    {
        const auto p = static_cast<std::uint16_t>(h);
        const float f = tessera::half_to_float(p);
        const double r = half_reference(p);
        if (std::isnan(r))
            mismatches += !std::isnan(f) || std::signbit(f) != bool(h & 0x8000u);
        else
            mismatches += static_cast<double>(f) != r || std::signbit(f) != std::signbit(r);
    }
    CHECK(mismatches == 0);
}

TEST_CASE("float_to_half and double_to_half invert half_to_float on every pattern")
{
    int mismatches = 0;
    for (std::uint32_t h = 0; h < 65536; ++h)
    {
        const auto p = static_cast<std::uint16_t>(h);
        const float f = tessera::half_to_float(p);
        if (std::isnan(f))
        {
            const std::uint16_t q = tessera::float_to_half(f);
            // NaN stays a NaN of the same sign, made quiet, with the payload kept
            mismatches += (q & 0x7c00u) != 0x7c00u || (q & 0x3ffu) == 0 || (q & 0x8000u) != (p & 0x8000u) ||
                          (q & 0x1ffu) != (p & 0x1ffu) || !(q & 0x200u);
            mismatches += (tessera::double_to_half(static_cast<double>(f)) & 0x7e00u) != 0x7e00u;
            continue;
        }
        mismatches += tessera::float_to_half(f) != p;
        mismatches += tessera::double_to_half(static_cast<double>(f)) != p;
    }
    CHECK(mismatches == 0);
}

TEST_CASE("binary16 rounding: ties to even at every midpoint, overflow and underflow")
{
    auto enc_f = [](float x) { return tessera::float_to_half(x); };
    auto enc_d = [](double x) { return tessera::double_to_half(x); };
    CHECK(check_midpoints(half_reference, enc_f, enc_d, 0x7bff) == 0);
    CHECK(tessera::float_to_half(65519.99f) == 0x7bff);
    CHECK(tessera::float_to_half(65520.0f) == 0x7c00);  // tie between 65504 (odd) and 2^16 -> inf
    CHECK(tessera::double_to_half(65519.999999) == 0x7bff);
    CHECK(tessera::float_to_half(-1e9f) == 0xfc00);
    CHECK(tessera::float_to_half(std::ldexp(1.0f, -25)) == 0x0000);  // tie between 0 and 2^-24 -> 0
    CHECK(tessera::float_to_half(std::nextafter(std::ldexp(1.0f, -25), 1.0f)) == 0x0001);
    CHECK(tessera::float_to_half(-0.0f) == 0x8000);
    CHECK(tessera::float_to_half(std::numeric_limits<float>::denorm_min()) == 0);
    CHECK(tessera::double_to_half(1e-300) == 0);
    CHECK(tessera::double_to_half(1e300) == 0x7c00);
    // a double just above a float16 midpoint that rounds to the midpoint in float: no double rounding
    const double mid = 1.0 + std::ldexp(1.0, -11);  // halfway between 1 and 1 + 2^-10
    CHECK(tessera::double_to_half(mid) == 0x3c00);
    CHECK(tessera::double_to_half(mid + std::ldexp(1.0, -40)) == 0x3c01);
    CHECK(tessera::float_to_half(static_cast<float>(mid + std::ldexp(1.0, -40))) == 0x3c00);  // float lost it
}

TEST_CASE("bfloat16: exact widening, round trip, midpoints, NaN")
{
    int mismatches = 0;
    for (std::uint32_t b = 0; b < 65536; ++b)
    {
        const auto p = static_cast<std::uint16_t>(b);
        const float f = tessera::bfloat16_to_float(p);
        const double r = bf16_reference(p);
        if (std::isnan(r))
        {
            mismatches += !std::isnan(f);
            const std::uint16_t q = tessera::float_to_bfloat16(f);
            mismatches += (q & 0x7fc0u) != 0x7fc0u || (q & 0x8000u) != (p & 0x8000u);
            continue;
        }
        mismatches += static_cast<double>(f) != r || std::signbit(f) != std::signbit(r);
        mismatches += tessera::float_to_bfloat16(f) != p;
        mismatches += tessera::double_to_bfloat16(r) != p;
    }
    CHECK(mismatches == 0);
    auto enc_f = [](float x) { return tessera::float_to_bfloat16(x); };
    auto enc_d = [](double x) { return tessera::double_to_bfloat16(x); };
    CHECK(check_midpoints(bf16_reference, enc_f, enc_d, 0x7f7f) == 0);
    CHECK(tessera::float_to_bfloat16(std::numeric_limits<float>::max()) == 0x7f80);
    CHECK(tessera::double_to_bfloat16(1e300) == 0x7f80);
}

#if defined(__F16C__)
TEST_CASE("float_to_half agrees with the F16C hardware conversion on 2^24 spread floats")
{
    int mismatches = 0;
    for (std::uint64_t i = 0; i < (1u << 24); ++i)
    {
        const auto u = static_cast<std::uint32_t>(i * 256u + (i % 251u));  // covers every exponent
        float f;
        std::memcpy(&f, &u, 4);
        if (std::isnan(f))
            continue;
        const auto hw = static_cast<std::uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
        mismatches += tessera::float_to_half(f) != hw;
    }
    CHECK(mismatches == 0);
    CHECK(bits(tessera::half_to_float(0x3555)) == bits(_cvtsh_ss(0x3555)));
}
#endif

TEST_CASE("bulk conversions (SIMD where available, scalar tails) equal the scalar functions")
{
    // all 65,536 patterns plus 5 more so that the tail loop runs
    std::vector<std::uint16_t> h(65536 + 5);
    for (std::size_t i = 0; i < h.size(); ++i)
        h[i] = static_cast<std::uint16_t>(i * 40503u);
    std::vector<float> f(h.size());
    std::vector<double> d(h.size());
    tessera::half_to(h.data(), f.data(), h.size());
    tessera::half_to(h.data(), d.data(), h.size());
    int mismatches = 0;
    for (std::size_t i = 0; i < h.size(); ++i)
    {
        const float s = tessera::half_to_float(h[i]);
        if (std::isnan(s))
            mismatches += !std::isnan(f[i]) || !std::isnan(d[i]) || std::signbit(f[i]) != std::signbit(s);
        else
            mismatches += bits(f[i]) != bits(s) || d[i] != static_cast<double>(s);
    }
    CHECK(mismatches == 0);
    // float -> half over 2^22 + 3 floats spread over every exponent, NaNs included
    std::vector<float> src((1u << 22) + 3);
    for (std::size_t i = 0; i < src.size(); ++i)
    {
        const auto u = static_cast<std::uint32_t>(i * 1024u + (i % 1021u));
        std::memcpy(&src[i], &u, 4);
    }
    std::vector<std::uint16_t> out(src.size()), outb(src.size());
    tessera::to_half(src.data(), out.data(), src.size());
    tessera::to_bfloat16(src.data(), outb.data(), src.size());
    mismatches = 0;
    for (std::size_t i = 0; i < src.size(); ++i)
        mismatches += out[i] != tessera::float_to_half(src[i]) || outb[i] != tessera::float_to_bfloat16(src[i]);
    CHECK(mismatches == 0);
    std::vector<double> srcd(src.begin(), src.begin() + 100003);
    std::vector<std::uint16_t> outd(srcd.size());
    tessera::to_half(srcd.data(), outd.data(), srcd.size());
    mismatches = 0;
    for (std::size_t i = 0; i < srcd.size(); ++i)
        mismatches += outd[i] != tessera::double_to_half(srcd[i]);
    CHECK(mismatches == 0);
}
