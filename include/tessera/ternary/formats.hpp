#pragma once
/// \file formats.hpp
/// Bit-exact converters between tessera's ternary_matrix and the packed formats of the
/// inference engines: llama.cpp/ggml TQ2_0 and TQ1_0, and bitnet.cpp I2_S (layouts in
/// docs/ternary.md). Also ggml's own absmax quantizers for TQ2_0/TQ1_0, so that a float matrix
/// encodes to exactly the bytes ggml writes.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"
#include "../io/detail/gguf_tq.hpp"
#include "../core/half.hpp"
#include "pack.hpp"
#include "quantize.hpp"

namespace tessera::ternary
{
    namespace detail
    {

        // TQ block unpacking is shared with the GGUF reader (io sits below ternary).
        using io::detail::read_tq1_block;
        using io::detail::read_tq2_block;

        inline constexpr std::size_t qk_k = 256;
        inline constexpr std::size_t tq2_block_bytes = 66;
        inline constexpr std::size_t tq1_block_bytes = 54;

        /// One TQ2_0 block from 256 codes q in {0,1,2} and the half bits d.
        inline void write_tq2_block(const std::uint8_t* q, std::uint16_t d, std::uint8_t* out) noexcept
        {
            for (std::size_t j = 0; j < 2; ++j)  // two halves of 128 weights, 32 bytes each
                for (std::size_t m = 0; m < 32; ++m)
                {
                    unsigned v = 0;
                    for (unsigned n = 0; n < 4; ++n)
                        v |= static_cast<unsigned>(q[j * 128 + n * 32 + m]) << (2 * n);
                    out[j * 32 + m] = static_cast<std::uint8_t>(v);
                }
            out[64] = static_cast<std::uint8_t>(d & 0xff);
            out[65] = static_cast<std::uint8_t>(d >> 8);
        }
        /// One TQ1_0 block: qs[32] (elements m+32n), qs[16] (160+m+16n), qh[4] (240+j+4n), d.
        inline void write_tq1_block(const std::uint8_t* q, std::uint16_t d, std::uint8_t* out) noexcept
        {
            auto enc = [](unsigned v) { return static_cast<std::uint8_t>((v * 256 + 242) / 243); };
            for (std::size_t m = 0; m < 32; ++m)
            {
                unsigned v = 0;
                for (std::size_t n = 0; n < 5; ++n)
                    v = v * 3 + q[m + 32 * n];
                out[m] = enc(v);
            }
            for (std::size_t m = 0; m < 16; ++m)
            {
                unsigned v = 0;
                for (std::size_t n = 0; n < 5; ++n)
                    v = v * 3 + q[160 + m + 16 * n];
                out[32 + m] = enc(v);
            }
            for (std::size_t j = 0; j < 4; ++j)
            {
                unsigned v = 0;
                for (std::size_t n = 0; n < 4; ++n)
                    v = v * 3 + q[240 + j + 4 * n];
                out[48 + j] = enc(v * 3);
            }
            out[52] = static_cast<std::uint8_t>(d & 0xff);
            out[53] = static_cast<std::uint8_t>(d >> 8);
        }

        enum class tq_kind
        {
            tq2_0,
            tq1_0
        };

        /// Block size in bytes of a TQ format.
        inline std::size_t tq_block_bytes(tq_kind k) noexcept { return k == tq_kind::tq2_0 ? tq2_block_bytes : tq1_block_bytes; }

        inline const char* tq_name(tq_kind k) noexcept { return k == tq_kind::tq2_0 ? "TQ2_0" : "TQ1_0"; }

        /// fp16 bits of a TQ scale `s` for block (row, block) of a matrix, refusing a scale whose
        /// float16 would be inf/NaN (|s| >= 65520), or 0 for a nonzero s (|s| <= 2^-25) unless `zero_ok` (ggml's own quantizer
        /// writes d = 0 for a block with max|x| <= 2^-25, and encode_tq* stays bit-exact with it).
        inline std::uint16_t tq_scale_bits(float s, std::size_t row, std::size_t block, const char* fn, const char* what,
                                           bool zero_ok = false)
        {
            const std::uint16_t d = float_to_half(s);
            const bool overflow = (d & 0x7c00u) == 0x7c00u;
            const bool underflow = !zero_ok && s != 0.0f && (d & 0x7fffu) == 0;
            require(!overflow, fn, what, "=", s, " of row ", row, ", block ", block,
                    " would be stored as float16 d=inf: the magnitude must be below 65520");
            require(!underflow, fn, what, "=", s, " of row ", row, ", block ", block,
                    " would be stored as float16 d=0 (its weights lost): a nonzero scale must exceed 2^-25 = 2.98e-08");
            return d;
        }

        /// Requires a row length `what`=C that splits into whole TQ blocks of 256.
        inline void require_tq_cols(std::size_t C, tq_kind kind, const char* fn, const char* what)
        {
            require(C > 0 && C % qk_k == 0, fn, what, "=", C, " must be a positive multiple of 256 (", tq_name(kind),
                    " blocks)");
        }

        /// R rows of C / 256 TQ blocks of `kind`: `fill(i, b, q)` stores the 256 codes + 1 of
        /// block b of row i in q and returns the block's float16 scale bits.
        template <class Fill>
        std::vector<std::uint8_t> write_tq_blocks(std::size_t R, std::size_t C, tq_kind kind, Fill&& fill)
        {
            const std::size_t nb = C / qk_k, bb = tq_block_bytes(kind);
            std::vector<std::uint8_t> out(R * nb * bb);
            std::uint8_t q[qk_k];
            for (std::size_t i = 0; i < R; ++i)
                for (std::size_t b = 0; b < nb; ++b)
                {
                    const std::uint16_t d = fill(i, b, q);
                    std::uint8_t* o = out.data() + (i * nb + b) * bb;
                    if (kind == tq_kind::tq2_0)
                        write_tq2_block(q, d, o);
                    else
                        write_tq1_block(q, d, o);
                }
            return out;
        }

        /// ggml's reference quantizer (quantize_row_tq2_0_ref / tq1_0_ref) on a float matrix.
        inline std::vector<std::uint8_t> encode_tq(const xt::xtensor<float, 2>& W, tq_kind kind, const char* fn)
        {
            const std::size_t R = W.shape(0), C = W.shape(1);
            require_tq_cols(C, kind, fn, "row length");
            require_finite(W, fn, "W");
            return write_tq_blocks(R, C, kind, [&](std::size_t i, std::size_t b, std::uint8_t* q) {
                const float* x = W.data() + i * C + b * qk_k;
                float amax = 0.0f;
                for (std::size_t k = 0; k < qk_k; ++k)
                    amax = std::fmax(amax, std::fabs(x[k]));
                const float id = amax != 0.0f ? 1.0f / amax : 0.0f;
                for (std::size_t k = 0; k < qk_k; ++k)
                    q[k] = static_cast<std::uint8_t>(std::lround(x[k] * id) + 1);
                return tq_scale_bits(amax, i, b, fn, "max|W|", true);
            });
        }

        /// tessera codes and scales -> TQ bytes; every 256-block must lie in one scale group.
        template <class T>
        std::vector<std::uint8_t> to_tq(const ternary_matrix<T>& m, tq_kind kind, const char* fn)
        {
            require_tq_cols(m.cols(), kind, fn, "cols");
            require(m.group_size() % qk_k == 0, fn, "group_size=", m.group_size(),
                    " must be a multiple of 256: a ", tq_name(kind), " block has one scale");
            return write_tq_blocks(m.rows(), m.cols(), kind, [&](std::size_t i, std::size_t b, std::uint8_t* q) {
                for (std::size_t k = 0; k < qk_k; ++k)
                    q[k] = static_cast<std::uint8_t>(m.codes()(i, b * qk_k + k) + 1);
                return tq_scale_bits(m.scales()(i, b * qk_k / m.group_size()), i, b, fn, "scale");
            });
        }

