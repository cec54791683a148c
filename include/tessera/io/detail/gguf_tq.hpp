#pragma once
/// \file gguf_tq.hpp
/// The byte layout of ggml's ternary blocks TQ2_0 (66 bytes per 256 weights) and TQ1_0
/// (54 bytes): unpacking a block into its 256 codes in ggml's element order. Shared by the GGUF
/// reader (io) and tessera's TQ converters (ternary/formats.hpp), so the layout lives in one place
/// on the lower layer (core <- io <- ternary).

#include <cstddef>
#include <cstdint>

namespace tessera::io
{
    namespace detail
    {
        /// Digit n of a TQ1_0 byte b (ggml's fixed-point base-3: (uint8(b * 3^n) * 3) >> 8).
        inline std::uint8_t tq1_digit(std::uint8_t b, unsigned n) noexcept
        {
            static constexpr unsigned pow3[5] = {1, 3, 9, 27, 81};
            const auto y = static_cast<std::uint8_t>(b * pow3[n]);
            return static_cast<std::uint8_t>((y * 3u) >> 8);
        }

        /// The 256 codes q in {0, 1, 2, 3} of a TQ2_0 block (`qs[64]`, then the fp16 scale d):
        /// element j*128 + n*32 + m is bits 2n of byte j*32 + m (ggml dequantize_row_tq2_0).
        inline void read_tq2_block(const std::uint8_t* in, std::uint8_t* q) noexcept
        {
            for (std::size_t j = 0; j < 2; ++j)
                for (unsigned n = 0; n < 4; ++n)
                    for (std::size_t m = 0; m < 32; ++m)
                        q[j * 128 + n * 32 + m] = static_cast<std::uint8_t>((in[j * 32 + m] >> (2 * n)) & 3u);
        }

        /// The 256 codes q in {0, 1, 2} of a TQ1_0 block (`qs[48]`, `qh[4]`, then d): elements
        /// m + 32n from qs[m] (m < 32), 160 + m + 16n from qs[32 + m], 240 + j + 4n from qh[j]
        /// (ggml dequantize_row_tq1_0).
        inline void read_tq1_block(const std::uint8_t* in, std::uint8_t* q) noexcept
        {
            for (unsigned n = 0; n < 5; ++n)
                for (std::size_t m = 0; m < 32; ++m)
                    q[m + 32 * n] = tq1_digit(in[m], n);
            for (unsigned n = 0; n < 5; ++n)
                for (std::size_t m = 0; m < 16; ++m)
                    q[160 + m + 16 * n] = tq1_digit(in[32 + m], n);
            for (unsigned n = 0; n < 4; ++n)
                for (std::size_t j = 0; j < 4; ++j)
                    q[240 + j + 4 * n] = tq1_digit(in[48 + j], n);
        }
    }  // namespace detail
}  // namespace tessera::io
