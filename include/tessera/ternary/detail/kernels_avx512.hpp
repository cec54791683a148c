#pragma once
/// \file kernels_avx512.hpp
/// AVX-512 (BW + VNNI) kernels for packed ternary matrices. Compiled on every x86-64 GCC/Clang
/// build under a function-level target (avx512f/bw/dq/vl/vnni) whatever the build's -march, and
/// run only when core/cpu.hpp finds those features on the CPU (GFNI, used for the 2-bit unpack
/// when the build itself targets it, is not required). They implement exactly the accumulation
/// contract of plan.hpp, so their floats equal the scalar reference bit for bit.

#include "../../core/cpu.hpp"
#include "kernels_avx2.hpp"
#include "plan.hpp"

#if defined(TESSERA_X86_DISPATCH)
#define TESSERA_TERNARY_HAVE_AVX512 1
#include <immintrin.h>

// GCC 12 reports _mm512_undefined_* inside its own intrinsics as uninitialized (a false positive
// once they are inlined); silence that for these kernels only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

TESSERA_TARGET_AVX512_BEGIN

namespace tessera::ternary::detail::avx512
{
    /// 16 group scales from a row of floats, or of binary16 values widened exactly: the AVX2
    /// 8-scale loads of both halves (this target includes AVX2 and F16C, so they inline).
    template <class Sc>
    inline __m512 load_scales16(const Sc* ws) noexcept
    {
        return _mm512_insertf32x8(_mm512_castps256_ps512(avx2::load_scales8(ws)), avx2::load_scales8(ws + 8), 1);
    }

    /// [a0+a1, a2+a3, ..., a14+a15, b0+b1, ..., b14+b15].
    inline __m512i pairsum(__m512i a, __m512i b) noexcept
    {
        const __m512i ev = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
        const __m512i od = _mm512_add_epi32(ev, _mm512_set1_epi32(1));
        return _mm512_add_epi32(_mm512_permutex2var_epi32(a, ev, b), _mm512_permutex2var_epi32(a, od, b));
    }

