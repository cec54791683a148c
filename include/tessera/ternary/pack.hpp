#pragma once
/// \file pack.hpp
/// tessera's two packed ternary layouts: 2 bits per weight (four codes per byte) and base 3
/// (five codes per byte, 1.6 bits per weight). Both are row-major with a 64-byte-aligned row
/// stride, so every row starts on a SIMD-load boundary; see docs/ternary.md for bit diagrams.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../io/half.hpp"
#include "quantize.hpp"

#if defined(__F16C__)
#include <immintrin.h>
#endif

namespace tessera::ternary
{
    namespace detail
    {
        /// A 64-byte aligned, zero-initialised byte buffer that owns its memory.
        class aligned_bytes
        {
        public:
            aligned_bytes() = default;
            explicit aligned_bytes(std::size_t n, std::uint8_t fill = 0) : m_size(n)
            {
                if (n == 0)
                    return;
                const std::size_t cap = (n + 63) / 64 * 64;
                m_ptr.reset(static_cast<std::uint8_t*>(std::aligned_alloc(64, cap)));
                if (!m_ptr)
                    throw std::bad_alloc();
                std::memset(m_ptr.get(), fill, cap);
            }
            aligned_bytes(const aligned_bytes& o) : aligned_bytes(o.m_size)
            {
                if (m_size)
                    std::memcpy(m_ptr.get(), o.m_ptr.get(), m_size);
            }
            aligned_bytes& operator=(const aligned_bytes& o)
            {
                if (this != &o)
                {
                    aligned_bytes t(o);
                    *this = std::move(t);
                }
                return *this;
            }
            aligned_bytes(aligned_bytes&&) noexcept = default;
            aligned_bytes& operator=(aligned_bytes&&) noexcept = default;
            ~aligned_bytes() = default;
            std::uint8_t* data() noexcept { return m_ptr.get(); }
            const std::uint8_t* data() const noexcept { return m_ptr.get(); }
            std::size_t size() const noexcept { return m_size; }

        private:
            struct free_deleter
            {
                void operator()(std::uint8_t* p) const noexcept { std::free(p); }
            };
            std::unique_ptr<std::uint8_t, free_deleter> m_ptr;
            std::size_t m_size = 0;
        };

        /// Slot geometry of the base-3 layout for rows of `cols` weights. Weights form units of 64
        /// (u = k/64), units form groups of 16; every whole group takes 16 slots, a last partial
        /// group of n units takes w slots, w the power of two >= n (1, 2, 4, 8 or 16).
        struct base3_geometry
        {
            std::size_t full_groups = 0;  ///< groups of 16 units
            std::size_t tail_units = 0;   ///< units of the last, partial group (0..15)
            std::size_t tail_width = 0;   ///< its slots (0 without a partial group)
            std::size_t slots() const noexcept { return 16 * full_groups + tail_width; }
        };
        inline base3_geometry base3_geom(std::size_t cols) noexcept
        {
            const std::size_t units = (cols + 63) / 64;
            base3_geometry g;
            g.full_groups = units / 16;
            g.tail_units = units % 16;
            if (g.tail_units)
            {
                g.tail_width = 1;
                while (g.tail_width < g.tail_units)
                    g.tail_width *= 2;
            }
            return g;
        }
    }  // namespace detail

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

    namespace detail
    {
        /// Widens n binary16 values to float (exact: every half is a float). F16C when the compiler
        /// targets it, io::half_to_float otherwise; the same floats either way.
        inline void halves_to_floats(const std::uint16_t* in, float* out, std::size_t n) noexcept
        {
            std::size_t k = 0;
#if defined(__F16C__)
            for (; k + 8 <= n; k += 8)
                _mm256_storeu_ps(out + k, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + k))));