        inline ternary_matrix<float> from_tq(const std::uint8_t* data, std::size_t size, std::size_t rows,
                                             std::size_t cols, tq_kind kind, const char* fn)
        {
            require_tq_cols(cols, kind, fn, "cols");
            const std::size_t nb = cols / qk_k, bb = tq_block_bytes(kind);
            require(size == rows * nb * bb, fn, "buffer of ", size, " bytes does not match shape [", rows, ", ", cols,
                    "]: expected ", rows * nb * bb, " bytes");
            xt::xtensor<std::int8_t, 2> codes = xt::xtensor<std::int8_t, 2>::from_shape({rows, cols});
            xt::xtensor<float, 2> scales = xt::xtensor<float, 2>::from_shape({rows, nb});
            std::uint8_t q[qk_k];
            for (std::size_t i = 0; i < rows; ++i)
                for (std::size_t b = 0; b < nb; ++b)
                {
                    const std::uint8_t* in = data + (i * nb + b) * bb;
                    if (kind == tq_kind::tq2_0)
                        read_tq2_block(in, q);
                    else
                        read_tq1_block(in, q);
                    for (std::size_t k = 0; k < qk_k; ++k)
                    {
                        require(q[k] <= 2, fn, "block (", i, ", ", b, ") holds invalid code ", int(q[k]), " at ", k);
                        codes(i, b * qk_k + k) = static_cast<std::int8_t>(q[k] - 1);
                    }
                    const std::size_t off = kind == tq_kind::tq2_0 ? 64 : 52;
                    scales(i, b) = half_to_float(static_cast<std::uint16_t>(in[off] | (in[off + 1] << 8)));
                    require(std::isfinite(scales(i, b)), fn, "block (", i, ", ", b, ") has a non-finite d=", scales(i, b),
                            " (float16 at byte offset ", (i * nb + b) * bb + off, ")");
                }
            return ternary_matrix<float>(std::move(codes), std::move(scales), qk_k, scale_granularity::per_group);
        }

        /// ggml's TQ2_0 encoding of a float matrix [rows, cols] (quantize_row_tq2_0_ref): per block
        /// of 256, d = fp16(max|x|), q = lroundf(x/max|x|)+1; `qs[64]` then `d` (66 bytes per block).
        /// \throws tessera::invalid_argument if cols is not a positive multiple of 256.
        inline std::vector<std::uint8_t> encode_tq2_0(const xt::xtensor<float, 2>& W)
        {
            return encode_tq(W, tq_kind::tq2_0, "ternary::encode_tq2_0");
        }
        /// ggml's TQ1_0 encoding of a float matrix (quantize_row_tq1_0_ref), 54 bytes per 256.
        inline std::vector<std::uint8_t> encode_tq1_0(const xt::xtensor<float, 2>& W)
        {
            return encode_tq(W, tq_kind::tq1_0, "ternary::encode_tq1_0");
        }
        /// tessera -> TQ2_0: codes bit-exact, d = fp16(tessera scale of the block's group).
        /// \throws tessera::invalid_argument if cols % 256 != 0 or group_size % 256 != 0.
        template <class T>
        std::vector<std::uint8_t> to_tq2_0(const ternary_matrix<T>& m)
        {
            return to_tq(m, tq_kind::tq2_0, "ternary::to_tq2_0");
        }
        /// tessera -> TQ1_0 (as to_tq2_0, 54-byte base-3 blocks).
        template <class T>
        std::vector<std::uint8_t> to_tq1_0(const ternary_matrix<T>& m)
        {
            return to_tq(m, tq_kind::tq1_0, "ternary::to_tq1_0");
        }
        /// TQ2_0 bytes of a [rows, cols] matrix -> ternary_matrix<float> (group_size 256, scale = d).
        /// \throws tessera::invalid_argument if cols % 256 != 0, the size is not rows*cols/256*66,
        ///         or a code is 3.
        inline ternary_matrix<float> from_tq2_0(const std::vector<std::uint8_t>& b, std::size_t rows, std::size_t cols)
        {
            return from_tq(b.data(), b.size(), rows, cols, tq_kind::tq2_0, "ternary::from_tq2_0");
        }
        /// TQ1_0 bytes -> ternary_matrix<float> (group_size 256, scale = d).
        inline ternary_matrix<float> from_tq1_0(const std::vector<std::uint8_t>& b, std::size_t rows, std::size_t cols)
        {
            return from_tq(b.data(), b.size(), rows, cols, tq_kind::tq1_0, "ternary::from_tq1_0");
        }