    /// Pairwise lane sum, halves 8, 4, 2, 1 (same order as reduce_lanes): the AVX2 reduction of
    /// the two 256-bit halves (this target includes AVX2, so it inlines).
    inline float reduce16(__m512 F) noexcept
    {
        return avx2::reduce16(_mm512_castps512_ps256(F), _mm512_extractf32x8_ps(F, 1));
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

    /// The 2-bit kernel: one row against B activation plans (GEMV: B = 1; GEMM: blocks of 4).
    /// Each 64-byte chunk of the row is loaded and unpacked once, in registers, and used for all
    /// B activations, so the unpacking is paid once per B products; the arithmetic per (row,
    /// activation) is the contract of plan.hpp, so row b of a GEMM equals the GEMV of activation
    /// b bit for bit. `Prefetch`: software prefetch prefetch_bytes ahead in the row (GEMV, which
    /// streams the matrix; sharing activation loads across 2 or 4 rows measured slower).
    /// `units` (B = 1 only, may be null) receives the exact unit sums.
    template <int B, bool Prefetch, class S>
    inline void row_2bit(const std::uint8_t* row, const S* ws, const act_plan* const* P, const unit_tables& t,
                         float* const* y, std::int32_t* units = nullptr) noexcept
    {
        const std::int32_t* gidx = t.gidx.data();
        const std::int32_t* grel = t.grel.data();
        auto chunk = [&](std::size_t ch, __m512i* a) noexcept {
            if constexpr (Prefetch)
                _mm_prefetch(reinterpret_cast<const char*>(row + ch * 64 + prefetch_bytes), _MM_HINT_T0);
            const planes pl = unpack64(row + ch * 64);
            const __m512i c0 = pl.c[0], c1 = pl.c[1], c2 = pl.c[2], c3 = pl.c[3];
            for (int b = 0; b < B; ++b)
            {
                const std::uint8_t* xp = P[b]->x.data() + ch * 256;
                __m512i lo = _mm512_dpbusd_epi32(_mm512_setzero_si512(), c0, _mm512_load_si512(xp));
                __m512i hi = _mm512_dpbusd_epi32(_mm512_setzero_si512(), c1, _mm512_load_si512(xp + 64));
                lo = _mm512_dpbusd_epi32(lo, c2, _mm512_load_si512(xp + 128));
                hi = _mm512_dpbusd_epi32(hi, c3, _mm512_load_si512(xp + 192));
                a[b] = _mm512_add_epi32(lo, hi);
            }
        };
        __m512 F[B];
        for (int b = 0; b < B; ++b)
            F[b] = _mm512_setzero_ps();
        auto combine = [&](std::size_t q, const __m512i* p01, const __m512i* a2, const __m512i* a3) noexcept {
            const __m512i rel = _mm512_loadu_si512(grel + 16 * q);
            const __m512 wsq = _mm512_permutexvar_ps(rel, load_scales16(ws + gidx[16 * q]));
            for (int b = 0; b < B; ++b)
            {
                const __m512i I = _mm512_sub_epi32(pairsum(p01[b], pairsum(a2[b], a3[b])),
                                                   _mm512_loadu_si512(P[b]->xsum.data() + 16 * q));
                if (B == 1 && units)
                    _mm512_storeu_si512(units + 16 * q, I);
                const __m512 Su = _mm512_mul_ps(wsq, _mm512_loadu_ps(P[b]->xs.data() + 16 * q));
                F[b] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(I), Su, F[b]);
            }
        };
        const std::size_t full = t.n_chunks / 4;
        __m512i a0[B], a1[B], a2[B], a3[B], p01[B];
        for (std::size_t q = 0; q < full; ++q)
        {
            const std::size_t ch = 4 * q;
            chunk(ch, a0);
            chunk(ch + 1, a1);
            for (int b = 0; b < B; ++b)
                p01[b] = pairsum(a0[b], a1[b]);
            chunk(ch + 2, a2);
            chunk(ch + 3, a3);
            combine(q, p01, a2, a3);
        }
        if (full * 4 < t.n_chunks)
        {
            const std::size_t ch = 4 * full, left = t.n_chunks - ch;
            for (int b = 0; b < B; ++b)
                a1[b] = a2[b] = a3[b] = _mm512_setzero_si512();
            chunk(ch, a0);
            if (left > 1)
                chunk(ch + 1, a1);
            if (left > 2)
                chunk(ch + 2, a2);
            for (int b = 0; b < B; ++b)
                p01[b] = pairsum(a0[b], a1[b]);
            combine(full, p01, a2, a3);
        }
        for (int b = 0; b < B; ++b)
            *y[b] = reduce16(F[b]);
    }

    /// N slots of one unit group of the base-3 layout (pack.hpp, base3_pos: slot s is digit s%5
    /// of block s/5; a whole group has N = 16 slots, one unit per 32-bit lane; the partial group
    /// N = 1..8 slots, 16/N lanes per unit). P = (first slot) % 5, so every slot's digit is a
    /// constant. With y_t = (uint8)(b*3^t) the digit is c_t = (3y_t - y_{t+1})/256 exactly, hence
    /// per lane \f$\sum c_t x = (3\sum y_t x - \sum y_{t+1} x)/256\f$: two u8 x s8 dot products per
    /// slot and no per-byte digit extraction. A[4], B[4] spread the dependency chains.
    template <int P, int N, int L = 0>
    TESSERA_TERNARY_INLINE void base3_slots(const std::uint8_t*& bp, __m512i& y, const std::uint8_t* xp, __m512i* A,
                            __m512i* B) noexcept
    {
        if constexpr (L < N)
        {
            constexpr int digit = (P + L) % 5;
            if constexpr (digit == 0)
            {
                y = _mm512_load_si512(reinterpret_cast<const void*>(bp));
                bp += 64;
            }
            const __m512i x = _mm512_load_si512(reinterpret_cast<const void*>(xp + 64 * L));
            const __m512i y1 = _mm512_add_epi8(y, _mm512_add_epi8(y, y));  // y * 3 mod 256
            A[L % 4] = _mm512_dpbusd_epi32(A[L % 4], y, x);
            B[L % 4] = _mm512_dpbusd_epi32(B[L % 4], y1, x);
            y = y1;
            base3_slots<P, N, L + 1>(bp, y, xp, A, B);
        }
    }

    /// base3_slots with the phase P chosen at run time.
    template <int N>
    TESSERA_TERNARY_INLINE void base3_group(std::size_t phase, const std::uint8_t*& bp, __m512i& y, const std::uint8_t* xp,
                            __m512i* A, __m512i* B) noexcept
    {
        switch (phase)
        {
            case 0: base3_slots<0, N>(bp, y, xp, A, B); break;
            case 1: base3_slots<1, N>(bp, y, xp, A, B); break;
            case 2: base3_slots<2, N>(bp, y, xp, A, B); break;
            case 3: base3_slots<3, N>(bp, y, xp, A, B); break;
            default: base3_slots<4, N>(bp, y, xp, A, B); break;
        }
    }

    /// Base-3 row against a plan in slot order (plan_order::slots): group g of 16 units yields
    /// its exact unit sums in the 16 lanes of one vector (the partial group after folding its
    /// 16/N lanes per unit with pairsum), in the lanes the contract of plan.hpp accumulates them
    /// in. Lanes are bounded by 16 slots * 4 * 255 * 127 * 3 < 2^23.
    template <class S>
    inline float row_base3(const std::uint8_t* row, const S* ws, const act_plan& p, const unit_tables& t,
                           const base3_geometry& geo, std::int32_t* units)
    {
        __m512 F = _mm512_setzero_ps();
        const std::uint8_t* bp = row;
        __m512i y = _mm512_setzero_si512();
        const std::size_t groups = geo.full_groups + (geo.tail_width ? 1 : 0);
        for (std::size_t g = 0; g < groups; ++g)
        {
            __m512i A[4], B[4];
            for (int l = 0; l < 4; ++l)
                A[l] = B[l] = _mm512_setzero_si512();
            const std::uint8_t* xp = p.x.data() + 1024 * g;
            const std::size_t width = g < geo.full_groups ? 16 : geo.tail_width;
            switch (width)
            {
                case 16: base3_group<16>(g % 5, bp, y, xp, A, B); break;
                case 8: base3_group<8>(g % 5, bp, y, xp, A, B); break;
                case 4: base3_group<4>(g % 5, bp, y, xp, A, B); break;
                case 2: base3_group<2>(g % 5, bp, y, xp, A, B); break;
                default: base3_group<1>(g % 5, bp, y, xp, A, B); break;
            }
            const __m512i a = _mm512_add_epi32(_mm512_add_epi32(A[0], A[1]), _mm512_add_epi32(A[2], A[3]));
            const __m512i b = _mm512_add_epi32(_mm512_add_epi32(B[0], B[1]), _mm512_add_epi32(B[2], B[3]));
            __m512i sum = _mm512_srai_epi32(_mm512_sub_epi32(_mm512_add_epi32(a, _mm512_add_epi32(a, a)), b), 8);
            for (std::size_t w = width; w < 16; w *= 2)  // adjacent lanes of a unit -> lane of the unit
                sum = pairsum(sum, _mm512_setzero_si512());
            const __m512i I = _mm512_sub_epi32(sum, _mm512_loadu_si512(p.xsum.data() + 16 * g));
            if (units)
                _mm512_storeu_si512(units + 16 * g, I);
            const __m512i rel = _mm512_loadu_si512(t.grel.data() + 16 * g);
            const __m512 Su = _mm512_mul_ps(_mm512_permutexvar_ps(rel, load_scales16(ws + t.gidx[16 * g])),
                                            _mm512_loadu_ps(p.xs.data() + 16 * g));
            F = _mm512_fmadd_ps(_mm512_cvtepi32_ps(I), Su, F);
        }
        return reduce16(F);
    }