#endif
            for (; k < n; ++k)
                out[k] = io::half_to_float(in[k]);
        }
    }  // namespace detail

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
            detail::halves_to_floats(scales_f16.data() + i * scale_stride, buf, scale_stride);
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

    namespace detail
    {
        /// Row stride in bytes of the 2-bit layout: ceil(cols/4) rounded up to 64.
        inline std::size_t stride_2bit(std::size_t cols) noexcept { return (cols + 255) / 256 * 64; }
        /// Row stride in bytes of the base-3 layout: five slots per 64-byte block, whole blocks.
        inline std::size_t stride_base3(std::size_t cols) noexcept { return (base3_geom(cols).slots() + 4) / 5 * 64; }

        /// Where the base-3 layout stores weight k of a row. Piece p = (k%64)/4 of unit u = 16g + j
        /// of a whole group g is slot s = 16g + p, lane j; in the partial group (w slots, lambda =
        /// 16/w lanes per unit) it is slot 16g + p/lambda, lane lambda*j + p%lambda. Slot s is digit
        /// s%5 of block s/5, and lane l is bytes 4l..4l+3 of the block (one weight each). So every
        /// digit plane of a block carries four weights of each of 16 units (of w units, lambda
        /// lanes each, in the partial group): a dot product accumulates every unit in its own
        /// lanes, with no horizontal sums inside a group.
        struct base3_position
        {
            std::size_t byte;  ///< byte offset in the row
            int digit;         ///< 0 = most significant of the five
        };
        inline base3_position base3_pos(std::size_t k, const base3_geometry& geo) noexcept
        {
            const std::size_t u = k / 64, g = u / 16, p = (k % 64) / 4;
            std::size_t slot = 16 * g + p, lane = u % 16;
            if (g >= geo.full_groups)  // the partial group
            {
                const std::size_t lambda = 16 / geo.tail_width;
                slot = 16 * g + p / lambda;
                lane = lambda * (u % 16) + p % lambda;
            }
            return {64 * (slot / 5) + 4 * lane + k % 4, static_cast<int>(slot % 5)};
        }
        /// Inverse of base3_pos: the weight stored at digit t of byte `byte` of a row, or
        /// base3_padding for a position past the last slot.
        inline constexpr std::size_t base3_padding = ~std::size_t(0);
        inline std::size_t base3_weight(std::size_t byte, int t, const base3_geometry& geo) noexcept
        {
            const std::size_t slot = 5 * (byte / 64) + static_cast<std::size_t>(t), lane = (byte % 64) / 4;
            const std::size_t g = slot / 16;
            if (g < geo.full_groups)
                return 64 * (16 * g + lane) + 4 * (slot % 16) + byte % 4;
            const std::size_t s = slot - 16 * geo.full_groups;
            if (s >= geo.tail_width)
                return base3_padding;
            const std::size_t lambda = 16 / geo.tail_width;
            return 64 * (16 * geo.full_groups + lane / lambda) + 4 * (lambda * s + lane % lambda) + byte % 4;
        }

        /// Base-3 byte of five codes c0..c4 in {0,1,2} (c0 most significant), stored as
        /// ceil(v*256/243) so that digit t is ((uint8)(b*3^t) * 3) >> 8.
        inline std::uint8_t base3_byte(const std::uint8_t c[5]) noexcept
        {
            unsigned v = 0;
            for (int t = 0; t < 5; ++t)
                v = v * 3 + c[t];
            return static_cast<std::uint8_t>((v * 256 + 242) / 243);
        }
        /// Digit t (0 = most significant) of a pre-multiplied base-3 byte.
        inline std::uint8_t base3_digit(std::uint8_t b, int t) noexcept
        {
            static constexpr unsigned pow3[5] = {1, 3, 9, 27, 81};
            const auto y = static_cast<std::uint8_t>(b * pow3[t]);
            return static_cast<std::uint8_t>((y * 3u) >> 8);
        }

        /// Writes the ceil(cols/4) 2-bit bytes of one row of codes (the rest of the row is padding).
        inline void pack_row_2bit(const std::int8_t* c, std::size_t cols, std::uint8_t* out) noexcept
        {
            const std::size_t full = cols / 4;
            for (std::size_t b = 0; b < full; ++b)
                out[b] = static_cast<std::uint8_t>((c[4 * b] + 1) | (c[4 * b + 1] + 1) << 2 | (c[4 * b + 2] + 1) << 4 |
                                                   (c[4 * b + 3] + 1) << 6);
            if (cols % 4 != 0)
            {
                unsigned v = 0;
                for (std::size_t j = 0; j < 4; ++j)
                    v |= (4 * full + j < cols ? static_cast<unsigned>(c[4 * full + j] + 1) : 1u) << (2 * j);
                out[full] = static_cast<std::uint8_t>(v);
            }
        }

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
            for (std::size_t k = 0; k < p.scales.size(); ++k)
                p.scales_f16[k] = io::float_to_half(p.scales[k]);
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

        /// Packs codes in {-1,0,1} [rows, cols] into tessera's 2-bit layout: code = w+1 in {0,1,2},
        /// weight 4i+j of a row at bits 2j..2j+1 of byte i of the row, padding weights = code 1
        /// (weight 0), row stride ceil(cols/256)*64 bytes (a multiple of 64). O(rows*cols).
        /// \throws tessera::invalid_argument if a code is outside {-1,0,1} (naming its position).
        inline packed_ternary pack_2bit(const xt::xtensor<std::int8_t, 2>& codes)
        {
            return pack_codes(codes, packed_layout::two_bit, "pack_2bit");
        }
        /// Packs a ternary_matrix (codes and scales) into the 2-bit layout, ready for gemv/gemm;
        /// storage = scale_storage::f16 keeps the scales as binary16.
        /// \throws tessera::invalid_argument for f16 storage of a scale outside float16's normal range.
        template <class T>
        packed_ternary pack_2bit(const ternary_matrix<T>& m, scale_storage storage = scale_storage::f32)
        {
            return pack_matrix(m, packed_layout::two_bit, storage, "pack_2bit");
        }
        /// quantize_absmean followed by pack_2bit in one pass over W (no int8 code matrix in
        /// between): the same codes and scales, packed for gemv/gemm, the scales stored as `storage`.
        /// OpenMP over rows.
        /// \throws as quantize_absmean, and as pack_2bit for f16 storage.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        packed_ternary quantize_pack_2bit(const xt::xexpression<E>& W, const quantize_options& opts = {},
                                          scale_storage storage = scale_storage::f32)
        {
            using T = value_type_t<E>;
            const char* fn = "quantize_pack_2bit";
            auto ev = tessera::detail::evaluate<T, 2>(W, fn, "W");
            const auto& w = ev.get();
            double tensor_gamma = 0;
            const std::size_t G = prepare_quantization(w, opts, fn, tensor_gamma);
            packed_ternary p;
            p.rows = w.shape(0);
            p.cols = w.shape(1);
            p.row_stride = stride_2bit(p.cols);
            p.group_size = G;
            p.n_groups = (p.cols + G - 1) / G;
            p.scale_stride = p.n_groups + 16;
            p.bytes = aligned_bytes(p.rows * p.row_stride, 0x55);
            p.scales.assign(p.rows * p.scale_stride, 0.0f);
            std::vector<char> ok(p.rows, 1);
            tessera::detail::parallel_for(0, static_cast<std::ptrdiff_t>(p.rows), [&](std::ptrdiff_t ii) {
                const auto i = static_cast<std::size_t>(ii);
                thread_local std::vector<std::int8_t> codes;
                thread_local std::vector<double> buf, pre;
                codes.resize(p.cols);
                ok[i] = quantize_row(w.data() + i * p.cols, p.cols, G, opts, tensor_gamma,
                                     p.scales.data() + i * p.scale_stride, codes.data(), buf, pre);
                pack_row_2bit(codes.data(), p.cols, p.bytes.data() + i * p.row_stride);
            });
            if (std::find(ok.begin(), ok.end(), 0) != ok.end())
                report_nonfinite(w, fn);
            if (storage == scale_storage::f16)
                store_scales_f16(p, fn);
            return p;
        }

        /// Inverse of pack_2bit: codes [rows, cols] in {-1,0,1}.
        /// \throws tessera::invalid_argument if the layout, stride or buffer size do not match the
        ///         shape, or a byte holds the unused code 3.
        inline xt::xtensor<std::int8_t, 2> unpack_2bit(const packed_ternary& p)
        {
            return unpack_codes(p, packed_layout::two_bit, "unpack_2bit");
        }
        /// Packs codes into tessera's base-3 layout (1.6 bits per weight; a row pads at most 128
        /// bytes, see stride_base3): each byte holds five codes c_t = w+1 (digit t at the weight
        /// base3_weight(byte, t, base3_geom(cols)))
        /// as \f$v=\sum_t c_t 3^{4-t}\f$ stored pre-multiplied as ceil(v*256/243) (ggml's TQ1_0
        /// trick: digit t is ((uint8)(b*3^t)*3)>>8); row stride stride_base3(cols). Padding weights
        /// are code 1. O(rows*cols).
        inline packed_ternary pack_base3(const xt::xtensor<std::int8_t, 2>& codes)
        {
            return pack_codes(codes, packed_layout::base3, "pack_base3");
        }
        /// Packs a ternary_matrix (codes and scales) into the base-3 layout, ready for gemv_base3;
        /// storage as in pack_2bit.
        /// \throws tessera::invalid_argument for f16 storage of a scale outside float16's normal range.
        template <class T>
        packed_ternary pack_base3(const ternary_matrix<T>& m, scale_storage storage = scale_storage::f32)
        {
            return pack_matrix(m, packed_layout::base3, storage, "pack_base3");
        }
        /// Inverse of pack_base3. \throws tessera::invalid_argument on a layout/size mismatch or a
        /// byte that decodes to a digit > 2.
        inline xt::xtensor<std::int8_t, 2> unpack_base3(const packed_ternary& p)
        {
            return unpack_codes(p, packed_layout::base3, "unpack_base3");
        }
    }  // namespace detail

    using detail::pack_2bit;
    using detail::pack_base3;
    using detail::quantize_pack_2bit;
    using detail::unpack_2bit;
    using detail::unpack_base3;
}  // namespace tessera::ternary
