#pragma once
/// \file layout.hpp
/// Byte-level formulas of tessera's two packed ternary layouts (internal): the aligned byte
/// buffer, row strides, the 2-bit row writer, and the base-3 slot geometry with its position
/// formulas in both directions (base3_pos / base3_weight), the single source that packing,
/// unpacking, the scalar reference and the activation plans use. See docs/ternary.md.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

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
    }  // namespace detail
}  // namespace tessera::ternary