    /// Float-activation GEMV row on the 2-bit layout (contract of gemv_float_row_scalar);
    /// xf holds x in planes64 order as floats, padded with zeros.
    template <class Sc>
    inline float row_float(const std::uint8_t* row, const Sc* ws, const float* xf, const unit_tables& t)
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
                F = _mm512_fmadd_ps(D[k], _mm512_set1_ps(scale_at(ws, static_cast<std::size_t>(t.gidx[u]))), F);
            }
        }
        return reduce16(F);
    }

    /// Rows [i0, i0 + n) of W against plan p (planes64 order for 2-bit, slots for base-3): y[i],
    /// and the exact unit sums units + i * n_units_pad when units is not null. The whole row loop
    /// runs in this targeted function (a targeted function is never inlined into plain code).
    /// \param scales row 0's stored scales (float or binary16); row i's follow at i * scale_stride.
    template <class Sc>
    void rows(const packed_ternary& W, const Sc* scales, std::size_t i0, std::size_t n, const act_plan& p,
              const unit_tables& t, float* y, std::int32_t* units)
    {
        const act_plan* P[1] = {&p};
        const base3_geometry geo = base3_geom(W.cols);
        auto one_row = [&](std::size_t i, const std::uint8_t* row, const Sc* ws, std::int32_t* u) {
            float* yp[1] = {y + i};
            if (W.layout == packed_layout::base3)
                y[i] = row_base3(row, ws, p, t, geo, u);
            else
                row_2bit<1, true>(row, ws, P, t, yp, u);
        };
        for_rows(W, scales, i0, n, t, units, one_row);
    }

    /// GEMM tile: rows [i0, i0 + n) of the 2-bit W against all `batch` plans, in blocks of 4
    /// activations (each 256-weight chunk unpacked once per block, in registers); out [batch, rows].
    template <class Sc>
    void gemm_rows(const packed_ternary& W, const Sc* scales, std::size_t i0, std::size_t n, const act_plan* plans,
                   std::size_t batch, const unit_tables& t, float* out)
    {
        constexpr std::size_t nb = 4;
        for (std::size_t b0 = 0; b0 < batch; b0 += nb)
        {
            const std::size_t m = std::min(nb, batch - b0);
            const act_plan* P[nb];
            for (std::size_t b = 0; b < m; ++b)
                P[b] = &plans[b0 + b];
            for (std::size_t i = i0; i < i0 + n; ++i)
            {
                float* yp[nb];
                for (std::size_t b = 0; b < m; ++b)
                    yp[b] = out + (b0 + b) * W.rows + i;
                const Sc* ws = scales + i * W.scale_stride;
                switch (m)
                {
                case 4: row_2bit<4, false>(W.row(i), ws, P, t, yp); break;
                case 3: row_2bit<3, false>(W.row(i), ws, P, t, yp); break;
                case 2: row_2bit<2, false>(W.row(i), ws, P, t, yp); break;
                default: row_2bit<1, false>(W.row(i), ws, P, t, yp); break;
                }
            }
        }
    }

    /// Float-activation GEMV of rows [i0, i0 + n) (row_float): y[i].
    template <class Sc>
    void rows_float(const packed_ternary& W, const Sc* scales, std::size_t i0, std::size_t n, const float* xf,
                    const unit_tables& t, float* y)
    {
        auto one_row = [&](std::size_t i, const std::uint8_t* row, const Sc* ws, std::int32_t*) {
            y[i] = row_float(row, ws, xf, t);
        };
        for_rows(W, scales, i0, n, t, nullptr, one_row);
    }
}  // namespace tessera::ternary::detail::avx512

TESSERA_TARGET_END
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif
