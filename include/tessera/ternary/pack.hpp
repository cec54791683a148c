#pragma once
/// \file pack.hpp
/// Packing and unpacking tessera's two ternary layouts: 2 bits per weight (four codes per byte)
/// and base 3 (five codes per byte, 1.6 bits per weight), from codes or a ternary_matrix, and
/// quantize + pack in one pass. Both are row-major with a 64-byte-aligned row stride, so every
/// row starts on a SIMD-load boundary; see docs/ternary.md for bit diagrams.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/half.hpp"
#include "../core/validate.hpp"
#include "detail/layout.hpp"
#include "packed.hpp"
#include "quantize.hpp"

namespace tessera::ternary
{
    namespace detail
    {
        inline void check_codes(const xt::xtensor<std::int8_t, 2>& codes, const char* fn)
        {
            bool ok = true;
            for (std::int8_t c : codes)
                ok &= (c >= -1) & (c <= 1);
            if (ok)
                return;
            for (std::size_t i = 0; i < codes.shape(0); ++i)
                for (std::size_t k = 0; k < codes.shape(1); ++k)
                    require(codes(i, k) >= -1 && codes(i, k) <= 1, fn, "codes(", i, ", ", k, ")=", int(codes(i, k)),
                            " must be -1, 0 or 1");
        }

        inline packed_ternary pack_codes(const xt::xtensor<std::int8_t, 2>& codes, packed_layout layout, const char* fn)
        {
            check_codes(codes, fn);
            packed_ternary p;
            p.layout = layout;
            p.rows = codes.shape(0);
            p.cols = codes.shape(1);
            p.row_stride = layout == packed_layout::two_bit ? stride_2bit(p.cols) : stride_base3(p.cols);
            // Padding weights are code 1 (weight 0): 0x55 in 2-bit, base-3 of (1,1,1,1,1) in base 3.
            const std::uint8_t ones[5] = {1, 1, 1, 1, 1};
            p.bytes = aligned_bytes(p.rows * p.row_stride, layout == packed_layout::two_bit ? 0x55 : base3_byte(ones));
            for (std::size_t i = 0; i < p.rows; ++i)
            {
                std::uint8_t* out = p.bytes.data() + i * p.row_stride;
                const std::int8_t* c = codes.data() + i * p.cols;
                if (layout == packed_layout::two_bit)
                    pack_row_2bit(c, p.cols, out);
                else
                {
                    const base3_geometry geo = base3_geom(p.cols);
                    for (std::size_t b = 0; b < p.row_stride; ++b)
                    {
                        std::uint8_t d[5];
                        for (int t = 0; t < 5; ++t)
                        {
                            const std::size_t k = base3_weight(b, t, geo);
                            d[t] = k < p.cols ? static_cast<std::uint8_t>(c[k] + 1) : std::uint8_t(1);
                        }
                        out[b] = base3_byte(d);
                    }
                }
            }
            return p;
        }

        /// Smallest normal binary16 (2^-14) and largest finite one: the range f16 scale storage accepts.
        constexpr float half_min_normal = 6.103515625e-05f;
        constexpr float half_max = 65504.0f;

        /// Converts p's float scales to binary16 storage (round to nearest even) in place.
        /// \throws tessera::invalid_argument naming fn if a nonzero scale lies outside
        ///         [half_min_normal, half_max] (it would lose precision or become 0 / inf).
        inline void store_scales_f16(packed_ternary& p, const char* fn)
        {
            for (std::size_t i = 0; i < p.rows; ++i)
                for (std::size_t g = 0; g < p.n_groups; ++g)
                {
                    const float v = p.scales[i * p.scale_stride + g];
                    require(v == 0.0f || (std::abs(v) >= half_min_normal && std::abs(v) <= half_max), fn,
                            "scale_storage::f16: scale ", v, " of row ", i, ", group ", g,
                            " is outside float16's normal range [6.1035e-05, 65504]; keep scale_storage::f32 for it");
                }
            p.scales_f16.resize(p.scales.size());
            to_half(p.scales.data(), p.scales_f16.data(), p.scales.size());
            std::vector<float>().swap(p.scales);
            p.scale_type = scale_storage::f16;
        }

        template <class T>
        packed_ternary pack_matrix(const ternary_matrix<T>& m, packed_layout layout, scale_storage storage, const char* fn)
        {
            packed_ternary p = pack_codes(m.codes(), layout, fn);
            p.group_size = m.group_size();
            p.n_groups = m.n_groups();
            p.scale_stride = p.n_groups + 16;
            p.scales.assign(p.rows * p.scale_stride, 0.0f);
            for (std::size_t i = 0; i < p.rows; ++i)
                for (std::size_t g = 0; g < p.n_groups; ++g)
                    p.scales[i * p.scale_stride + g] = m.scales()(i, g);
            if (storage == scale_storage::f16)
                store_scales_f16(p, fn);
            return p;
        }

        inline xt::xtensor<std::int8_t, 2> unpack_codes(const packed_ternary& p, packed_layout layout, const char* fn)
        {
            require(p.layout == layout, fn, "packed matrix has the ",
                    p.layout == packed_layout::two_bit ? "2-bit" : "base-3", " layout, expected the ",
                    layout == packed_layout::two_bit ? "2-bit" : "base-3", " layout");
            const std::size_t want = layout == packed_layout::two_bit ? stride_2bit(p.cols) : stride_base3(p.cols);
            require(p.row_stride == want && p.bytes.size() == p.rows * p.row_stride, fn, "buffer of ", p.bytes.size(),
                    " bytes with row_stride=", p.row_stride, " does not match shape [", p.rows, ", ", p.cols,
                    "] (expected row_stride=", want, ", ", p.rows * want, " bytes)");
            xt::xtensor<std::int8_t, 2> codes = xt::xtensor<std::int8_t, 2>::from_shape({p.rows, p.cols});
            const base3_geometry geo = base3_geom(p.cols);
            for (std::size_t i = 0; i < p.rows; ++i)
            {
                const std::uint8_t* in = p.row(i);
                for (std::size_t k = 0; k < p.cols; ++k)
                {
                    unsigned code;
                    if (layout == packed_layout::two_bit)
                        code = (in[k / 4] >> (2 * (k % 4))) & 3u;
                    else
                    {
                        const base3_position at = base3_pos(k, geo);
                        code = base3_digit(in[at.byte], at.digit);
                    }
                    require(code <= 2, fn, "byte for weight (", i, ", ", k, ") holds invalid code ", code);
                    codes(i, k) = static_cast<std::int8_t>(static_cast<int>(code) - 1);
                }
            }
            return codes;
        }

        /// A 2-bit packed_ternary of [rows, cols] with groups of G and f32 scales, every weight 0
        /// (code bytes 0x55, scales 0): what quantize_pack_rows_2bit fills.
        inline packed_ternary empty_2bit(std::size_t rows, std::size_t cols, std::size_t G)
        {
            packed_ternary p;
            p.rows = rows;
            p.cols = cols;
            p.row_stride = stride_2bit(cols);
            p.group_size = G;
            p.n_groups = (cols + G - 1) / G;
            p.scale_stride = p.n_groups + 16;
            p.bytes = aligned_bytes(rows * p.row_stride, 0x55);
            p.scales.assign(rows * p.scale_stride, 0.0f);
            return p;
        }

        /// Quantizes rows w[0, count) (count x p.cols values) into rows [first, first + count) of p
        /// (codes packed, f32 scales), OpenMP over rows. Returns false when a weight is not finite.
        template <class T>
        bool quantize_pack_rows_2bit(const T* w, std::size_t count, std::size_t first, const quantize_options& opts,
                                     double tensor_gamma, packed_ternary& p)
        {
            std::vector<char> ok(count, 1);
            tessera::detail::parallel_for(0, static_cast<std::ptrdiff_t>(count), [&](std::ptrdiff_t ii) {
                const auto i = static_cast<std::size_t>(ii);
                thread_local std::vector<std::int8_t> codes;
                thread_local std::vector<double> buf, pre;
                codes.resize(p.cols);
                ok[i] = quantize_row(w + i * p.cols, p.cols, p.group_size, opts, tensor_gamma,
                                     p.scales.data() + (first + i) * p.scale_stride, codes.data(), buf, pre);
                pack_row_2bit(codes.data(), p.cols, p.bytes.data() + (first + i) * p.row_stride);
            });
            return std::find(ok.begin(), ok.end(), 0) == ok.end();
        }

