#pragma once
/// \file kernels_avx512.hpp
/// AVX-512 (BW + VNNI) kernels for packed ternary matrices; compiled only when the compiler
/// targets them (e.g. -march=native on an AVX-512 VNNI machine). They implement exactly the
/// accumulation contract of plan.hpp, so their floats equal the scalar reference bit for bit.

#include "plan.hpp"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__) && defined(__AVX512DQ__) && \
    defined(__AVX512VL__)
#define TESSERA_TERNARY_HAVE_AVX512 1
#include <immintrin.h>

// GCC 12 reports _mm512_undefined_* inside its own intrinsics as uninitialized (a false positive
// once they are inlined); silence that for these kernels only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace tessera::ternary::detail::avx512
{
    /// [a0+a1, a2+a3, ..., a14+a15, b0+b1, ..., b14+b15].
    inline __m512i pairsum(__m512i a, __m512i b) noexcept
    {
        const __m512i ev = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
        const __m512i od = _mm512_add_epi32(ev, _mm512_set1_epi32(1));
        return _mm512_add_epi32(_mm512_permutex2var_epi32(a, ev, b), _mm512_permutex2var_epi32(a, od, b));
    }

    /// Pairwise lane sum, halves 8, 4, 2, 1 (same order as reduce_lanes).
    inline float reduce16(__m512 F) noexcept
    {
        const __m256 a = _mm256_add_ps(_mm512_castps512_ps256(F), _mm512_extractf32x8_ps(F, 1));
        const __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        const __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));
        return _mm_cvtss_f32(_mm_add_ss(c, _mm_movehdup_ps(c)));
    }

    /// The four code planes (0..2 in bytes) of 64 packed bytes = 256 weights. With GFNI one
    /// affine byte transform moves bits 2j..2j+1 to bits 0..1; otherwise shift and mask.
    struct planes
    {
        __m512i c[4];
    };
    inline planes unpack64(const std::uint8_t* p) noexcept
    {
        const __m512i v = _mm512_load_si512(reinterpret_cast<const void*>(p));
        const __m512i m3 = _mm512_set1_epi8(3);
#if defined(__GFNI__)
        // row (7-i) of the 8x8 bit matrix selects the source bit of output bit i
        auto sel = [](int j) {
            return _mm512_set1_epi64(static_cast<long long>((std::uint64_t(1) << (2 * j)) << 56 |
                                                            (std::uint64_t(1) << (2 * j + 1)) << 48));
        };
        return {{_mm512_and_si512(v, m3), _mm512_gf2p8affine_epi64_epi8(v, sel(1), 0),
                 _mm512_gf2p8affine_epi64_epi8(v, sel(2), 0), _mm512_gf2p8affine_epi64_epi8(v, sel(3), 0)}};
#else
        return {{_mm512_and_si512(v, m3), _mm512_and_si512(_mm512_srli_epi16(v, 2), m3),
                 _mm512_and_si512(_mm512_srli_epi16(v, 4), m3), _mm512_and_si512(_mm512_srli_epi16(v, 6), m3)}};
#endif
    }

    /// Distance of the software prefetch in the streaming 2-bit GEMV (bytes ahead in the row).
    inline constexpr std::size_t prefetch_bytes = 2048;

    /// int32 lanes of chunk `ch` for R rows: lane l = sum over weights 16l..16l+15 of code*x.
    template <int R, bool FromCodes>
    inline void chunk_dots(const std::uint8_t* const* rows, const std::uint8_t* const* codes, const std::uint8_t* xb,
                           std::size_t ch, std::size_t pf, __m512i* acc) noexcept
    {
        const std::uint8_t* xp = xb + ch * 256;
        const __m512i x0 = _mm512_load_si512(xp), x1 = _mm512_load_si512(xp + 64);
        const __m512i x2 = _mm512_load_si512(xp + 128), x3 = _mm512_load_si512(xp + 192);
        for (int r = 0; r < R; ++r)
        {
            planes pl;
            if constexpr (FromCodes)
            {
                const std::uint8_t* cp = codes[r] + ch * 256;
                for (int j = 0; j < 4; ++j)
                    pl.c[j] = _mm512_load_si512(cp + 64 * j);
            }
            else
            {
                if (pf != 0)
                    _mm_prefetch(reinterpret_cast<const char*>(rows[r] + ch * 64 + pf), _MM_HINT_T0);
                pl = unpack64(rows[r] + ch * 64);
            }
            // two independent chains of two dpbusd each (shorter latency than one chain of four)
            __m512i a = _mm512_dpbusd_epi32(_mm512_setzero_si512(), pl.c[0], x0);
            __m512i b = _mm512_dpbusd_epi32(_mm512_setzero_si512(), pl.c[1], x1);
            a = _mm512_dpbusd_epi32(a, pl.c[2], x2);
            b = _mm512_dpbusd_epi32(b, pl.c[3], x3);
            acc[r] = _mm512_add_epi32(a, b);
        }
    }

    /// R rows of the 2-bit kernel against one activation plan (order planes64). If `codes` is
    /// non-null, row r's planes are read from codes[r] (n_chunks*256 bytes, pre-unpacked: GEMM),
    /// else unpacked from rows[r], prefetching the byte `pf` ahead of each load when pf != 0.
    /// Writes y[r] and, if `units` is non-null, the exact unit sums.
    template <int R, bool FromCodes>
    void tile_impl(const std::uint8_t* const* rows, const std::uint8_t* const* codes, const float* const* ws,
                   const act_plan& p, const unit_tables& t, float* y, std::int32_t* const* units, std::size_t pf)
    {
        __m512 F[R];
        for (int r = 0; r < R; ++r)
            F[r] = _mm512_setzero_ps();
        const std::size_t nq = t.n_units_pad / 16;
        const std::uint8_t* xb = p.x.data();
        for (std::size_t q = 0; q < nq; ++q)
        {
            __m512i a0[R], a1[R], a2[R], a3[R];
            const std::size_t ch = 4 * q;
            if (ch + 4 <= t.n_chunks)
            {
                chunk_dots<R, FromCodes>(rows, codes, xb, ch, pf, a0);
                chunk_dots<R, FromCodes>(rows, codes, xb, ch + 1, pf, a1);
                chunk_dots<R, FromCodes>(rows, codes, xb, ch + 2, pf, a2);
                chunk_dots<R, FromCodes>(rows, codes, xb, ch + 3, pf, a3);
            }
            else  // the last, partial batch of units
            {
                __m512i* a[4] = {a0, a1, a2, a3};
                for (std::size_t c = 0; c < 4; ++c)
                {
                    if (ch + c < t.n_chunks)
                        chunk_dots<R, FromCodes>(rows, codes, xb, ch + c, pf, a[c]);
                    else
                        for (int r = 0; r < R; ++r)
                            a[c][r] = _mm512_setzero_si512();
                }
            }
            const __m512i xsum = _mm512_loadu_si512(p.xsum.data() + 16 * q);
            const __m512 xs = _mm512_loadu_ps(p.xs.data() + 16 * q);
            const std::int32_t g0 = t.gidx[16 * q];
            const __m512i rel = _mm512_sub_epi32(_mm512_loadu_si512(t.gidx.data() + 16 * q), _mm512_set1_epi32(g0));
            for (int r = 0; r < R; ++r)
            {
                const __m512i I = _mm512_sub_epi32(pairsum(pairsum(a0[r], a1[r]), pairsum(a2[r], a3[r])), xsum);
                if (units)
                    _mm512_storeu_si512(units[r] + 16 * q, I);
                const __m512 S = _mm512_mul_ps(_mm512_permutexvar_ps(rel, _mm512_loadu_ps(ws[r] + g0)), xs);
                F[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(I), S, F[r]);
            }
        }
        for (int r = 0; r < R; ++r)
            y[r] = reduce16(F[r]);
    }

    template <int R>
    void tile_2bit(const std::uint8_t* const* rows, const std::uint8_t* const* codes, const float* const* ws,
                   const act_plan& p, const unit_tables& t, float* y, std::int32_t* const* units, std::size_t pf)
    {
        if (codes)
            tile_impl<R, true>(rows, codes, ws, p, t, y, units, pf);
        else
            tile_impl<R, false>(rows, codes, ws, p, t, y, units, pf);
    }

    /// Unpacks one 2-bit row into plane order (n_chunks*256 bytes), for GEMM tile reuse.
    inline void unpack_row_planes(const std::uint8_t* row, std::size_t n_chunks, std::uint8_t* out) noexcept
    {
        for (std::size_t ch = 0; ch < n_chunks; ++ch)
        {
            const planes pl = unpack64(row + ch * 64);
            for (int j = 0; j < 4; ++j)
                _mm512_store_si512(out + ch * 256 + 64 * j, pl.c[j]);
        }
    }

    /// Base-3 row against a natural-order plan: unit u = block u/5, digit u%5.
    inline float row_base3(const std::uint8_t* row, const float* ws, const act_plan& p, const unit_tables& t,
                           std::int32_t* units)
    {
        __m512 F = _mm512_setzero_ps();
        const __m512i lo = _mm512_set1_epi8(86), hi = _mm512_set1_epi8(static_cast<char>(171));
        const __m512i one = _mm512_set1_epi8(1);
        const std::size_t nq = t.n_units_pad / 16;
        const std::size_t n_blocks = (t.cols + 319) / 320;
        const std::uint8_t* xb = p.x.data();
        __m512i y = _mm512_setzero_si512();
        for (std::size_t q = 0; q < nq; ++q)
        {
            __m512i v[16];
            for (std::size_t l = 0; l < 16; ++l)
            {
                const std::size_t u = 16 * q + l, blk = u / 5, d = u % 5;
                if (u >= t.n_units || blk >= n_blocks)
                {
                    v[l] = _mm512_setzero_si512();
                    continue;
                }
                if (d == 0)
                    y = _mm512_load_si512(row + blk * 64);
                else
                    y = _mm512_add_epi8(y, _mm512_add_epi8(y, y));  // y * 3 mod 256
                const __mmask64 m1 = _mm512_cmpge_epu8_mask(y, lo), m2 = _mm512_cmpge_epu8_mask(y, hi);
                const __m512i code = _mm512_mask_add_epi8(_mm512_maskz_mov_epi8(m1, one), m2, _mm512_maskz_mov_epi8(m1, one), one);
                v[l] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), code, _mm512_load_si512(xb + u * 64));
            }
            __m512i a[8];
            for (int l = 0; l < 8; ++l)
                a[l] = pairsum(v[2 * l], v[2 * l + 1]);
            __m512i b4[4];
            for (int l = 0; l < 4; ++l)
                b4[l] = pairsum(a[2 * l], a[2 * l + 1]);
            const __m512i c0 = pairsum(b4[0], b4[1]), c1 = pairsum(b4[2], b4[3]);
            const __m512i I = _mm512_sub_epi32(pairsum(c0, c1), _mm512_loadu_si512(p.xsum.data() + 16 * q));
            if (units)
                _mm512_storeu_si512(units + 16 * q, I);
            const std::int32_t g0 = t.gidx[16 * q];
            const __m512i rel = _mm512_sub_epi32(_mm512_loadu_si512(t.gidx.data() + 16 * q), _mm512_set1_epi32(g0));
            const __m512 S = _mm512_mul_ps(_mm512_permutexvar_ps(rel, _mm512_loadu_ps(ws + g0)),
                                           _mm512_loadu_ps(p.xs.data() + 16 * q));
            F = _mm512_fmadd_ps(_mm512_cvtepi32_ps(I), S, F);
        }
        return reduce16(F);
    }

    /// Float-activation GEMV row on the 2-bit layout (contract of gemv_float_row_scalar);
    /// xf holds x in planes64 order as floats, padded with zeros.
    inline float row_float(const std::uint8_t* row, const float* ws, const float* xf, const unit_tables& t)
    {
        __m512 F = _mm512_setzero_ps();
        for (std::size_t ch = 0; ch < t.n_chunks; ++ch)
        {
            const __m512i v = _mm512_load_si512(row + ch * 64);
            __m512 D[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
            for (int j = 0; j < 4; ++j)
            {
                const __mmask64 pos = _mm512_test_epi8_mask(v, _mm512_set1_epi8(static_cast<char>(2 << (2 * j))));
                const __mmask64 neg = _mm512_testn_epi8_mask(v, _mm512_set1_epi8(static_cast<char>(3 << (2 * j))));
                const float* xp = xf + ch * 256 + 64 * j;
                for (int k = 0; k < 4; ++k)
                {
                    const __m512 x = _mm512_load_ps(xp + 16 * k);
                    const auto pk = static_cast<__mmask16>(pos >> (16 * k)), nk = static_cast<__mmask16>(neg >> (16 * k));
                    D[k] = _mm512_mask_add_ps(D[k], pk, D[k], x);
                    D[k] = _mm512_mask_sub_ps(D[k], nk, D[k], x);
                }
            }
            for (std::size_t k = 0; k < 4; ++k)
            {
                const std::size_t u = 4 * ch + k;
                F = _mm512_fmadd_ps(D[k], _mm512_set1_ps(ws[t.gidx[u]]), F);
            }
        }
        return reduce16(F);
    }
}  // namespace tessera::ternary::detail::avx512

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif
