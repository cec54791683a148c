#pragma once
/// \file report.hpp
/// The volume of one simplex with what a bare double cannot say: its normalized volume, an
/// estimate of its relative error, and a status that flags a nearly flat simplex and a result
/// whose digits are gone. A Cayley-Menger or distance-matrix volume of a unit triangle whose apex
/// is 1e-8 above the base is 20-126 % wrong; report_volume says so (accuracy_limited).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "cayley_menger.hpp"
#include "regular.hpp"
#include "volume.hpp"

namespace tessera::simplex
{
    /// Options of report_volume() and report_volume_from_distances(); defaults per member.
    struct volume_report_options
    {
        double tolerance = 1e-6;             ///< status accuracy_limited when relative_error exceeds this
        double degenerate_threshold = 1e-6;  ///< status degenerate when normalized_volume <= this (as simplex_volumes)
    };

    /// Volume of one simplex with its normalized volume, an error estimate and a status.
    struct volume_report
    {
        double volume = 0.0;             ///< \f$V = \sqrt{\max(V^2, 0)}\f$
        double volume_squared = 0.0;     ///< V^2 as computed (negative when the CM / distance route finds no real simplex)
        double normalized_volume = 0.0;  ///< \f$\nu = V / V_{reg}(\bar e)\f$: 1 regular, 0 flat (as simplex_volumes)
        double mean_edge = 0.0;          ///< \f$\bar e\f$, mean of the k(k+1)/2 edge lengths
        double relative_error = 0.0;     ///< first-order estimate of |V_computed - V| / V (+inf when V^2 <= 0 by CM / D2)
        tessera::status status;          ///< accuracy_limited, else degenerate, else ok (see report_volume)
    };

    namespace detail
    {
        /// Fills normalized_volume, volume and status of r from volume_squared, mean_edge and the
        /// relative error estimate of V^2 (`route` names the method in the message).
        inline void finish_report(volume_report& r, std::size_t k, double v2_error, const volume_report_options& o,
                                  const char* route)
        {
            r.volume = std::sqrt(std::max(r.volume_squared, 0.0));
            r.normalized_volume = normalized_volume(r.volume_squared, r.mean_edge, k, regular_simplex_volume(k, 1.0));
            r.relative_error = r.volume_squared > 0.0 || v2_error == 0.0 ? 0.5 * v2_error  // dV/V = dV^2 / (2 V^2)
                                                                         : std::numeric_limits<double>::infinity();
            if (r.relative_error > o.tolerance)
                r.status = {status_code::accuracy_limited,
                            concat(route, ": estimated relative error of V ", r.relative_error, " exceeds tolerance ",
                                   o.tolerance, " (V^2 = ", r.volume_squared, ", normalized volume ", r.normalized_volume,
                                   "): the simplex is too flat for this method")};
            else if (r.normalized_volume <= o.degenerate_threshold)
                r.status = {status_code::degenerate,
                            concat(route, ": normalized volume ", r.normalized_volume, " <= ", o.degenerate_threshold,
                                   " (nearly flat simplex; V is accurate to ~", r.relative_error, " relative)")};
        }

        /// Throws unless tolerance > 0 and degenerate_threshold >= 0.
        inline void check_report_options(const volume_report_options& o, const char* fn)
        {
            require(o.tolerance > 0.0, fn, "options.tolerance=", o.tolerance, " must be > 0");
            require(o.degenerate_threshold >= 0.0, fn, "options.degenerate_threshold=", o.degenerate_threshold,
                    " must be >= 0");
        }

        /// volume() with a report: V, V^2, \f$\nu\f$, mean edge, a first-order relative error estimate
        /// and a status. QR (default): Householder in double, and for a simplex with a height below
        /// 1e-3 of its longest edge, the heights again from the exact edges in double-double
        /// (error ~8 k u whatever the flatness). Cayley-Menger: the documented bound
        /// \f$16 (k+2)^2 u D_{max}^k / (2^k (k!)^2 V^2)\f$ on V^2. Status: accuracy_limited when
        /// relative_error > options.tolerance (the digits are gone), else degenerate when
        /// \f$\nu \le\f$ options.degenerate_threshold, else ok.
        /// \param points [k+1, d] vertex rows, 1 <= k <= d, finite.
        /// \note Cost as volume() (the Gram fast path is skipped: the estimate needs R), plus
        ///       ~3 k^2 d double-double operations for a near-flat simplex.
        /// \throws tessera::invalid_argument as volume(), or for options out of range.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        volume_report report_volume(const xt::xexpression<E>& points, volume_method method = volume_method::qr,
                                    const volume_report_options& options = {})
        {
            using T = value_type_t<E>;
            const char* fn = "simplex::report_volume";
            check_report_options(options, fn);
            const auto ev = tessera::detail::evaluate<T, 2>(points, fn, "points");
            const auto rows = checked_vertex_rows(ev.get(), 0, fn);
            const std::size_t k = rows.size() - 1, d = ev.get().shape(1);
            simplex_workspace ws;
            volume_report r;
            double v2_error = 0.0;
            simplex_volume_raw<0>(rows.data(), k, d, method, ws, r.volume_squared, r.mean_edge, &v2_error);
            finish_report(r, k, v2_error, options, method == volume_method::qr ? "qr" : "cayley_menger");
            return r;
        }

        /// volume_squared_from_distances() with a report. The determinant is exact to ~1e-15 for the
        /// given D2; what limits V is D2 itself: if its entries carry relative errors of the unit
        /// roundoff of T (D2 computed or stored in T), V^2 moves by up to
        /// \f$2 u_T \sum_j D_{max}/d_j\f$ (d_j the pivots of the Gram LDL^T, i.e. squared heights),
        /// reported as relative_error; +inf when V^2 <= 0 (flat or non-Euclidean).
        /// \param D2 [k+1, k+1] *squared* distances (symmetric, zero diagonal, >= 0, finite).
        /// \throws tessera::invalid_argument as volume_squared_from_distances(), or for bad options.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        volume_report report_volume_from_distances(const xt::xexpression<E>& D2, const volume_report_options& options = {})
        {
            using T = value_type_t<E>;
            const char* fn = "simplex::report_volume_from_distances";
            check_report_options(options, fn);
            const auto ev = tessera::detail::evaluate<T, 2>(D2, fn, "D2");
            const auto D = checked_distances(ev.get(), fn);
            const std::size_t n = ev.get().shape(0), k = n - 1;
            volume_report r;
            double cond = 0.0, sum = 0.0, dmax = 0.0;
            r.volume_squared = volume_squared_gram_ldl(D.data(), n, &cond);
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = i + 1; j < n; ++j)
                {
                    sum += std::sqrt(D[i * n + j]);
                    dmax = std::max(dmax, D[i * n + j]);
                }
            r.mean_edge = sum / (0.5 * static_cast<double>(k) * static_cast<double>(n));
            const double u = 0.5 * static_cast<double>(std::numeric_limits<T>::epsilon());
            finish_report(r, k, dmax == 0.0 ? 0.0 : 2.0 * u * cond, options, "distances");
            return r;
        }
    }  // namespace detail

    using detail::report_volume, detail::report_volume_from_distances;
}  // namespace tessera::simplex
