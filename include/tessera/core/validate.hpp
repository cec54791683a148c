#pragma once
/// \file validate.hpp
/// The one finite-value check of every tessera entry point (the NaN policy: non-finite input is
/// rejected with the position of the first offending entry, unless a function documents that it
/// propagates it). One read of the input: a vectorized, branch-free scan per 64 Ki-element chunk,
/// chunks in parallel; only a chunk that holds a non-finite value is scanned again to locate it.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "errors.hpp"
#include "parallel.hpp"
#include "traits.hpp"

namespace tessera
{
    namespace detail
    {
        /// Index of the first non-finite value of `data[b, e)`, or `e` when all are finite: a
        /// branch-free vectorized pass first (x - x is 0 for finite x and NaN for NaN / Inf, and
        /// NaN sticks in any summation order), a second pass only when that finds something.
        template <class T>
        std::size_t first_non_finite_in(const T* data, std::size_t b, std::size_t e) noexcept
        {
            T acc = T(0);
#pragma omp simd reduction(+ : acc)
            for (std::size_t i = b; i < e; ++i)
                acc += data[i] - data[i];
            if (acc == T(0))
                return e;
            for (std::size_t i = b; i < e; ++i)
                if (!std::isfinite(data[i]))
                    return i;
            return e;
        }

        /// Index of the first non-finite value of `data[0, count)`, or `count` when all are finite.
        /// Chunks of 64 Ki elements in parallel; same answer at any thread count. Cost: one read
        /// of the data at memory bandwidth.
        template <class T>
        std::size_t first_non_finite(const T* data, std::size_t count)
        {
            constexpr std::size_t chunk = std::size_t(1) << 16;
            const std::size_t chunks = (count + chunk - 1) / chunk;
            if (chunks <= 1)
                return first_non_finite_in(data, 0, count);
            std::vector<std::size_t> first(chunks, count);
            parallel_for(0, static_cast<std::ptrdiff_t>(chunks), [&](std::ptrdiff_t c) {
                const std::size_t b = static_cast<std::size_t>(c) * chunk, e = std::min(count, b + chunk);
                const std::size_t i = first_non_finite_in(data, b, e);
                first[static_cast<std::size_t>(c)] = i == e ? count : i;
            });
            for (std::size_t c = 0; c < chunks; ++c)
                if (first[c] != count)
                    return first[c];
            return count;
        }

        /// Throws tessera::invalid_argument `"<fn>: <param> must be finite, got nan at [i, j]"`
        /// unless the row-major `rows x cols` block at `data` is finite.
        template <class T>
        void require_finite(const T* data, std::size_t rows, std::size_t cols, const char* fn, const char* param)
        {
            const std::size_t count = rows * cols;
            const std::size_t bad = first_non_finite(data, count);
            if (bad != count)
                throw invalid_argument(concat(fn, ": ", param, " must be finite, got ", data[bad], " at [", bad / cols,
                                              ", ", bad % cols, "]"));
        }

        /// require_finite for an evaluated row-major xtensor of any rank: the message gives the
        /// full index of the first non-finite entry (`[i]`, `[i, j]`, `[i, j, l]`, ...).
        template <class T, std::size_t N>
        void require_finite(const xt::xtensor<T, N>& X, const char* fn, const char* param)
        {
            const std::size_t count = X.size();
            const std::size_t bad = first_non_finite(X.data(), count);
            if (bad == count)
                return;
            std::array<std::size_t, N> index{};
            std::size_t rest = bad;
            for (std::size_t a = N; a-- > 0;)
            {
                index[a] = rest % X.shape(a);
                rest /= X.shape(a);
            }
            std::ostringstream at;
            at << '[';
            for (std::size_t a = 0; a < N; ++a)
                at << (a ? ", " : "") << index[a];
            at << ']';
            throw invalid_argument(
                concat(fn, ": ", param, " must be finite, got ", X.data()[bad], " at ", at.str()));
        }

        /// Evaluates `e` once as an `xt::xtensor<T, N>` (evaluate: no copy when it already is one)
        /// and checks it finite with require_finite: the entry check of most tessera functions.
        /// \throws tessera::invalid_argument naming `function` and `param` if e.dimension() != N or
        ///   an entry is NaN or Inf.
        template <class T, std::size_t N, class E>
        evaluated<T, N> evaluate_finite(const xt::xexpression<E>& e, const char* function, const char* param)
        {
            auto ev = evaluate<T, N>(e, function, param);
            require_finite(ev.get(), function, param);
            return ev;
        }

        /// Throws unless `x` is finite: `"<fn>: <param>=<x> must be finite"`.
        inline void require_finite_value(double x, const char* fn, const char* param)
        {
            if (!std::isfinite(x))
                throw invalid_argument(concat(fn, ": ", param, "=", x, " must be finite"));
        }
    }  // namespace detail

    /// `require_finite(X, "module::function", "X")`: throws tessera::invalid_argument
    /// `"module::function: X must be finite, got nan at [i, j]"` naming the first non-finite entry
    /// (an xt::xtensor of any rank, or a pointer with rows and cols).
    using detail::require_finite;
    /// `require_finite_value(x, "module::function", "param")` for one scalar.
    using detail::require_finite_value;
    /// Index of the first non-finite entry of a buffer (its size when all are finite).
    using detail::first_non_finite;
}  // namespace tessera
