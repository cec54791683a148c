#pragma once
/// \file random.hpp
/// Counter-based random numbers (Philox-4x32-10, Salmon et al., SC'11): the value drawn at
/// position i depends only on (seed, stream, i), never on call order or thread count, so
/// every randomized function in tessera gives bitwise-identical results for a given seed
/// whatever the OpenMP thread count.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <unordered_set>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "errors.hpp"
#include "memory.hpp"
#include "parallel.hpp"

namespace tessera
{
    namespace detail
    {
        inline void mulhilo32(std::uint32_t a, std::uint32_t b, std::uint32_t& hi, std::uint32_t& lo) noexcept
        {
            const std::uint64_t p = static_cast<std::uint64_t>(a) * b;
            hi = static_cast<std::uint32_t>(p >> 32);
            lo = static_cast<std::uint32_t>(p);
        }
    }  // namespace detail

    /// Philox-4x32 with 10 rounds: a bijection of a 128-bit counter under a 64-bit key.
    /// Matches the Random123 known-answer vectors (tested).
    inline std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> ctr,
                                                      std::array<std::uint32_t, 2> key) noexcept
    {
        constexpr std::uint32_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;
        constexpr std::uint32_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;
        for (int round = 0; round < 10; ++round)
        {
            if (round > 0)
            {
                key[0] += w0;
                key[1] += w1;
            }
            std::uint32_t hi0, lo0, hi1, lo1;
            detail::mulhilo32(m0, ctr[0], hi0, lo0);
            detail::mulhilo32(m1, ctr[2], hi1, lo1);
            ctr = {hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0};
        }
        return ctr;
    }

    /// A stateless counter-based generator: `(seed, stream)` select the sequence and every
    /// draw names its position `index` explicitly.
    ///
    /// Conventions (fixed; changing them changes every seeded result in the library):
    /// - block(i) = philox4x32_10({lo(i), hi(i), lo(stream), hi(stream)}, {lo(seed), hi(seed)})
    /// - uniform<double>(i) = (bits64(i) >> 11) * 2^-53 in [0, 1); uniform<float>(i) = (word0 >> 8) * 2^-24
    /// - normal<T>(i): Box-Muller on block(i / 2); even i takes the cosine, odd i the sine
    ///   branch; computed in double and rounded to T.
    class counter_rng
    {
        __extension__ using uint128 = unsigned __int128;

    public:
        explicit counter_rng(std::uint64_t seed = 0, std::uint64_t stream = 0) noexcept
            : m_seed(seed), m_stream(stream)
        {
        }

        std::uint64_t seed() const noexcept { return m_seed; }
        std::uint64_t stream() const noexcept { return m_stream; }

        /// A generator of the same seed on another stream (an independent sequence).
        counter_rng with_stream(std::uint64_t stream) const noexcept { return counter_rng(m_seed, stream); }

        /// The four 32-bit words at position `index`.
        std::array<std::uint32_t, 4> block(std::uint64_t index) const noexcept
        {
            return philox4x32_10({lo(index), hi(index), lo(m_stream), hi(m_stream)}, {lo(m_seed), hi(m_seed)});
        }

        /// 64 random bits at position `index`.
        std::uint64_t bits64(std::uint64_t index) const noexcept
        {
            const auto b = block(index);
            return (static_cast<std::uint64_t>(b[1]) << 32) | b[0];
        }

        /// Uniform on [0, 1) at position `index`.
        template <class T>
        T uniform(std::uint64_t index) const noexcept
        {
            if constexpr (std::is_same_v<T, float>)
                return static_cast<float>(block(index)[0] >> 8) * 0x1.0p-24f;
            else
                return static_cast<T>(static_cast<double>(bits64(index) >> 11) * 0x1.0p-53);
        }

        /// Standard normal N(0, 1) at position `index` (see class comment for the convention).
        template <class T>
        T normal(std::uint64_t index) const noexcept
        {
            double c, s;
            box_muller(index >> 1, c, s);
            return static_cast<T>((index & 1u) ? s : c);
        }

        /// Uniform integer in [0, n) at position `index` (multiply-shift on 64 bits; bias
        /// below n / 2^64). Requires n > 0.
        std::uint64_t uniform_index(std::uint64_t index, std::uint64_t n) const noexcept
        {
            return static_cast<std::uint64_t>((static_cast<uint128>(bits64(index)) * n) >> 64);
        }

        /// -1 or +1 with probability 1/2 each at position `index`.
        int rademacher(std::uint64_t index) const noexcept { return (block(index)[0] & 1u) ? 1 : -1; }

        /// +1 and -1 with probability density/2 each, 0 otherwise (density in [0, 1]).
        int sparse_sign(std::uint64_t index, double density) const noexcept
        {
            const double u = static_cast<double>(bits64(index) >> 11) * 0x1.0p-53;
            if (u < 0.5 * density)
                return -1;
            if (u < density)
                return 1;
            return 0;
        }

        /// Both Box-Muller outputs of pair `pair` (positions 2*pair and 2*pair + 1).
        void box_muller(std::uint64_t pair, double& cos_value, double& sin_value) const noexcept
        {
            const auto b = block(pair);
            const std::uint64_t x = (static_cast<std::uint64_t>(b[1]) << 32) | b[0];
            const std::uint64_t y = (static_cast<std::uint64_t>(b[3]) << 32) | b[2];
            const double u1 = static_cast<double>((x >> 11) + 1) * 0x1.0p-53;  // (0, 1]
            const double u2 = static_cast<double>(y >> 11) * 0x1.0p-53;        // [0, 1)
            const double r = std::sqrt(-2.0 * std::log(u1));
            constexpr double two_pi = 6.283185307179586476925286766559;
            cos_value = r * std::cos(two_pi * u2);
            sin_value = r * std::sin(two_pi * u2);
        }

    private:
        static std::uint32_t lo(std::uint64_t v) noexcept { return static_cast<std::uint32_t>(v); }
        static std::uint32_t hi(std::uint64_t v) noexcept { return static_cast<std::uint32_t>(v >> 32); }
        std::uint64_t m_seed;
        std::uint64_t m_stream;
    };

    namespace detail
    {
        constexpr std::ptrdiff_t rng_chunk = 4096;
    }

    /// Fills out[0..count) with N(0,1) * scale, element i taking position `offset + i` of
    /// `rng` (`offset` must be even). OpenMP-parallel; identical output at any thread count.
    template <class T>
    void fill_normal(T* out, std::size_t count, const counter_rng& rng, T scale = T(1), std::uint64_t offset = 0)
    {
        require(offset % 2 == 0, "tessera::fill_normal", "offset must be even, got ", offset);
        const auto chunks = static_cast<std::ptrdiff_t>((count + detail::rng_chunk - 1) / detail::rng_chunk);
        parallel_for(0, chunks, [&](std::ptrdiff_t c) {
            const std::size_t begin = static_cast<std::size_t>(c) * detail::rng_chunk;
            const std::size_t end = std::min(count, begin + static_cast<std::size_t>(detail::rng_chunk));
            for (std::size_t i = begin; i < end; i += 2)
            {
                double cv, sv;
                rng.box_muller((offset + i) >> 1, cv, sv);
                out[i] = static_cast<T>(cv) * scale;
                if (i + 1 < end)
                    out[i + 1] = static_cast<T>(sv) * scale;
            }
        });
    }

    /// Fills out[0..count) with uniform values on [low, high), element i at position offset + i.
    template <class T>
    void fill_uniform(T* out, std::size_t count, const counter_rng& rng, T low = T(0), T high = T(1),
                      std::uint64_t offset = 0)
    {
        const auto chunks = static_cast<std::ptrdiff_t>((count + detail::rng_chunk - 1) / detail::rng_chunk);
        parallel_for(0, chunks, [&](std::ptrdiff_t c) {
            const std::size_t begin = static_cast<std::size_t>(c) * detail::rng_chunk;
            const std::size_t end = std::min(count, begin + static_cast<std::size_t>(detail::rng_chunk));
            for (std::size_t i = begin; i < end; ++i)
                out[i] = low + (high - low) * rng.uniform<T>(offset + i);
        });
    }

    /// A [rows, cols] matrix of N(0, 1) * scale entries; entry (i, j) is position i*cols + j.
    /// Huge pages are advised for 4 MiB and more (detail::fresh_tensor, as numpy does for its
    /// arrays): a GEMM reading a 545 MB operand from huge pages ran 1.5-9 % faster here.
    template <class T>
    xt::xtensor<T, 2> random_normal(std::size_t rows, std::size_t cols, std::uint64_t seed, std::uint64_t stream = 0,
                                    T scale = T(1))
    {
        xt::xtensor<T, 2> m = tessera::detail::fresh_tensor<T, 2>({rows, cols});
        fill_normal(m.data(), m.size(), counter_rng(seed, stream), scale);
        return m;
    }

    /// A [rows, cols] matrix of uniform entries on [low, high) (huge pages as random_normal).
    template <class T>
    xt::xtensor<T, 2> random_uniform(std::size_t rows, std::size_t cols, std::uint64_t seed, std::uint64_t stream = 0,
                                     T low = T(0), T high = T(1))
    {
        xt::xtensor<T, 2> m = tessera::detail::fresh_tensor<T, 2>({rows, cols});
        fill_uniform(m.data(), m.size(), counter_rng(seed, stream), low, high);
        return m;
    }

    /// Writes k distinct indices from [0, n) to out[0..k) (Floyd's algorithm), using
    /// positions first_index .. first_index + k - 1 of `rng`. Deterministic; O(k^2) for
    /// k <= 64 (no allocation: suited to sampling many small simplices), O(k) expected above.
    /// \throws tessera::invalid_argument if k > n.
    inline void sample_without_replacement(std::uint64_t n, std::size_t k, const counter_rng& rng,
                                           std::uint64_t first_index, std::uint64_t* out)
    {
        require(k <= n, "tessera::sample_without_replacement", "k=", k, " exceeds n=", n);
        const std::uint64_t start = n - k;
        if (k <= 64)
        {
            for (std::size_t s = 0; s < k; ++s)
            {
                const std::uint64_t j = start + s;
                std::uint64_t t = rng.uniform_index(first_index + s, j + 1);
                for (std::size_t q = 0; q < s; ++q)
                    if (out[q] == t)
                    {
                        t = j;
                        break;
                    }
                out[s] = t;
            }
            return;
        }
        std::unordered_set<std::uint64_t> seen;
        seen.reserve(k * 2);
        for (std::size_t s = 0; s < k; ++s)
        {
            const std::uint64_t j = start + s;
            std::uint64_t t = rng.uniform_index(first_index + s, j + 1);
            if (!seen.insert(t).second)
            {
                t = j;
                seen.insert(t);
            }
            out[s] = t;
        }
    }

    /// k distinct indices from [0, n), deterministic in (seed, stream).
    /// \throws tessera::invalid_argument if k > n.
    inline std::vector<std::uint64_t> sample_without_replacement(std::uint64_t n, std::size_t k, std::uint64_t seed,
                                                                 std::uint64_t stream = 0)
    {
        std::vector<std::uint64_t> out(k);
        sample_without_replacement(n, k, counter_rng(seed, stream), 0, out.data());
        return out;
    }
}  // namespace tessera