        /// Packs codes in {-1,0,1} [rows, cols] into tessera's 2-bit layout: code = w+1 in {0,1,2},
        /// weight 4i+j of a row at bits 2j..2j+1 of byte i of the row, padding weights = code 1
        /// (weight 0), row stride ceil(cols/256)*64 bytes (a multiple of 64). O(rows*cols).
        /// \throws tessera::invalid_argument if a code is outside {-1,0,1} (naming its position).
        inline packed_ternary pack_2bit(const xt::xtensor<std::int8_t, 2>& codes)
        {
            return pack_codes(codes, packed_layout::two_bit, "ternary::pack_2bit");
        }
        /// Packs a ternary_matrix (codes and scales) into the 2-bit layout, ready for gemv/gemm;
        /// storage = scale_storage::f16 keeps the scales as binary16.
        /// \throws tessera::invalid_argument for f16 storage of a scale outside float16's normal range.
        template <class T>
        packed_ternary pack_2bit(const ternary_matrix<T>& m, scale_storage storage = scale_storage::f32)
        {
            return pack_matrix(m, packed_layout::two_bit, storage, "ternary::pack_2bit");
        }
        /// quantize_absmean followed by pack_2bit in one pass over W (no int8 code matrix in
        /// between): the same codes and scales, packed for gemv/gemm, the scales stored as `storage`.
        /// OpenMP over rows.
        /// \throws as quantize_absmean, and as pack_2bit for f16 storage.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        packed_ternary quantize_pack_2bit(const xt::xexpression<E>& W, const quantize_options& opts = {},
                                          scale_storage storage = scale_storage::f32)
        {
            const char* fn = "ternary::quantize_pack_2bit";
            const auto in = prepare_quantization(W, opts, fn);
            const auto& w = in.w.get();
            packed_ternary p = empty_2bit(w.shape(0), w.shape(1), in.group);
            if (!quantize_pack_rows_2bit(w.data(), p.rows, 0, opts, in.tensor_gamma, p))
                require_finite(w, fn, "W");
            if (storage == scale_storage::f16)
                store_scales_f16(p, fn);
            return p;
        }

        /// Inverse of pack_2bit: codes [rows, cols] in {-1,0,1}.
        /// \throws tessera::invalid_argument if the layout, stride or buffer size do not match the
        ///         shape, or a byte holds the unused code 3.
        inline xt::xtensor<std::int8_t, 2> unpack_2bit(const packed_ternary& p)
        {
            return unpack_codes(p, packed_layout::two_bit, "ternary::unpack_2bit");
        }
        /// Packs codes into tessera's base-3 layout (1.6 bits per weight; a row pads at most 128
        /// bytes, see stride_base3): each byte holds five codes c_t = w+1 (digit t at the weight
        /// base3_weight(byte, t, base3_geom(cols)))
        /// as \f$v=\sum_t c_t 3^{4-t}\f$ stored pre-multiplied as ceil(v*256/243) (ggml's TQ1_0
        /// trick: digit t is ((uint8)(b*3^t)*3)>>8); row stride stride_base3(cols). Padding weights
        /// are code 1. O(rows*cols).
        inline packed_ternary pack_base3(const xt::xtensor<std::int8_t, 2>& codes)
        {
            return pack_codes(codes, packed_layout::base3, "ternary::pack_base3");
        }
        /// Packs a ternary_matrix (codes and scales) into the base-3 layout, ready for gemv_base3;
        /// storage as in pack_2bit.
        /// \throws tessera::invalid_argument for f16 storage of a scale outside float16's normal range.
        template <class T>
        packed_ternary pack_base3(const ternary_matrix<T>& m, scale_storage storage = scale_storage::f32)
        {
            return pack_matrix(m, packed_layout::base3, storage, "ternary::pack_base3");
        }
        /// Inverse of pack_base3. \throws tessera::invalid_argument on a layout/size mismatch or a
        /// byte that decodes to a digit > 2.
        inline xt::xtensor<std::int8_t, 2> unpack_base3(const packed_ternary& p)
        {
            return unpack_codes(p, packed_layout::base3, "ternary::unpack_base3");
        }
    }  // namespace detail

    using detail::pack_2bit, detail::pack_base3, detail::quantize_pack_2bit, detail::unpack_2bit,
        detail::unpack_base3;
}  // namespace tessera::ternary
