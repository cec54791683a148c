#pragma once
/// \file dtype.hpp
/// The floating-point storage types the readers understand, and bulk conversion between
/// their (little- or big-endian, possibly unaligned) bytes and float/double arrays.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../core/half.hpp"

namespace tessera::io
{
    /// Element type of a stored tensor.
    enum class dtype
    {
        float16,   ///< IEEE binary16 (numpy `<f2`, safetensors `F16`)
        bfloat16,  ///< bfloat16 (safetensors `BF16`; in .npy stored as `<u2` bit patterns)
        float32,   ///< IEEE binary32 (numpy `<f4`, safetensors `F32`)
        float64    ///< IEEE binary64 (numpy `<f8`, safetensors `F64`)
    };

    namespace detail
    {
        /// Bytes per element of `t`.
        constexpr std::size_t dtype_size(dtype t) noexcept
        {
            return t == dtype::float64 ? 8 : t == dtype::float32 ? 4 : 2;
        }

        /// Name of `t`: "float16", "bfloat16", "float32", "float64".
        inline const char* to_string(dtype t) noexcept
        {
            switch (t)
            {
                case dtype::float16: return "float16";
                case dtype::bfloat16: return "bfloat16";
                case dtype::float32: return "float32";
                case dtype::float64: return "float64";
            }
            return "unknown";
        }

        /// The dtype whose in-memory layout is T (float -> float32, double -> float64).
        template <class T>
        constexpr dtype dtype_of() noexcept
        {
            static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                          "tessera::io::dtype_of<T>: T must be float or double");
            return std::is_same_v<T, float> ? dtype::float32 : dtype::float64;
        }

        template <class U>
        U load_elem(const unsigned char* p, bool swap) noexcept
        {
            unsigned char b[sizeof(U)];
            std::memcpy(b, p, sizeof(U));
            if (swap)
                for (std::size_t i = 0; i < sizeof(U) / 2; ++i)
                {
                    const unsigned char t = b[i];
                    b[i] = b[sizeof(U) - 1 - i];
                    b[sizeof(U) - 1 - i] = t;
                }
            U v;
            std::memcpy(&v, b, sizeof(U));
            return v;
        }

        /// Decodes `n` elements of `t` starting at `src` (any alignment) into `dst`.
        /// `swap` = the bytes are big-endian (the host is little-endian). O(n).
        template <class T>
        void decode(const unsigned char* src, dtype t, bool swap, T* dst, std::size_t n) noexcept
        {
            static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                          "tessera::io::decode<T>: T must be float or double");
            if (n == 0)
                return;
            if (!swap && t == dtype_of<T>())
            {
                std::memcpy(dst, src, n * sizeof(T));
                return;
            }
            switch (t)
            {
                case dtype::float16:
                    if (!swap)  // bulk path, SIMD where available
                    {
                        half_bytes_to(src, dst, n);
                        break;
                    }
                    for (std::size_t i = 0; i < n; ++i)
                        dst[i] = static_cast<T>(half_to_float(load_elem<std::uint16_t>(src + 2 * i, swap)));
                    break;
                case dtype::bfloat16:
                    for (std::size_t i = 0; i < n; ++i)
                        dst[i] = static_cast<T>(bfloat16_to_float(load_elem<std::uint16_t>(src + 2 * i, swap)));
                    break;
                case dtype::float32:
                    for (std::size_t i = 0; i < n; ++i)
                        dst[i] = static_cast<T>(load_elem<float>(src + 4 * i, swap));
                    break;
                case dtype::float64:
                    for (std::size_t i = 0; i < n; ++i)
                        dst[i] = static_cast<T>(load_elem<double>(src + 8 * i, swap));
                    break;
            }
        }

        /// Encodes `n` values of T as little-endian `t` at `dst` (rounding to nearest even
        /// when narrowing). O(n).
        template <class T>
        void encode(const T* src, dtype t, unsigned char* dst, std::size_t n) noexcept
        {
            static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                          "tessera::io::encode<T>: T must be float or double");
            if (n == 0)
                return;
            if (t == dtype_of<T>())
            {
                std::memcpy(dst, src, n * sizeof(T));
                return;
            }
            if (t == dtype::float16)  // bulk path, SIMD where available
            {
                to_half_bytes(src, dst, n);
                return;
            }
            for (std::size_t i = 0; i < n; ++i)
            {
                switch (t)
                {
                    case dtype::float16:
                        break;  // handled above
                    case dtype::bfloat16:
                    {
                        const std::uint16_t b = std::is_same_v<T, float>
                                                    ? float_to_bfloat16(static_cast<float>(src[i]))
                                                    : double_to_bfloat16(static_cast<double>(src[i]));
                        std::memcpy(dst + 2 * i, &b, 2);
                        break;
                    }
                    case dtype::float32:
                    {
                        const auto f = static_cast<float>(src[i]);
                        std::memcpy(dst + 4 * i, &f, 4);
                        break;
                    }
                    case dtype::float64:
                    {
                        const auto d = static_cast<double>(src[i]);
                        std::memcpy(dst + 8 * i, &d, 8);
                        break;
                    }
                }
            }
        }
    }  // namespace detail

    /// Bytes per element of a dtype (2, 2, 4, 8).
    using detail::dtype_size;
    /// Name of a dtype ("float16", ...).
    using detail::to_string;
    /// dtype_of<float>() == dtype::float32, dtype_of<double>() == dtype::float64.
    using detail::dtype_of;
    /// decode(src, t, swap, dst, n): stored bytes of dtype t -> float/double, O(n).
    using detail::decode;
    /// encode(src, t, dst, n): float/double -> little-endian bytes of dtype t, nearest-even, O(n).
    using detail::encode;
}  // namespace tessera::io
