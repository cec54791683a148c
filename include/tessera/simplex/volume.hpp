#pragma once
/// \file volume.hpp
/// Volume of one simplex given its k+1 vertices in R^d (k <= d).
///
/// Default method (volume_method::qr): Householder QR of the k x d edge matrix
/// \f$E = (p_i - p_0)_{i=1..k}\f$ in double, \f$V = \prod_j |R_{jj}| / k!\f$. Backward stable: the
/// computed V is exact for edges perturbed by ~1e-16 |E|, so a height h loses only ~1e-16 |E| / h;
/// a height below 1e-3 of the longest edge is recomputed from the exact edges in double-double
/// (detail/refine.hpp), which keeps single simplices at ~1e-16 relative however flat.
/// For k <= 8 a certified fast path runs first: the Gram of edges in one fused SIMD pass plus a
/// k x k Cholesky, accepted only when its first-order error bound is <= 1e-10 relative
/// (detail/gram_fast.hpp); flat or ill-conditioned simplices fall back to the QR.
/// Option volume_method::cayley_menger: squared distances by direct differences in double and the
/// bordered Cayley-Menger determinant by partial-pivoting elimination (the seeds' formula); its
/// relative error grows like \f$u\,(\max D)^k / (2^k (k!)^2 V^2)\f$ (documented in docs/simplex.md).

#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"
#include "detail/distance_kernels.hpp"
#include "detail/edge_qr.hpp"
#include "detail/gram_fast.hpp"
#include "detail/refine.hpp"

namespace tessera::simplex
{
    /// How a simplex volume is computed from points.
    enum class volume_method
    {
        qr,            ///< Householder QR of the edge vectors in double (default; accurate)
        cayley_menger  ///< bordered Cayley-Menger determinant of direct squared distances (fragile)
    };

    namespace detail
    {
        /// Scratch space for one simplex: edges [k, d] and R [k, k] (or D [k+1, k+1]).
        struct simplex_workspace
        {
            std::vector<double> edges;
            std::vector<double> small;
            std::vector<dd> exact;  ///< double-double edges of the near-flat refinement (refine.hpp)
            void reserve(std::size_t k, std::size_t d)
            {
                if (edges.size() < k * d)
                    edges.resize(k * d);
                if (small.size() < (k + 1) * (k + 1))
                    small.resize((k + 1) * (k + 1));
            }
        };

        /// V^2 and mean edge length of the simplex with vertex rows rows[0..k] (each of length d).
        /// K > 0 fixes k at compile time (unrolled QR); K == 0 dispatches on k. With
        /// `relative_error`, also a first-order estimate of |dV^2| / V^2 (the Gram fast path is then
        /// skipped): QR 32 k u e_max / h_min, or 8 k u after the double-double refinement of a
        /// near-flat simplex; Cayley-Menger the bound 16 (k+2)^2 u D_max^k / (2^k (k!)^2 |V^2|).
        /// `refine_flat` = false (the batch kernels) skips the double-double refinement of
        /// near-flat simplices: Householder accuracy, 32 k u e_max / h_min, at Householder cost.
        template <std::size_t K, class T>
        void simplex_volume_raw(const T* const* rows, std::size_t k, std::size_t d, volume_method method,
                                simplex_workspace& ws, double& volume_squared, double& mean_edge,
                                double* relative_error = nullptr, bool refine_flat = true)
        {
            if constexpr (K == 0)  // the unrolled kernels for k = 1..8
                if (with_unrolled_k(k, [&](auto kc) {
                        simplex_volume_raw<decltype(kc)::value>(rows, k, d, method, ws, volume_squared, mean_edge,
                                                                relative_error, refine_flat);
                    }))
                    return;
            if constexpr (K > 0)  // certified fast path (see gram_fast.hpp), else Householder QR
                if (method == volume_method::qr && relative_error == nullptr &&
                    gram_volume_dispatch<K>(rows, d, volume_squared, mean_edge))
                    return;
            constexpr double u = 0x1p-53;
            const double kd = static_cast<double>(k);
            ws.reserve(k, d);
            if (method == volume_method::qr)
            {
                double* E = ws.edges.data();
                const T* p0 = rows[0];
                for (std::size_t l = 0; l < k; ++l)
                {
                    const T* pl = rows[l + 1];
                    double* e = E + l * d;
#pragma omp simd
                    for (std::size_t i = 0; i < d; ++i)
                        e[i] = static_cast<double>(pl[i]) - static_cast<double>(p0[i]);
                }
                if constexpr (K > 0)
                    edge_qr_fixed<K>(E, d, ws.small.data());
                else
                    edge_qr(E, k, d, ws.small.data());
                volume_from_r(ws.small.data(), k, volume_squared, mean_edge);
                const double ratio = height_ratio(ws.small.data(), k);  // h_min / e_max
                const bool refine = refine_flat && ratio < refine_height_ratio;
                if (refine)  // a height below 1e-3 of the longest edge: recompute in double-double
                    volume_squared = volume_squared_refined(rows, k, d, ws.exact);
                if (relative_error != nullptr)
                    *relative_error = volume_squared == 0.0 ? 0.0
                                      : refine ? 8.0 * kd * u + 32.0 * kd * 0x1p-104 / ratio
                                               : 32.0 * kd * u / ratio;
                return;
            }
            const std::size_t n = k + 1;
            double* D = ws.small.data();
            double sum = 0.0, dmax = 0.0;
            for (std::size_t i = 0; i < n; ++i)
            {
                D[i * n + i] = 0.0;
                for (std::size_t j = i + 1; j < n; ++j)
                {
                    double s = 0.0;
                    const T* a = rows[i];
                    const T* b = rows[j];
#pragma omp simd reduction(+ : s)
                    for (std::size_t c = 0; c < d; ++c)
                    {
                        const double t = static_cast<double>(a[c]) - static_cast<double>(b[c]);
                        s += t * t;
                    }
                    D[i * n + j] = D[j * n + i] = s;
                    sum += std::sqrt(s);
                    dmax = std::max(dmax, s);
                }
            }
            mean_edge = sum / (0.5 * kd * static_cast<double>(n));
            volume_squared = volume_squared_bordered(D, n);
            if (relative_error != nullptr)
            {
                const double f = factorial(k);
                *relative_error = dmax == 0.0 ? 0.0
                                  : 16.0 * (kd + 2.0) * (kd + 2.0) * u * std::pow(dmax, kd) /
                                        (std::pow(2.0, kd) * f * f * std::fabs(volume_squared));
            }
        }

        /// Validates the vertex rows P [k+1, d] of a simplex (finite, 2 <= k+1, k <= d, and k == K
        /// when K > 0) and returns pointers to its rows.
        template <class T>
        std::vector<const T*> checked_vertex_rows(const xt::xtensor<T, 2>& P, std::size_t K, const char* fn)
        {
            require_finite(P, fn, "points");
            const std::size_t n = P.shape(0), d = P.shape(1);
            if (K > 0)
                require(n == K + 1, fn, "a ", K, "-simplex needs exactly ", K + 1, " points, got points of shape ",
                        shape_to_string(P.shape()));
            require(n >= 2, fn, "points must hold at least 2 rows (k+1 points, k >= 1), got shape ",
                    shape_to_string(P.shape()));
            require(n - 1 <= d, fn, "k=", n - 1, " exceeds the dimension d=", d,
                    " (k+1 points span at most d dimensions), got shape ", shape_to_string(P.shape()));
            std::vector<const T*> rows(n);
            for (std::size_t i = 0; i < n; ++i)
                rows[i] = P.data() + i * d;
            return rows;
        }

        template <std::size_t K, class E>
        double points_volume_squared(const xt::xexpression<E>& points, volume_method method, const char* fn)
        {
            using T = value_type_t<E>;
            const auto ev = tessera::detail::evaluate<T, 2>(points, fn, "points");
            const auto rows = checked_vertex_rows(ev.get(), K, fn);
            simplex_workspace ws;
            double v2 = 0.0, me = 0.0;
            simplex_volume_raw<K>(rows.data(), rows.size() - 1, ev.get().shape(1), method, ws, v2, me);
            return v2;
        }

        /// Squared volume of the k-simplex whose k+1 vertices are the rows of points [k+1, d], k <= d,
        /// in double (float input is widened before any arithmetic). See the file comment for the
        /// methods. Cost 2 k^2 d flops (QR) or k^2 d/2 + O(k^3) (Cayley-Menger).
        /// \return V^2 >= 0 (QR), 0 for coincident or flat vertices; the CM method can return a
        ///         slightly negative value for a near-flat simplex.
        /// \throws tessera::invalid_argument if points has fewer than 2 rows, k > d, or a non-finite entry.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        double volume_squared(const xt::xexpression<E>& points, volume_method method = volume_method::qr)
        {
            return points_volume_squared<0>(points, method, "simplex::volume_squared");
        }

        /// Volume \f$V = \sqrt{\max(V^2, 0)}\f$ of the simplex with vertex rows points [k+1, d].
        /// \throws tessera::invalid_argument if points has fewer than 2 rows, k > d, or a non-finite entry.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        double volume(const xt::xexpression<E>& points, volume_method method = volume_method::qr)
        {
            return std::sqrt(std::max(0.0, points_volume_squared<0>(points, method, "simplex::volume")));
        }

        /// Compile-time-k form: squared volume of a K-simplex, points [K+1, d] (unrolled QR).
        /// \throws tessera::invalid_argument if points does not have K+1 rows, K > d, or a non-finite entry.
        template <std::size_t K, class E, requires_t<is_real_expression_v<E> && (K >= 1)> = true>
        double volume_squared(const xt::xexpression<E>& points, volume_method method = volume_method::qr)
        {
            return points_volume_squared<K>(points, method, "simplex::volume_squared<K>");
        }

        /// Compile-time-k form of volume().
        template <std::size_t K, class E, requires_t<is_real_expression_v<E> && (K >= 1)> = true>
        double volume(const xt::xexpression<E>& points, volume_method method = volume_method::qr)
        {
            return std::sqrt(std::max(0.0, points_volume_squared<K>(points, method, "simplex::volume<K>")));
        }

        /// Raw compile-time-k form for hot loops: vertices are K+1 pointers to rows of length d
        /// (any layout). No allocation after the first call with a given workspace.
        /// \pre K <= d and every pointer valid for d elements (not checked).
        template <std::size_t K, class T, requires_t<is_real_v<T> && (K >= 1)> = true>
        double volume_squared(const std::array<const T*, K + 1>& vertices, std::size_t d, simplex_workspace& workspace,
                              volume_method method = volume_method::qr)
        {
            double v2 = 0.0, me = 0.0;
            simplex_volume_raw<K>(vertices.data(), K, d, method, workspace, v2, me);
            return v2;
        }
    }  // namespace detail

    using detail::simplex_workspace, detail::volume, detail::volume_squared;
}  // namespace tessera::simplex
