#pragma once
/// \file kernels_avx2.hpp
/// AVX2 kernel for the 2-bit layout (maddubs/madd int8 dot products, the path ggml also has);
/// compiled when the compiler targets AVX2 and FMA. Implements the accumulation contract of
/// plan.hpp exactly, so its floats equal the scalar reference bit for bit.

#include "plan.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#define TESSERA_TERNARY_HAVE_AVX2 1
#include <immintrin.h>

namespace tessera::ternary::detail::avx2
{
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

    /// One row of the 2-bit kernel against a plan in planes32 order.
    inline float row_2bit(const std::uint8_t* row, const float* ws, const act_plan& p, const unit_tables& t,
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
            {
                const std::size_t u0 = 16 * q + 8 * s;
                const __m256i I = _mm256_sub_epi32(units8(V[4 * s], V[4 * s + 1], V[4 * s + 2], V[4 * s + 3]),
                                                   _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.xsum.data() + u0)));
                if (units)
                    _mm256_storeu_si256(reinterpret_cast<__m256i*>(units + u0), I);
                const std::int32_t g0 = t.gidx[u0];
                const __m256i rel = _mm256_sub_epi32(
                    _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.gidx.data() + u0)), _mm256_set1_epi32(g0));
                const __m256 S = _mm256_mul_ps(_mm256_permutevar8x32_ps(_mm256_loadu_ps(ws + g0), rel),
                                               _mm256_loadu_ps(p.xs.data() + u0));
                F[s] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(I), S, F[s]);
            }
        }
        return reduce16(F[0], F[1]);
    }
}  // namespace tessera::ternary::detail::avx2
#endif
