#pragma once
/// \file similarity_transform.hpp
/// The map fitted by Procrustes alignment: x -> s (x - mean_a) R + mean_b, with R [p, q]
/// orthogonal (p == q) or semi-orthogonal (p != q), s > 0 a scale and mean_a / mean_b the
/// centres of the two spaces.

#include <cstddef>
#include <string>

#include <xtensor/xtensor.hpp>

#include "../core/blas.hpp"
#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"

namespace tessera::align
{
    namespace detail
    {
        /// A similarity (or, for p != q, semi-orthogonal) transform between two embedding spaces.
        ///
        /// Maps a row x of space A (dimension p) to \f$ y = s\,(x - \mu_a) R + \mu_b \f$ in space B
        /// (dimension q). R has orthonormal columns when p >= q (\f$R^T R = I_q\f$) and orthonormal
        /// rows when p <= q (\f$R R^T = I_p\f$).
        template <class T>
        struct similarity_transform
        {
            static_assert(is_real_v<T>, "tessera::align::similarity_transform<T>: T must be float or double");

            xt::xtensor<T, 2> R = xt::xtensor<T, 2>::from_shape({0, 0});  ///< [p, q] (semi-)orthogonal map
            T s = T(1);                                                     ///< scale (1 unless fitted)
            xt::xtensor<T, 1> mean_a = xt::xtensor<T, 1>::from_shape({0});  ///< [p] centre of A (zeros if not centred)
            xt::xtensor<T, 1> mean_b = xt::xtensor<T, 1>::from_shape({0});  ///< [q] centre of B (zeros if not centred)
            tessera::status status;                                         ///< rank_deficient, degenerate, SVD fallback
            xt::xtensor<T, 1> singular_values = xt::xtensor<T, 1>::from_shape({0});  ///< [min(p,q)] of A_c^T W B_c, descending
            bool reflection_removed = false;  ///< true when det(U V^T) was -1 and the Kabsch flip was applied
            /// Weighted fit residual \f$\|W^{1/2}(s A_c R - B_c)\|_F\f$ on the fitting rows (for the R
            /// and s stored here), relative accuracy ~1e-3 or better: from the closed form
            /// ss_b - 2 s tr + s^2 ss_mapped while that keeps >= 1e4 eps(T) of ss_b + s^2 ss_mapped,
            /// else (near-identical inputs) summed in double over the mapped rows (one more GEMM).
            double residual = 0.0;

            /// Input dimension p (rows of R).
            std::size_t input_dim() const noexcept { return R.shape(0); }
            /// Output dimension q (columns of R).
            std::size_t output_dim() const noexcept { return R.shape(1); }

            /// Maps the rows of X [m, p] into space B: \f$ s (X - \mu_a) R + \mu_b \f$, [m, q].
            /// Cost 2 m p q flops (one GEMM).
            /// \throws tessera::invalid_argument if X is not a matrix with p columns.
            template <class E, requires_t<is_real_expression_v<E>> = true>
            xt::xtensor<T, 2> apply(const xt::xexpression<E>& X) const
            {
                auto Xc = tessera::detail::evaluate_matrix<T>(X, "align::similarity_transform::apply", "X");
                require(Xc.shape(1) == input_dim(), "align::similarity_transform::apply", "X must have ", input_dim(),
                        " columns, got shape ", shape_to_string(Xc.shape()));
                shift_rows(Xc, mean_a, T(-1));
                xt::xtensor<T, 2> Y = xt::xtensor<T, 2>::from_shape({Xc.shape(0), output_dim()});
                tessera::blas::gemm(tessera::blas::op::none, tessera::blas::op::none, s, Xc, R, T(0), Y);
                shift_rows(Y, mean_b, T(1));
                return Y;
            }

            /// Maps rows Y [m, q] of space B back to space A: \f$ (Y - \mu_b) R^T / s + \mu_a \f$, [m, p].
            /// This is the exact inverse of apply() when p <= q (R R^T = I) and, when p > q, the
            /// minimum-norm least-squares preimage (R^T is R's pseudo-inverse).
            /// \throws tessera::invalid_argument if Y does not have q columns or if s == 0.
            template <class E, requires_t<is_real_expression_v<E>> = true>
            xt::xtensor<T, 2> inverse_apply(const xt::xexpression<E>& Y) const
            {
                auto Yc = tessera::detail::evaluate_matrix<T>(Y, "align::similarity_transform::inverse_apply", "Y");
                require(Yc.shape(1) == output_dim(), "align::similarity_transform::inverse_apply", "Y must have ",
                        output_dim(), " columns, got shape ", shape_to_string(Yc.shape()));
                require(s != T(0), "align::similarity_transform::inverse_apply", "scale s must be non-zero, got ", s);
                shift_rows(Yc, mean_b, T(-1));
                xt::xtensor<T, 2> X = xt::xtensor<T, 2>::from_shape({Yc.shape(0), input_dim()});
                tessera::blas::gemm(tessera::blas::op::none, tessera::blas::op::transpose, T(1) / s, Yc, R, T(0), X);
                shift_rows(X, mean_a, T(1));
                return X;
            }

        private:
            static void shift_rows(xt::xtensor<T, 2>& X, const xt::xtensor<T, 1>& v, T sign)
            {
                const std::size_t m = X.shape(0), d = X.shape(1);
                if (v.size() != d)
                    return;
                tessera::parallel_for(0, static_cast<std::ptrdiff_t>(m), [&](std::ptrdiff_t i) {
                    T* row = X.data() + static_cast<std::size_t>(i) * d;
                    for (std::size_t j = 0; j < d; ++j)
                        row[j] += sign * v(j);
                }, 256);
            }
        };
    }  // namespace detail

    using detail::similarity_transform;
}  // namespace tessera::align
