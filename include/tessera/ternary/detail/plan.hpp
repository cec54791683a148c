#pragma once
/// \file plan.hpp
/// Internals of the packed kernels: the per-activation "plan" (activations permuted into the
/// order each SIMD kernel consumes, per-unit sums and scales) and the scalar reference kernels.
///
/// The accumulation contract every kernel (scalar, AVX2, AVX-512) implements exactly:
/// a row of K weights is cut into units of 64 consecutive weights (the last may be shorter).
/// For unit u, \f$I_u = \sum_{k\in u} w_k x_k\f$ is computed exactly in int32
/// (\f$|I_u| \le 64 \cdot 127 = 8128\f$, so neither int32 nor its float conversion can round),
/// the unit scale is the float product \f$S_u = s_{g(u)} \cdot a_{b(u)}\f$ of the weight-group scale and the
/// activation-block scale, and sixteen float lanes accumulate
/// \f$F_{u \bmod 16} \leftarrow \mathrm{fma}(I_u, S_u, F_{u \bmod 16})\f$ in increasing u. The result
/// is the pairwise sum \f$((F_l + F_{l+8}) + \dots)\f$ with halves 8, 4, 2, 1. Because every
/// rounding step is fixed, all kernels give bit-identical floats.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../activations.hpp"
#include "../pack.hpp"

/// Forces inlining of the small unrolled kernel steps (the compilers otherwise stop inlining a
/// 16-deep template recursion part way and pass the SIMD state through memory).
#if defined(__GNUC__) || defined(__clang__)
#define TESSERA_TERNARY_INLINE inline __attribute__((always_inline))
#else
#define TESSERA_TERNARY_INLINE inline
#endif

namespace tessera::ternary::detail
{
    inline constexpr std::size_t unit_size = 64;
    static_assert(unit_size * 127 * 2 < (1u << 24), "unit sums must be exact in int32 and in float");

    /// Sixteen-lane pairwise reduction (halves 8, 4, 2, 1).
    inline float reduce_lanes(float* F) noexcept
    {
        for (std::size_t h = 8; h >= 1; h /= 2)
            for (std::size_t l = 0; l < h; ++l)
                F[l] = F[l] + F[l + h];
        return F[0];
    }

    /// Row-independent tables for one packed matrix: group index of every unit.
    struct unit_tables
    {
        std::size_t cols = 0, n_units = 0, n_units_pad = 0, n_chunks = 0;
        std::vector<std::int32_t> gidx;  ///< n_units_pad; padding units repeat the last group
        std::vector<std::int32_t> grel;  ///< n_units_pad: gidx[u] - gidx[16 (u / 16)] (SIMD scale gathers)
    };

    inline unit_tables make_tables(const packed_ternary& W)
    {
        unit_tables t;
        t.cols = W.cols;
        t.n_units = (W.cols + unit_size - 1) / unit_size;
        t.n_units_pad = (t.n_units + 15) / 16 * 16;
        t.n_chunks = (W.cols + 255) / 256;
        t.gidx.resize(t.n_units_pad);
        for (std::size_t u = 0; u < t.n_units_pad; ++u)
            t.gidx[u] = static_cast<std::int32_t>(std::min(u, t.n_units - 1) * unit_size / W.group_size);
        t.grel.resize(t.n_units_pad);
        for (std::size_t u = 0; u < t.n_units_pad; ++u)
            t.grel[u] = t.gidx[u] - t.gidx[u / 16 * 16];
        return t;
    }

    /// Which order the permuted activations are laid out in.
    enum class plan_order
    {
        natural,  ///< x itself, padded with zeros (scalar kernels)
        planes64, ///< per 256-chunk c, plane j: byte i = x[256c + 4i + j], i < 64 (AVX-512 2-bit)
        planes32, ///< per 128-half h, plane j: byte i = x[128h + 4i + j], i < 32 (AVX2 2-bit)
        slots     ///< base-3: plane s (64 bytes) = the activations of the weights of slot s (AVX-512 base-3)
    };

    /// One activation row prepared for a kernel.
    struct act_plan
    {
        aligned_bytes x;                ///< int8 activations in `order`, padded with zeros
        std::vector<std::int32_t> xsum; ///< n_units_pad: sum of x over each unit
        std::vector<float> xs;          ///< n_units_pad: activation scale of each unit (0 for padding)
    };

    /// \pre the activation blocks of `a` align with units (checked by the callers).
    inline act_plan make_plan(const int8_activations& a, std::size_t b, const unit_tables& t, plan_order order,
                              std::size_t padded_len)
    {
        act_plan p;
        const std::int8_t* x = a.values.data() + b * a.cols();
        p.x = aligned_bytes(std::max(padded_len, t.n_chunks * 256));
        auto* out = reinterpret_cast<std::int8_t*>(p.x.data());
        if (order == plan_order::natural)
            std::copy(x, x + t.cols, out);
        else if (order == plan_order::slots)
        {
            // x[k] goes where weight k sits, with the slot as the plane: byte 64 s + (lane bytes)
            const base3_geometry geo = base3_geom(t.cols);
            for (std::size_t k = 0; k < t.cols; ++k)
            {
                const base3_position at = base3_pos(k, geo);
                out[64 * (5 * (at.byte / 64) + static_cast<std::size_t>(at.digit)) + at.byte % 64] = x[k];
            }
        }
        else
        {
            // planes64: per 256-chunk, plane j holds x[4i + j]; planes32: the same per 128-half
            const std::size_t span = order == plan_order::planes64 ? 256 : 128, lanes = span / 4;
            std::size_t k0 = 0;
            for (; k0 + span <= t.cols; k0 += span)
                for (std::size_t j = 0; j < 4; ++j)
                    for (std::size_t i = 0; i < lanes; ++i)
                        out[k0 + j * lanes + i] = x[k0 + 4 * i + j];
            for (std::size_t k = k0; k < t.cols; ++k)  // the last, partial span
                out[k0 + (k % 4) * lanes + (k - k0) / 4] = x[k];
        }
        p.xsum.assign(t.n_units_pad, 0);
        p.xs.assign(t.n_units_pad, 0.0f);
        for (std::size_t u = 0; u < t.n_units; ++u)
        {
            std::int32_t s = 0;
            for (std::size_t k = u * unit_size; k < std::min(t.cols, (u + 1) * unit_size); ++k)
                s += x[k];
            p.xsum[u] = s;
            p.xs[u] = a.scales(b, u * unit_size / a.block_size);
        }
        return p;
    }

