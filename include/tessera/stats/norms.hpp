#pragma once
/// \file norms.hpp
/// Row norms and row normalization of an embedding matrix (rows = vectors).

#include <cmath>
#include <cstddef>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"

namespace tessera::stats
{
    namespace detail
    {
        /// Euclidean norm of a length-n vector, accumulated in double.
        template <class T>
        double norm2(const T* x, std::size_t n) noexcept
        {
            double s = 0.0;
#pragma omp simd reduction(+ : s)
            for (std::size_t i = 0; i < n; ++i)
                s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
            return std::sqrt(s);
        }

        /// Dot product of two length-n vectors, accumulated in double.
        template <class T>
        double dot(const T* x, const T* y, std::size_t n) noexcept
        {
            double s = 0.0;
#pragma omp simd reduction(+ : s)
            for (std::size_t i = 0; i < n; ++i)
                s += static_cast<double>(x[i]) * static_cast<double>(y[i]);
            return s;
        }

        /// Squared Euclidean distance of two length-n vectors, accumulated in double.
        template <class T>
        double distance2(const T* x, const T* y, std::size_t n) noexcept
        {
            double s = 0.0;
#pragma omp simd reduction(+ : s)
            for (std::size_t i = 0; i < n; ++i)
            {
                const double d = static_cast<double>(x[i]) - static_cast<double>(y[i]);
                s += d * d;
            }
            return s;
        }

        /// Cosine similarity accumulated in double; 0 when either vector is zero.
        template <class T>
        double cosine(const T* x, const T* y, std::size_t n) noexcept
        {
            double sxy = 0.0, sxx = 0.0, syy = 0.0;
#pragma omp simd reduction(+ : sxy, sxx, syy)
            for (std::size_t i = 0; i < n; ++i)
            {
                const double a = static_cast<double>(x[i]), b = static_cast<double>(y[i]);
                sxy += a * b;
                sxx += a * a;
                syy += b * b;
            }
            const double den = std::sqrt(sxx) * std::sqrt(syy);
            return den > 0.0 ? sxy / den : 0.0;
        }

        /// Calls f(r, pointer to row r, d) for every row r of A [n, d], OpenMP over rows.
        template <class T, class F>
        void for_each_row(const xt::xtensor<T, 2>& A, F&& f)
        {
            const std::size_t d = A.shape(1);
            tessera::parallel_for(0, static_cast<std::ptrdiff_t>(A.shape(0)), [&](std::ptrdiff_t i) {
                const auto r = static_cast<std::size_t>(i);
                f(r, A.data() + r * d, d);
            }, 256);
        }

        /// \f$\|x_i\|_2\f$ for every row i of X [n, d]; accumulated in double, returned in T.
        /// Cost n d flops, OpenMP over rows.
        /// \throws tessera::invalid_argument if X is not a matrix or holds NaN / Inf.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        xt::xtensor<value_type_t<E>, 1> row_norms(const xt::xexpression<E>& X)
        {
            using T = value_type_t<E>;
            const auto ev = tessera::detail::evaluate_finite<T, 2>(X, "stats::row_norms", "X");
            xt::xtensor<T, 1> out = xt::xtensor<T, 1>::from_shape({ev.get().shape(0)});
            for_each_row(ev.get(),
                         [&](std::size_t r, const T* x, std::size_t d) { out(r) = static_cast<T>(norm2(x, d)); });
            return out;
        }

        /// Returns X with every row scaled to unit Euclidean norm: \f$x_i / \|x_i\|_2\f$.
        /// Rows whose norm is 0 stay zero (never NaN). Norms accumulate in double.
        /// \return [n, d] matrix in X's element type. Cost 2 n d flops.
        /// \throws tessera::invalid_argument if X is not a matrix or holds NaN / Inf.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        xt::xtensor<value_type_t<E>, 2> normalize_rows(const xt::xexpression<E>& X)
        {
            using T = value_type_t<E>;
            const auto ev = tessera::detail::evaluate_finite<T, 2>(X, "stats::normalize_rows", "X");
            xt::xtensor<T, 2> out = xt::xtensor<T, 2>::from_shape(ev.get().shape());
            for_each_row(ev.get(), [&](std::size_t r, const T* x, std::size_t d) {
                T* y = out.data() + r * d;
                const double nr = norm2(x, d);
                const double inv = nr > 0.0 ? 1.0 / nr : 0.0;
                for (std::size_t j = 0; j < d; ++j)
                    y[j] = static_cast<T>(static_cast<double>(x[j]) * inv);
            });
            return out;
        }
    }  // namespace detail

    using detail::normalize_rows, detail::row_norms;
}  // namespace tessera::stats
