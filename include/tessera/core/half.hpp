#pragma once
/// \file half.hpp
/// IEEE 754 binary16 ("float16", numpy `<f2`) and bfloat16 (the upper 16 bits of a binary32)
/// conversions to and from float and double, rounding to nearest, ties to even.
///
/// Conventions: a 16-bit value is carried as its bit pattern in a `std::uint16_t`. Widening
/// (16 -> 32 bits) is exact for every pattern: subnormals become normal floats, infinities
/// stay infinite, and NaNs stay NaN with sign and payload preserved (shifted into the high
/// mantissa bits). Narrowing rounds to nearest, ties to even, overflows to +-infinity, keeps
/// signed zeros, flushes nothing (float16 subnormals are produced), and maps every NaN to a
/// quiet NaN of the same sign that keeps the top payload bits.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "cpu.hpp"

#if defined(TESSERA_X86_DISPATCH)
#include <immintrin.h>
#endif

namespace tessera
{
    namespace detail
    {
        inline std::uint32_t float_bits(float f) noexcept
        {
            std::uint32_t u = 0;
            std::memcpy(&u, &f, sizeof u);
            return u;
        }
        inline float bits_float(std::uint32_t u) noexcept
        {
            float f = 0.0f;
            std::memcpy(&f, &u, sizeof f);
            return f;
        }

        /// binary16 bits -> float, exact for all 65,536 patterns.
        inline float half_to_float(std::uint16_t h) noexcept
        {
            const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
            const std::uint32_t exp = (h >> 10) & 0x1fu;
            std::uint32_t mant = h & 0x3ffu;
            if (exp == 0x1fu)  // infinity or NaN: payload kept in the high mantissa bits
                return bits_float(sign | 0x7f800000u | (mant << 13));
            if (exp != 0)  // normal: rebias 15 -> 127
                return bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
            if (mant == 0)
                return bits_float(sign);  // signed zero
            // subnormal: mant * 2^-24; normalise so the leading one becomes implicit
            std::uint32_t e = 113u;  // exponent field of 2^-14
            while ((mant & 0x400u) == 0)
            {
                mant <<= 1;
                --e;
            }
            return bits_float(sign | (e << 23) | ((mant & 0x3ffu) << 13));
        }

        /// float -> binary16 bits, round to nearest, ties to even.
        inline std::uint16_t float_to_half(float f) noexcept
        {
            std::uint32_t x = float_bits(f);
            const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
            x &= 0x7fffffffu;
            if (x >= 0x7f800000u)  // inf or NaN
            {
                if (x == 0x7f800000u)
                    return static_cast<std::uint16_t>(sign | 0x7c00u);
                return static_cast<std::uint16_t>(sign | 0x7e00u | ((x >> 13) & 0x3ffu));  // quiet NaN
            }
            if (x >= 0x477ff000u)  // >= 65520 = halfway between 65504 (odd) and 2^16: infinity
                return static_cast<std::uint16_t>(sign | 0x7c00u);
            if (x >= 0x38800000u)  // normal binary16 range (>= 2^-14)
            {
                x += 0xfffu + ((x >> 13) & 1u);  // round to nearest even on the 13 dropped bits
                return static_cast<std::uint16_t>(sign | ((x - 0x38000000u) >> 13));
            }
            if (x <= 0x33000000u)  // <= 2^-25: rounds to (signed) zero, 2^-25 is a tie to even 0
                return sign;
            // binary16 subnormal: round(value * 2^24) with ties to even
            const std::uint32_t m = (x & 0x7fffffu) | 0x800000u;
            const std::uint32_t shift = 126u - (x >> 23);  // in [14, 24]
            std::uint32_t q = m >> shift;
            const std::uint32_t rem = m & ((1u << shift) - 1u);
            const std::uint32_t halfway = 1u << (shift - 1u);
            if (rem > halfway || (rem == halfway && (q & 1u)))
                ++q;
            return static_cast<std::uint16_t>(sign | q);
        }