    /// Weight code (0, 1, 2) of column k of a packed row (geo = base3_geom(W.cols) for base-3).
    inline unsigned code_at(const packed_ternary& W, const std::uint8_t* row, std::size_t k,
                            const base3_geometry& geo) noexcept
    {
        if (W.layout == packed_layout::two_bit)
            return (row[k / 4] >> (2 * (k % 4))) & 3u;
        const base3_position at = base3_pos(k, geo);
        return base3_digit(row[at.byte], at.digit);
    }

    /// Scalar reference: exact unit sums of one row (int32) into `units` [n_units].
    inline void unit_sums_scalar(const packed_ternary& W, std::size_t i, const int8_activations& a, std::size_t b,
                                 const unit_tables& t, std::int32_t* units)
    {
        const std::uint8_t* row = W.row(i);
        const std::int8_t* x = a.values.data() + b * a.cols();
        const base3_geometry geo = base3_geom(W.cols);
        for (std::size_t u = 0; u < t.n_units; ++u)
        {
            std::int32_t s = 0;
            for (std::size_t k = u * unit_size; k < std::min(t.cols, (u + 1) * unit_size); ++k)
                s += (static_cast<std::int32_t>(code_at(W, row, k, geo)) - 1) * x[k];
            units[u] = s;
        }
    }

    /// Group scale g of a row stored as float or as binary16 (widened exactly).
    inline float scale_at(const float* ws, std::size_t g) noexcept { return ws[g]; }
    inline float scale_at(const std::uint16_t* ws, std::size_t g) noexcept { return half_to_float(ws[g]); }

    /// Scalar reference of the float combination (see the contract at the top of this file);
    /// Sc is the storage type of the row's scales (float or binary16).
    template <class Sc>
    inline float combine_scalar(const std::int32_t* units, const Sc* ws, const act_plan& p, const unit_tables& t)
    {
        float F[16] = {};
        for (std::size_t u = 0; u < t.n_units; ++u)
        {
            const float S = scale_at(ws, static_cast<std::size_t>(t.gidx[u])) * p.xs[u];
            F[u % 16] = std::fma(static_cast<float>(units[u]), S, F[u % 16]);
        }
        return reduce_lanes(F);
    }

    /// Scalar reference of the float-activation GEMV on the 2-bit layout (dequantize on the fly):
    /// within unit u, lane t (0..15) sums, for planes j = 0..3, +x or -x of weight
    /// 4(16(u mod 4)+t)+j of the unit's 256-chunk (D += x for w = 1, D -= x for w = -1); then
    /// \f$F_t \leftarrow \mathrm{fma}(D_t, s_{g(u)}, F_t)\f$; the result is the pairwise lane sum.
    inline float gemv_float_row_scalar(const packed_ternary& W, std::size_t i, const float* x, const unit_tables& t)
    {
        const std::uint8_t* row = W.row(i);
        float F[16] = {};
        for (std::size_t u = 0; u < t.n_units; ++u)
        {
            float D[16] = {};
            const std::size_t c = u / 4, k = u % 4;
            for (std::size_t j = 0; j < 4; ++j)
                for (std::size_t l = 0; l < 16; ++l)
                {
                    const std::size_t byte = 16 * k + l, col = 256 * c + 4 * byte + j;
                    if (col >= t.cols)
                        continue;
                    const unsigned code = (row[64 * c + byte] >> (2 * j)) & 3u;
                    if (code == 2)
                        D[l] = D[l] + x[col];
                    else if (code == 0)
                        D[l] = D[l] - x[col];
                }
            const auto g = static_cast<std::size_t>(t.gidx[u]);
            const float s = W.scale_type == scale_storage::f16 ? scale_at(W.row_scales_f16(i), g) : scale_at(W.row_scales(i), g);
            for (std::size_t l = 0; l < 16; ++l)
                F[l] = std::fma(D[l], s, F[l]);
        }
        return reduce_lanes(F);
    }

    /// The row loop of the SIMD kernels' rows(): row(i, W.row(i), row i's stored scales, row i's
    /// unit sums units + i * n_units_pad or nullptr) for i in [i0, i0 + n), scales being row 0's.
    /// Plain code that inlines into the targeted rows() calling it with a row kernel of its target.
    template <class Sc, class Row>
    TESSERA_TERNARY_INLINE void for_rows(const packed_ternary& W, const Sc* scales, std::size_t i0, std::size_t n,
                                         const unit_tables& t, std::int32_t* units, const Row& row)
    {
        for (std::size_t i = i0; i < i0 + n; ++i)
            row(i, W.row(i), scales + i * W.scale_stride, units ? units + i * t.n_units_pad : nullptr);
    }
}  // namespace tessera::ternary::detail
