#pragma once
/// \file traits.hpp
/// The single template-constraint idiom (STYLE.md 4) and the traits for real matrices, plus
/// `evaluate_matrix`, which evaluates an expression once into a row-major xtensor.

#include <cstddef>
#include <type_traits>
#include <utility>

#include <xtensor/xexpression.hpp>
#include <xtensor/xtensor.hpp>

#include "errors.hpp"

namespace tessera
{
    /// `template <class E, requires_t<is_real_expression_v<E>> = true>`.
    template <bool B>
    using requires_t = std::enable_if_t<B, bool>;

    /// True for the element types tessera computes in: float and double.
    template <class T>
    inline constexpr bool is_real_v = std::is_same_v<T, float> || std::is_same_v<T, double>;

    /// True when E is an xtensor expression whose value_type is float or double.
    template <class E, class = void>
    struct is_real_expression : std::false_type
    {
    };
    template <class E>
    struct is_real_expression<E, std::enable_if_t<xt::is_xexpression<std::decay_t<E>>::value>>
        : std::bool_constant<is_real_v<typename std::decay_t<E>::value_type>>
    {
    };
    template <class E>
    inline constexpr bool is_real_expression_v = is_real_expression<E>::value;

    /// The value type of an expression.
    template <class E>
    using value_type_t = typename std::decay_t<E>::value_type;

    namespace detail
    {
        /// The result of evaluating an expression as a matrix: a reference to the caller's
        /// `xt::xtensor<T, 2>` when the expression already is one (no copy), else an owned,
        /// evaluated copy. Use `get()`; the object must outlive the reference it returns.
        template <class T, std::size_t N>
        class evaluated
        {
        public:
            explicit evaluated(const xt::xtensor<T, N>& ref) : m_ptr(&ref) {}
            explicit evaluated(xt::xtensor<T, N>&& owned) : m_owned(std::move(owned)), m_ptr(nullptr) {}
            evaluated(const evaluated&) = delete;
            evaluated& operator=(const evaluated&) = delete;
            evaluated(evaluated&& other) noexcept
                : m_owned(std::move(other.m_owned)), m_ptr(other.m_ptr)
            {
            }
            evaluated& operator=(evaluated&&) = delete;
            ~evaluated() = default;
            const xt::xtensor<T, N>& get() const noexcept { return m_ptr ? *m_ptr : m_owned; }

        private:
            xt::xtensor<T, N> m_owned;
            const xt::xtensor<T, N>* m_ptr;
        };

        /// Evaluates `e` once as a row-major `xt::xtensor<T, N>`, checking its dimension.
        /// No copy when `e` already is an `xt::xtensor<T, N>`.
        /// \throws tessera::invalid_argument naming `function` and `param` if e.dimension() != N.
        template <class T, std::size_t N, class E>
        evaluated<T, N> evaluate(const xt::xexpression<E>& e, const char* function, const char* param)
        {
            const auto& d = e.derived_cast();
            require(d.dimension() == N, function, param, " must have ", N,
                    N == 2 ? " dimensions (a matrix)" : " dimension(s)", ", got shape ", shape_to_string(d.shape()));
            if constexpr (std::is_same_v<std::decay_t<E>, xt::xtensor<T, N>>)
                return evaluated<T, N>(d);
            else
            {
                xt::xtensor<T, N> out = d;
                return evaluated<T, N>(std::move(out));
            }
        }

        /// Evaluates `e` into an owned row-major `xt::xtensor<T, 2>` (always a copy or move).
        template <class T, class E>
        xt::xtensor<T, 2> evaluate_matrix(const xt::xexpression<E>& e, const char* function, const char* param)
        {
            const auto& d = e.derived_cast();
            require(d.dimension() == 2, function, param, " must have 2 dimensions (a matrix), got shape ",
                    shape_to_string(d.shape()));
            xt::xtensor<T, 2> out = d;
            return out;
        }
    }  // namespace detail
}  // namespace tessera
