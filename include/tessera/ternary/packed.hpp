#pragma once
/// \file packed.hpp
/// The packed ternary matrix (packed_ternary): row-major code bytes in the 2-bit or base-3
/// layout with a 64-byte-aligned row stride, and its group scales stored as float or binary16
/// (scale_storage). Producing one: pack.hpp; multiplying with one: matmul.hpp.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../core/half.hpp"
#include "detail/layout.hpp"

namespace tessera::ternary
{
    /// Which packed layout a packed_ternary holds.
    enum class packed_layout
    {
        two_bit,  ///< code = w+1 in {0,1,2}; weight 4i+j at bits 2j..2j+1 of byte i of the row
        base3     ///< five codes per byte in "slot" order (detail::base3_pos, docs/ternary.md)
    };

    /// How a packed matrix stores its group scales. f16 (IEEE binary16, as ggml's TQ1_0/TQ2_0 store
    /// their block scales) halves the scale traffic of a GEMV (2-bit, group 128: 2 instead of 4 bytes
    /// per 32 code bytes, 5.6 % fewer bytes in all); the kernels widen the halves exactly, so results
    /// equal those of f32 storage of the f16-rounded scales, bit for bit.
    enum class scale_storage
    {
        f32,  ///< one float per group (default; the quantizer's scales unchanged)
        f16   ///< one binary16 per group, round to nearest even; nonzero scales must be normal halves
    };

    /// A packed ternary matrix: row-major code bytes with a 64-byte-aligned row stride, plus the
    /// scales [rows, n_groups] as float or binary16 (scale_type), stored with 16 zeros of padding
    /// per row for SIMD.
    struct packed_ternary
    {
        packed_layout layout = packed_layout::two_bit;
        std::size_t rows = 0;          ///< number of rows
        std::size_t cols = 0;          ///< weights per row
        std::size_t row_stride = 0;    ///< bytes per row (a multiple of 64)
        std::size_t group_size = 0;    ///< weights per scale group (0 when packed from bare codes)
        std::size_t n_groups = 0;      ///< groups per row (0 when packed from bare codes)
        std::size_t scale_stride = 0;  ///< scales per row in `scales` / `scales_f16` (n_groups + 16)
        scale_storage scale_type = scale_storage::f32;  ///< which of the two scale vectors is used
        detail::aligned_bytes bytes;   ///< rows * row_stride code bytes
        std::vector<float> scales;     ///< f32: rows * scale_stride floats (empty for bare codes or f16)
        std::vector<std::uint16_t> scales_f16;  ///< f16: rows * scale_stride binary16 bit patterns
        bool has_scales() const noexcept { return !scales.empty() || !scales_f16.empty(); }
        const std::uint8_t* row(std::size_t i) const noexcept { return bytes.data() + i * row_stride; }
        /// Row i's float scales (scale_stride of them) for f32 storage; nullptr for f16 storage
        /// (use the two-argument form, which serves both).
        const float* row_scales(std::size_t i) const noexcept
        {
            return scale_type == scale_storage::f32 ? scales.data() + i * scale_stride : nullptr;
        }
        /// Row i's binary16 scales (scale_stride of them) for f16 storage; nullptr for f32 storage.
        const std::uint16_t* row_scales_f16(std::size_t i) const noexcept
        {
            return scale_type == scale_storage::f16 ? scales_f16.data() + i * scale_stride : nullptr;
        }
        /// Row i's scales as floats for either storage: f32 returns a pointer into `scales`; f16
        /// widens the row's scale_stride halves into buf (scale_stride floats) and returns buf.
        const float* row_scales(std::size_t i, float* buf) const noexcept
        {
            if (scale_type == scale_storage::f32)
                return scales.data() + i * scale_stride;
            half_to(scales_f16.data() + i * scale_stride, buf, scale_stride);
            return buf;
        }
        /// Code bytes actually used (without the SIMD padding of each row) plus 4 (f32) or 2 (f16)
        /// bytes per scale.
        std::size_t storage_bytes() const noexcept
        {
            // base-3: 64 weights per slot, five slots per 64 bytes (detail::base3_geom)
            const std::size_t per_row =
                layout == packed_layout::two_bit ? (cols + 3) / 4 : (64 * detail::base3_geom(cols).slots() + 4) / 5;
            return rows * per_row + (scale_type == scale_storage::f16 ? 2 : 4) * rows * n_groups;
        }
    };
}  // namespace tessera::ternary
