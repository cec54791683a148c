#pragma once
/// \file cayley_menger.hpp
/// The Cayley-Menger matrix of a simplex and its volume from squared distances alone.
///
/// For k+1 points with squared distances \f$D_{ij}\f$, the bordered matrix
/// \f$CM = \begin{pmatrix}0 & 1^T\\ 1 & D\end{pmatrix}\f$ gives
/// \f$V^2 = \frac{(-1)^{k+1}}{2^k (k!)^2}\det CM\f$. The determinant equals
/// \f$(-1)^{k+1}\,2^k\det G\f$ with the Gram matrix of edges \f$G_{ij} = (D_{0i} + D_{0j} - D_{ij})/2\f$,
/// so \f$V^2 = \det G/(k!)^2\f$: tessera factors G instead of expanding the bordered determinant.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"
#include "detail/distance_kernels.hpp"

namespace tessera::simplex
{
    namespace detail
    {
        /// Validates a square, symmetric (to 8 ulp of T relative to max|D|), zero-diagonal,
        /// non-negative, finite matrix of squared distances and returns it symmetrized in double.
        template <class T>
        std::vector<double> checked_distances(const xt::xtensor<T, 2>& D, const char* fn)
        {
            require(D.shape(0) == D.shape(1), fn, "D2 must be square, got ", shape_to_string(D.shape()));
            const std::size_t n = D.shape(0);
            require(n >= 2, fn, "D2 must describe at least 2 points (a [k+1, k+1] matrix, k >= 1), got ",
                    shape_to_string(D.shape()));
            require_finite(D, fn, "D2");
            double mx = 0.0;
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < n; ++j)
                {
                    const double v = static_cast<double>(D(i, j));
                    require(v >= 0.0, fn, "D2 holds squared distances and must be >= 0, got D2(", i, ", ", j, ") = ", v);
                    mx = std::max(mx, v);
                }
            const double tol = 8.0 * static_cast<double>(std::numeric_limits<T>::epsilon()) * mx;
            std::vector<double> out(n * n);
            for (std::size_t i = 0; i < n; ++i)
            {
                const double dii = static_cast<double>(D(i, i));
                require(dii <= tol, fn, "D2 must have a zero diagonal, got D2(", i, ", ", i, ") = ", dii);
                out[i * n + i] = 0.0;
                for (std::size_t j = i + 1; j < n; ++j)
                {
                    const double a = static_cast<double>(D(i, j)), b = static_cast<double>(D(j, i));
                    require(std::fabs(a - b) <= tol, fn, "D2 must be symmetric, got D2(", i, ", ", j, ") = ", a,
                            " but D2(", j, ", ", i, ") = ", b);
                    out[i * n + j] = out[j * n + i] = 0.5 * (a + b);
                }
            }
            return out;
        }

        /// The bordered Cayley-Menger matrix [k+2, k+2] of the squared-distance matrix D2 [k+1, k+1]:
        /// CM(0, 0) = 0, CM(0, j) = CM(j, 0) = 1, CM(i+1, j+1) = D2(i, j).
        /// \note D2 holds *squared* distances.
        /// \throws tessera::invalid_argument if D2 is not square, has fewer than 2 rows, or is not a
        ///         valid squared-distance matrix (symmetric, zero diagonal, finite, >= 0).
        template <class E, requires_t<is_real_expression_v<E>> = true>
        xt::xtensor<value_type_t<E>, 2> cayley_menger_matrix(const xt::xexpression<E>& D2)
        {
            using T = value_type_t<E>;
            const auto ev = tessera::detail::evaluate<T, 2>(D2, "simplex::cayley_menger_matrix", "D2");
            const auto D = checked_distances(ev.get(), "simplex::cayley_menger_matrix");
            const std::size_t n = ev.get().shape(0);
            xt::xtensor<T, 2> CM = xt::ones<T>({n + 1, n + 1});
            CM(0, 0) = T(0);
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < n; ++j)
                    CM(i + 1, j + 1) = static_cast<T>(D[i * n + j]);
            return CM;
        }

        /// Squared volume \f$V^2 = \frac{(-1)^{k+1}}{2^k (k!)^2}\det CM = \det G/(k!)^2\f$ of the
        /// k-simplex whose squared edge lengths are D2 [k+1, k+1]. G is formed and factored (pivoted
        /// LDL^T) in double-double, so the result is accurate to about 1e-15 relative plus the
        /// conditioning of V with respect to D2 itself (relative error of D2 times
        /// \f$\sim\bar e^2/h_{min}^2\f$, e.g. 1e-4 for height 1e-6 of unit edges given D2 rounded to
        /// double — no method can beat that from rounded distances).
        /// \return V^2; 0 for a flat simplex; negative when D2 is not Euclidean (no such points exist).
        /// \note D2 holds *squared* distances. Cost O(k^3) double-double operations.
        /// \throws tessera::invalid_argument if D2 is not square, has fewer than 2 rows, is asymmetric
        ///         beyond rounding, has a nonzero diagonal, or holds negative or non-finite entries.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        double volume_squared_from_distances(const xt::xexpression<E>& D2)
        {
            using T = value_type_t<E>;
            const auto ev = tessera::detail::evaluate<T, 2>(D2, "simplex::volume_squared_from_distances", "D2");
            const auto D = checked_distances(ev.get(), "simplex::volume_squared_from_distances");
            return volume_squared_gram_ldl(D.data(), ev.get().shape(0));
        }
    }  // namespace detail

    using detail::cayley_menger_matrix, detail::volume_squared_from_distances;
}  // namespace tessera::simplex
