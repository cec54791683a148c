#pragma once
/// \file gguf_dequant.hpp
/// Dequantization of ggml tensor data to float/double, bit for bit as ggml's reference
/// `dequantize_row_*` (ggml-quants.c): the same float operations in the same order, never fused
/// into an FMA. Types: F32, F16, BF16, F64, Q4_0, Q8_0, Q4_K, Q6_K, TQ1_0, TQ2_0.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../../core/errors.hpp"
#include "../../core/parallel.hpp"
#include "../../core/half.hpp"
#include "gguf_tq.hpp"
#include "gguf_types.hpp"

namespace tessera::io
{
    namespace detail
    {
        /// Makes the compiler forget what it knows of `p[0, n)`: products stored there are
        /// rounded to float before any later subtraction (no a*b-c -> fma contraction).
        inline void gguf_rounding_barrier(float* p) noexcept
        {
#if defined(__GNUC__) || defined(__clang__)
            __asm__ volatile("" : : "r"(p) : "memory");
#else
            (void)p;
#endif
        }

        inline float gguf_f16(const unsigned char* p) noexcept
        {
            return half_to_float(static_cast<std::uint16_t>(p[0] | (p[1] << 8)));
        }

        /// Q4_0 block (d, qs[16]) -> 32 floats: y[j] = (lo4 - 8) * d, y[j + 16] = (hi4 - 8) * d.
        inline void dequant_q4_0(const unsigned char* b, float* y) noexcept
        {
            const float d = gguf_f16(b);
            const unsigned char* qs = b + 2;
            for (int j = 0; j < 16; ++j)
            {
                y[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;
                y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
            }
        }

        /// Q8_0 block (d, qs[32] int8) -> 32 floats: y[j] = qs[j] * d.
        inline void dequant_q8_0(const unsigned char* b, float* y) noexcept
        {
            const float d = gguf_f16(b);
            for (int j = 0; j < 32; ++j)
                y[j] = static_cast<float>(static_cast<std::int8_t>(b[2 + j])) * d;
        }

        /// Q4_K block (d, dmin, scales[12] 6-bit (scale, min) pairs, qs[128]) -> 256 floats:
        /// y = (d * sc) * q - (dmin * m) per sub-block of 32.
        inline void dequant_q4_k(const unsigned char* b, float* y) noexcept
        {
            const float d = gguf_f16(b), dmin = gguf_f16(b + 2);
            const unsigned char* s = b + 4;
            const unsigned char* q = b + 16;
            auto scale_min = [s](int j, int& sc, int& m) {
                if (j < 4)
                {
                    sc = s[j] & 63;
                    m = s[j + 4] & 63;
                }
                else
                {
                    sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
                    m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
                }
            };
            for (int j = 0; j < 4; ++j, q += 32, y += 64)
            {
                int sc = 0, m = 0;
                scale_min(2 * j, sc, m);
                const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
                scale_min(2 * j + 1, sc, m);
                const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(m);
                for (int l = 0; l < 32; ++l)
                {
                    y[l] = d1 * static_cast<float>(q[l] & 0xF);
                    y[l + 32] = d2 * static_cast<float>(q[l] >> 4);
                }
                gguf_rounding_barrier(y);
                for (int l = 0; l < 32; ++l)
                {
                    y[l] -= m1;
                    y[l + 32] -= m2;
                }
            }
        }

        /// Q6_K block (ql[128], qh[64], scales[16] int8, d) -> 256 floats: y = d * sc * (q6 - 32).
        inline void dequant_q6_k(const unsigned char* b, float* y) noexcept
        {
            const unsigned char* ql = b;
            const unsigned char* qh = b + 128;
            const auto* sc = reinterpret_cast<const std::int8_t*>(b + 192);
            const float d = gguf_f16(b + 208);
            for (int n = 0; n < 2; ++n, y += 128, ql += 64, qh += 32, sc += 8)
                for (int l = 0; l < 32; ++l)
                {
                    const int is = l / 16;
                    const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                    const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    y[l] = d * static_cast<float>(sc[is + 0]) * static_cast<float>(q1);
                    y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
                    y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
                    y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
                }
        }

        /// TQ2_0 / TQ1_0 block -> 256 floats: y = (q - 1) * d with ggml's code order (gguf_tq.hpp).
        inline void dequant_tq(const unsigned char* b, bool tq2, float* y) noexcept
        {
            std::uint8_t q[256];
            if (tq2)
                read_tq2_block(b, q);
            else
                read_tq1_block(b, q);
            const float d = gguf_f16(b + (tq2 ? 64 : 52));
            for (int k = 0; k < 256; ++k)
                y[k] = static_cast<float>(q[k] - 1) * d;
        }

        /// Dequantizes `nblocks` blocks of ggml type `t` at `src` into floats at `y`.
        inline void dequant_blocks(ggml_type t, const unsigned char* src, std::size_t nblocks, float* y) noexcept
        {
            const ggml_type_traits tr = ggml_traits(static_cast<std::uint32_t>(t));
            for (std::size_t i = 0; i < nblocks; ++i, src += tr.bytes, y += tr.block)
                switch (t)
                {
                    case ggml_type::q4_0: dequant_q4_0(src, y); break;
                    case ggml_type::q8_0: dequant_q8_0(src, y); break;
                    case ggml_type::q4_k: dequant_q4_k(src, y); break;
                    case ggml_type::q6_k: dequant_q6_k(src, y); break;
                    case ggml_type::tq2_0: dequant_tq(src, true, y); break;
                    case ggml_type::tq1_0: dequant_tq(src, false, y); break;
                    default: break;
                }
        }

        /// dst[i] = the i-th little-endian S (float or double) at src (any alignment), as T.
        template <class S, class T>
        void widen_plain(const unsigned char* src, std::size_t count, T* dst) noexcept
        {
            for (std::size_t i = 0; i < count; ++i)
            {
                S v = 0;
                std::memcpy(&v, src + sizeof(S) * i, sizeof(S));
                dst[i] = static_cast<T>(v);
            }
        }

        /// Dequantizes `count` elements of ggml type `t` (a readable type, count a multiple of its
        /// block) from `src` into `dst` (float or double: ggml's float result, widened exactly).
        /// Parallel over chunks of blocks; the result does not depend on the thread count.
        template <class T>
        void dequantize(ggml_type t, const unsigned char* src, std::size_t count, T* dst)
        {
            static_assert(std::is_floating_point_v<T>, "tessera::io::dequantize<T>: T must be float or double");
            require(ggml_type_readable(t), "io::dequantize", "type=", ggml_type_name(t), " (",
                    static_cast<std::uint32_t>(t), ") is not supported");
            const ggml_type_traits tr = ggml_traits(static_cast<std::uint32_t>(t));
            require(count % tr.block == 0, "io::dequantize", "count=", count, " must be a multiple of the ", tr.name,
                    " block of ", tr.block);
            switch (t)
            {
                case ggml_type::f32: widen_plain<float>(src, count, dst); return;
                case ggml_type::f64: widen_plain<double>(src, count, dst); return;
                case ggml_type::f16: half_bytes_to(src, dst, count); return;
                case ggml_type::bf16:
                    for (std::size_t i = 0; i < count; ++i)
                        dst[i] = static_cast<T>(bfloat16_to_float(static_cast<std::uint16_t>(src[2 * i] | (src[2 * i + 1] << 8))));
                    return;
                default: break;
            }
            constexpr std::size_t chunk_blocks = 64;  // 16 Ki elements of K-quants per task
            const std::size_t nblocks = count / tr.block;
            const std::size_t chunks = (nblocks + chunk_blocks - 1) / chunk_blocks;
            parallel_for(0, static_cast<std::ptrdiff_t>(chunks), [&](std::ptrdiff_t c) {
                const std::size_t b0 = static_cast<std::size_t>(c) * chunk_blocks;
                const std::size_t nb = std::min(chunk_blocks, nblocks - b0);
                if constexpr (std::is_same_v<T, float>)
                    dequant_blocks(t, src + b0 * tr.bytes, nb, dst + b0 * tr.block);
                else
                {
                    float buf[256];
                    for (std::size_t b = 0; b < nb; ++b)
                    {
                        dequant_blocks(t, src + (b0 + b) * tr.bytes, 1, buf);
                        for (std::size_t k = 0; k < tr.block; ++k)
                            dst[(b0 + b) * tr.block + k] = static_cast<T>(buf[k]);
                    }
                }
            }, 4);
        }
    }  // namespace detail

    using detail::dequantize;
}  // namespace tessera::io