        /// double -> float rounded to odd (truncate, then set the last bit if inexact). A value
        /// rounded to odd in 24 bits, then to nearest-even in <= 22 bits, equals a direct
        /// nearest-even rounding of the double: no double-rounding error.
        inline float round_to_odd_float(double d) noexcept
        {
            float f = static_cast<float>(d);
            if (std::isnan(d) || static_cast<double>(f) == d)
                return f;
            if (std::fabs(static_cast<double>(f)) > std::fabs(d))  // rounded away from zero: step back
                f = std::nextafter(f, 0.0f);
            return bits_float(float_bits(f) | 1u);
        }

        /// double -> binary16 bits, a single correct rounding (nearest, ties to even).
        inline std::uint16_t double_to_half(double d) noexcept { return float_to_half(round_to_odd_float(d)); }

        /// bfloat16 bits -> float (exact: the bits are the high half of a binary32).
        inline float bfloat16_to_float(std::uint16_t b) noexcept
        {
            return bits_float(static_cast<std::uint32_t>(b) << 16);
        }

        /// float -> bfloat16 bits, round to nearest, ties to even; NaN stays a quiet NaN.
        inline std::uint16_t float_to_bfloat16(float f) noexcept
        {
            const std::uint32_t x = float_bits(f);
            if ((x & 0x7fffffffu) > 0x7f800000u)
                return static_cast<std::uint16_t>((x >> 16) | 0x40u);
            return static_cast<std::uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
        }

        /// double -> bfloat16 bits, a single correct rounding (nearest, ties to even).
        inline std::uint16_t double_to_bfloat16(double d) noexcept { return float_to_bfloat16(round_to_odd_float(d)); }

#if defined(TESSERA_X86_DISPATCH)
        TESSERA_TARGET_AVX2_BEGIN
        /// F16C widening of the first n - n % 8 values (vcvtph2ps, exact); returns their count.
        inline std::size_t half_bytes_to_f16c(const unsigned char* src, float* dst, std::size_t n) noexcept
        {
            std::size_t i = 0;
            for (; i + 8 <= n; i += 8)
                _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * i))));
            return i;
        }
        /// F16C rounding of the first n - n % 8 floats (vcvtps2ph, nearest-even); returns their count.
        inline std::size_t to_half_bytes_f16c(const float* src, unsigned char* dst, std::size_t n) noexcept
        {
            std::size_t i = 0;
            for (; i + 8 <= n; i += 8)
                _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 2 * i),
                                 _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
            return i;
        }
        TESSERA_TARGET_END
#endif
        /// The F16C conversions for any other types, or on builds without x86 dispatch: none
        /// converted (never reached: f16c_available() is false there).
        template <class S, class D>
        inline std::size_t half_bytes_to_f16c(const S*, D*, std::size_t) noexcept
        {
            return 0;
        }
        template <class S, class D>
        inline std::size_t to_half_bytes_f16c(const S*, D*, std::size_t) noexcept
        {
            return 0;
        }

        /// True when the F16C bulk conversions serve T: T = float on an x86 dispatch build whose
        /// CPU has them (run-time SIMD level above scalar, core/cpu.hpp).
        template <class T>
        inline bool f16c_available() noexcept
        {
#if defined(TESSERA_X86_DISPATCH)
            if constexpr (std::is_same_v<T, float>)
                return tessera::simd_dispatch_level() != tessera::simd_level::scalar;
#endif
            return false;
        }

        /// Converts `n` little-endian binary16 values at `src` (any alignment) to T. On CPUs with
        /// F16C (chosen at run time, core/cpu.hpp) eight floats go per instruction; the scalar
        /// loop handles the rest and other machines. Both give identical values (a signalling NaN
        /// may come back quieted).
        template <class T>
        void half_bytes_to(const unsigned char* src, T* dst, std::size_t n) noexcept
        {
            const std::size_t i = f16c_available<T>() ? half_bytes_to_f16c(src, dst, n) : 0;
            const unsigned char* p = src + 2 * i;
            for (T* q = dst + i; q != dst + n; ++q, p += 2)
            {
                std::uint16_t h = 0;
                std::memcpy(&h, p, 2);
                *q = static_cast<T>(half_to_float(h));
            }
        }

        /// Converts `n` binary16 patterns to T (float or double); see half_bytes_to.
        template <class T>
        void half_to(const std::uint16_t* src, T* dst, std::size_t n) noexcept
        {
            half_bytes_to(reinterpret_cast<const unsigned char*>(src), dst, n);
        }

        /// Converts `n` bfloat16 patterns to T (float or double).
        template <class T>
        void bfloat16_to(const std::uint16_t* src, T* dst, std::size_t n) noexcept
        {
            for (std::size_t i = 0; i < n; ++i)
                dst[i] = static_cast<T>(bfloat16_to_float(src[i]));
        }

        /// Rounds `n` values of T to little-endian binary16 at `dst` (any alignment), nearest-even
        /// (F16C for float on CPUs that have it, chosen at run time; bit-identical to the scalar
        /// path including NaNs).
        template <class T>
        void to_half_bytes(const T* src, unsigned char* dst, std::size_t n) noexcept
        {
            const std::size_t i = f16c_available<T>() ? to_half_bytes_f16c(src, dst, n) : 0;
            unsigned char* p = dst + 2 * i;
            for (const T* q = src + i; q != src + n; ++q, p += 2)
            {
                std::uint16_t h = 0;
                if constexpr (std::is_same_v<T, float>)
                    h = float_to_half(*q);
                else
                    h = double_to_half(static_cast<double>(*q));
                std::memcpy(p, &h, 2);
            }
        }

        /// Rounds `n` values of T (float or double) to binary16 patterns; see to_half_bytes.
        template <class T>
        void to_half(const T* src, std::uint16_t* dst, std::size_t n) noexcept
        {
            to_half_bytes(src, reinterpret_cast<unsigned char*>(dst), n);
        }

        /// Rounds `n` values of T (float or double) to bfloat16, nearest-even.
        template <class T>
        void to_bfloat16(const T* src, std::uint16_t* dst, std::size_t n) noexcept
        {
            for (std::size_t i = 0; i < n; ++i)
            {
                if constexpr (std::is_same_v<T, float>)
                    dst[i] = float_to_bfloat16(src[i]);
                else
                    dst[i] = double_to_bfloat16(static_cast<double>(src[i]));
            }
        }
    }  // namespace detail

    /// \fn half_to_float
    /// Widens a binary16 bit pattern to float, exactly. \f$(-1)^s 2^{e-15}(1+m/2^{10})\f$ for
    /// normals, \f$(-1)^s 2^{-24} m\f$ for subnormals; infinities and NaNs (payload kept) map over.
    using detail::half_to_float;
    /// Rounds a float to the nearest binary16 (ties to even); |x| >= 65520 becomes infinity,
    /// values below 2^-14 become subnormals, NaN becomes a quiet NaN of the same sign.
    using detail::float_to_half;
    /// Rounds a double to the nearest binary16 in one correct rounding (via round-to-odd).
    using detail::double_to_half;
    /// Widens a bfloat16 bit pattern to float, exactly (the pattern is the high half of the float).
    using detail::bfloat16_to_float;
    /// Rounds a float to the nearest bfloat16 (ties to even); NaN stays a quiet NaN.
    using detail::float_to_bfloat16;
    /// Rounds a double to the nearest bfloat16 in one correct rounding (via round-to-odd).
    using detail::double_to_bfloat16;
    /// Bulk conversions: `half_to(src, dst, n)`, `bfloat16_to`, `to_half`, `to_bfloat16`
    /// over float or double arrays; O(n), no allocation.
    using detail::bfloat16_to, detail::half_bytes_to, detail::half_to, detail::to_bfloat16, detail::to_half,
        detail::to_half_bytes;
}  // namespace tessera
