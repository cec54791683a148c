#pragma once
/// \file kernels_avx2.hpp
/// AVX2 kernels for the 2-bit and base-3 layouts (maddubs/madd int8 dot products, the path ggml
/// also has). Compiled on every x86-64 GCC/Clang build under a function-level target
/// (avx2, fma, f16c: every AVX2 CPU has the latter two) whatever the build's -march, and run
/// only when core/cpu.hpp finds them on the CPU. Implements the accumulation contract of
/// plan.hpp exactly, so its floats equal the scalar reference bit for bit.

#include "../../core/cpu.hpp"
#include "plan.hpp"

#if defined(TESSERA_X86_DISPATCH)
#define TESSERA_TERNARY_HAVE_AVX2 1
#include <immintrin.h>

TESSERA_TARGET_AVX2_BEGIN
namespace tessera::ternary::detail::avx2
{
    /// 8 group scales from a row of floats, or of binary16 values widened exactly (vcvtph2ps).
    inline __m256 load_scales8(const float* ws) noexcept { return _mm256_loadu_ps(ws); }
    inline __m256 load_scales8(const std::uint16_t* ws) noexcept
    {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ws)));
    }

    /// Pairwise lane sum of 16 floats held as lo (lanes 0-7) and hi (8-15): halves 8, 4, 2, 1.
    inline float reduce16(__m256 lo, __m256 hi) noexcept
    {
        const __m256 a = _mm256_add_ps(lo, hi);
        const __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        const __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));
        return _mm_cvtss_f32(_mm_add_ss(c, _mm_movehdup_ps(c)));
    }

    /// 8 int32 lanes of one 128-weight half: lane l = sum over weights 16l..16l+15 of code*x.
    inline __m256i half_dot(const std::uint8_t* p, const std::uint8_t* xp) noexcept
    {
        const __m256i v = _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
        const __m256i m3 = _mm256_set1_epi8(3);
        const __m256i* x = reinterpret_cast<const __m256i*>(xp);
        __m256i s = _mm256_maddubs_epi16(_mm256_and_si256(v, m3), _mm256_load_si256(x));
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 2), m3), _mm256_load_si256(x + 1)));
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 4), m3), _mm256_load_si256(x + 2)));
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 6), m3), _mm256_load_si256(x + 3)));
        return _mm256_madd_epi16(s, _mm256_set1_epi16(1));  // |int16 partial| <= 4*2*2*127 = 2032
    }

    /// Units 0..7 of two chunks (four halves V00 V01 V10 V11, each two units of 4 lanes).
    inline __m256i units8(__m256i v00, __m256i v01, __m256i v10, __m256i v11) noexcept
    {
        const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(v00, v01), _mm256_hadd_epi32(v10, v11));
        return _mm256_permutevar8x32_epi32(h, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    }

    /// The float step of the contract for units u0..u0+7 whose code sums are `sums`: subtract the
    /// activation sums (code = w + 1), store the exact unit sums if asked, fma with the scales.
    template <class Sc>
    inline __m256 combine8(__m256i sums, std::size_t u0, const Sc* ws, const act_plan& p, const unit_tables& t,
                           std::int32_t* units, __m256 F) noexcept
    {
        const __m256i I = _mm256_sub_epi32(sums, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.xsum.data() + u0)));
        if (units)
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(units + u0), I);
        const std::int32_t g0 = t.gidx[u0];
        const __m256i rel = _mm256_sub_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.gidx.data() + u0)),
                                             _mm256_set1_epi32(g0));
        const __m256 S = _mm256_mul_ps(_mm256_permutevar8x32_ps(load_scales8(ws + g0), rel),
                                       _mm256_loadu_ps(p.xs.data() + u0));
        return _mm256_fmadd_ps(_mm256_cvtepi32_ps(I), S, F);
    }

    /// One row of the 2-bit kernel against a plan in planes32 order.
    template <class Sc>
    inline float row_2bit(const std::uint8_t* row, const Sc* ws, const act_plan& p, const unit_tables& t,
                          std::int32_t* units)
    {
        __m256 F[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
        const std::size_t nq = t.n_units_pad / 16;
        const std::uint8_t* xb = p.x.data();
        for (std::size_t q = 0; q < nq; ++q)
        {
            __m256i V[8];
            for (std::size_t c = 0; c < 4; ++c)
            {
                const std::size_t ch = 4 * q + c;
                for (std::size_t h = 0; h < 2; ++h)
                    V[2 * c + h] = ch < t.n_chunks ? half_dot(row + ch * 64 + 32 * h, xb + ch * 256 + 128 * h)
                                                   : _mm256_setzero_si256();
            }
            for (std::size_t s = 0; s < 2; ++s)
                F[s] = combine8(units8(V[4 * s], V[4 * s + 1], V[4 * s + 2], V[4 * s + 3]), 16 * q + 8 * s, ws, p, t,
                                units, F[s]);
        }
        return reduce16(F[0], F[1]);
    }

    /// Base-3 codes (0, 1, 2) of 32 bytes y_t = (uint8)(b*3^t): c = (y >= 86) + (y >= 171),
    /// with unsigned compares written as max + cmpeq (AVX2 has no unsigned byte compare).
    inline __m256i base3_codes(__m256i y) noexcept
    {
        const __m256i m1 = _mm256_cmpeq_epi8(_mm256_max_epu8(y, _mm256_set1_epi8(86)), y);
        const __m256i m2 = _mm256_cmpeq_epi8(_mm256_max_epu8(y, _mm256_set1_epi8(static_cast<char>(171))), y);
        return _mm256_sub_epi8(_mm256_sub_epi8(_mm256_setzero_si256(), m1), m2);  // masks are -1
    }

    /// N slots of one base-3 group (layout and phase P as in avx512::base3_slots): the two
    /// 32-byte halves of a slot hold lanes 0-7 and 8-15; codes times x by maddubs, summed in
    /// int16 over the group's slots (|partial| <= 16 slots * 2 * 2 * 127 = 8128).
    template <int P, int N, int L = 0>
    TESSERA_TERNARY_INLINE void base3_slots(const std::uint8_t*& bp, __m256i* y, const std::uint8_t* xp, __m256i* S) noexcept
    {
        if constexpr (L < N)
        {
            constexpr int digit = (P + L) % 5;
            for (int h = 0; h < 2; ++h)
            {
                if constexpr (digit == 0)
                    y[h] = _mm256_load_si256(reinterpret_cast<const __m256i*>(bp + 32 * h));
                else
                    y[h] = _mm256_add_epi8(y[h], _mm256_add_epi8(y[h], y[h]));  // y * 3 mod 256
                const __m256i x = _mm256_load_si256(reinterpret_cast<const __m256i*>(xp + 64 * L + 32 * h));
                S[h] = _mm256_add_epi16(S[h], _mm256_maddubs_epi16(base3_codes(y[h]), x));
            }
            if constexpr (digit == 0)
                bp += 64;
            base3_slots<P, N, L + 1>(bp, y, xp, S);
        }
    }

    template <int N>
    TESSERA_TERNARY_INLINE void base3_group(std::size_t phase, const std::uint8_t*& bp, __m256i* y,
                                            const std::uint8_t* xp, __m256i* S) noexcept
    {
        switch (phase)
        {
            case 0: base3_slots<0, N>(bp, y, xp, S); break;
            case 1: base3_slots<1, N>(bp, y, xp, S); break;
            case 2: base3_slots<2, N>(bp, y, xp, S); break;
            case 3: base3_slots<3, N>(bp, y, xp, S); break;
            default: base3_slots<4, N>(bp, y, xp, S); break;
        }
    }

    /// Base-3 row against a plan in slot order: group g's exact unit sums come out of its lanes
    /// (those of the partial group folded, 16/N lanes per unit), then the float combination.
    template <class Sc>
    inline float row_base3(const std::uint8_t* row, const Sc* ws, const act_plan& p, const unit_tables& t,
                           const base3_geometry& geo, std::int32_t* units)
    {
        __m256 F[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
        const std::uint8_t* bp = row;
        __m256i y[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
        const std::size_t groups = geo.full_groups + (geo.tail_width ? 1 : 0);
        const __m256i ones = _mm256_set1_epi16(1);
        for (std::size_t g = 0; g < groups; ++g)
        {
            __m256i S[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
            const std::uint8_t* xp = p.x.data() + 1024 * g;
            const std::size_t width = g < geo.full_groups ? 16 : geo.tail_width;
            switch (width)
            {
                case 16: base3_group<16>(g % 5, bp, y, xp, S); break;
                case 8: base3_group<8>(g % 5, bp, y, xp, S); break;
                case 4: base3_group<4>(g % 5, bp, y, xp, S); break;
                case 2: base3_group<2>(g % 5, bp, y, xp, S); break;
                default: base3_group<1>(g % 5, bp, y, xp, S); break;
            }
            __m256i lanes[2] = {_mm256_madd_epi16(S[0], ones), _mm256_madd_epi16(S[1], ones)};
            if (width < 16)  // the partial group: adjacent lanes of a unit -> the unit's lane (once per row)
            {
                alignas(32) std::int32_t v[16];
                _mm256_store_si256(reinterpret_cast<__m256i*>(v), lanes[0]);
                _mm256_store_si256(reinterpret_cast<__m256i*>(v + 8), lanes[1]);
                for (std::size_t w = width; w < 16; w *= 2)
                    for (std::size_t l = 0; l < 16; ++l)
                        v[l] = l < 8 ? v[2 * l] + v[2 * l + 1] : 0;
                lanes[0] = _mm256_load_si256(reinterpret_cast<const __m256i*>(v));
                lanes[1] = _mm256_load_si256(reinterpret_cast<const __m256i*>(v + 8));
            }
            for (std::size_t h = 0; h < 2; ++h)
                F[h] = combine8(lanes[h], 16 * g + 8 * h, ws, p, t, units, F[h]);
        }
        return reduce16(F[0], F[1]);
    }

    /// Rows [i0, i0 + n) of W against plan p (planes32 order for 2-bit, slots for base-3): y[i],
    /// and the exact unit sums units + i * n_units_pad when units is not null. The whole row loop
    /// runs in this targeted function (a targeted function is never inlined into plain code).
    /// \param scales row 0's stored scales (float or binary16); row i's follow at i * scale_stride.
    template <class Sc>
    void rows(const packed_ternary& W, const Sc* scales, std::size_t i0, std::size_t n, const act_plan& p,
              const unit_tables& t, float* y, std::int32_t* units)
    {
        const bool base3 = W.layout == packed_layout::base3;
        const base3_geometry geo = base3_geom(W.cols);
        auto one_row = [&](std::size_t i, const std::uint8_t* row, const Sc* ws, std::int32_t* u) {
            y[i] = base3 ? row_base3(row, ws, p, t, geo, u) : row_2bit(row, ws, p, t, u);
        };
        for_rows(W, scales, i0, n, t, units, one_row);
    }
}  // namespace tessera::ternary::detail::avx2

TESSERA_TARGET_END
#endif