        /// tessera -> bitnet.cpp I2_S: the matrix flattened row-major into blocks of 128 weights in
        /// 32 bytes, weight j of a block at bits 6-2*(j/32) of byte j%32, code = w+1; then one
        /// little-endian fp32 per-tensor scale. Size rows*cols/4 + 4.
        /// \throws tessera::invalid_argument if cols % 128 != 0 or the scales are not all equal
        ///         (I2_S has one scale: quantize with scale_granularity::per_tensor).
        template <class T>
        std::vector<std::uint8_t> to_i2_s(const ternary_matrix<T>& m)
        {
            const char* fn = "ternary::to_i2_s";
            const std::size_t R = m.rows(), C = m.cols();
            require(C > 0 && C % 128 == 0, fn, "cols=", C, " must be a positive multiple of 128 (I2_S blocks)");
            const float s = m.scales()(0, 0);
            for (float v : m.scales())
                require(v == s, fn, "I2_S has one per-tensor scale but the scales differ (", s, " vs ", v,
                        "); quantize with scale_granularity::per_tensor");
            std::vector<std::uint8_t> out(R * C / 4 + 4, 0);
            const std::int8_t* c = m.codes().data();
            for (std::size_t blk = 0; blk < R * C / 128; ++blk)
                for (std::size_t j = 0; j < 128; ++j)
                    out[blk * 32 + j % 32] |= static_cast<std::uint8_t>((c[blk * 128 + j] + 1) << (6 - 2 * (j / 32)));
            std::memcpy(out.data() + R * C / 4, &s, 4);
            return out;
        }
        /// bitnet.cpp I2_S bytes -> ternary_matrix<float> with one per-tensor scale.
        /// \throws tessera::invalid_argument if cols % 128 != 0, size != rows*cols/4 + 4, or a code is 3.
        inline ternary_matrix<float> from_i2_s(const std::vector<std::uint8_t>& b, std::size_t rows, std::size_t cols)
        {
            const char* fn = "ternary::from_i2_s";
            require(cols > 0 && cols % 128 == 0, fn, "cols=", cols, " must be a positive multiple of 128 (I2_S blocks)");
            require(b.size() == rows * cols / 4 + 4, fn, "buffer of ", b.size(), " bytes does not match shape [", rows,
                    ", ", cols, "]: expected ", rows * cols / 4 + 4, " bytes");
            xt::xtensor<std::int8_t, 2> codes = xt::xtensor<std::int8_t, 2>::from_shape({rows, cols});
            std::int8_t* c = codes.data();
            for (std::size_t blk = 0; blk < rows * cols / 128; ++blk)
                for (std::size_t j = 0; j < 128; ++j)
                {
                    const unsigned q = (b[blk * 32 + j % 32] >> (6 - 2 * (j / 32))) & 3u;
                    require(q <= 2, fn, "weight ", blk * 128 + j, " holds invalid code 3");
                    c[blk * 128 + j] = static_cast<std::int8_t>(static_cast<int>(q) - 1);
                }
            float s;
            std::memcpy(&s, b.data() + rows * cols / 4, 4);
            xt::xtensor<float, 2> scales = xt::xtensor<float, 2>::from_shape({rows, std::size_t(1)});
            scales.fill(s);
            return ternary_matrix<float>(std::move(codes), std::move(scales), cols, scale_granularity::per_tensor);
        }
    }  // namespace detail

    using detail::encode_tq1_0, detail::encode_tq2_0, detail::from_i2_s, detail::from_tq1_0,
        detail::from_tq2_0, detail::to_i2_s, detail::to_tq1_0, detail::to_tq2_0;
}  // namespace tessera::ternary
