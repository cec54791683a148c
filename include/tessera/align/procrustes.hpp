#pragma once
/// \file procrustes.hpp
/// Orthogonal (and semi-orthogonal) Procrustes alignment with optional centring, scaling,
/// row weights and a reflection guard (Kabsch).
///
/// Objective: \f$ \min_{R, s} \sum_i w_i \| s (a_i - \mu_a) R - (b_i - \mu_b) \|^2 \f$ over R with
/// orthonormal rows or columns. Solution: \f$ M = A_c^T W B_c = U \Sigma V^T \f$, \f$ R = U V^T \f$;
/// with reflections forbidden and p == q, \f$ R = U\,\mathrm{diag}(1, \dots, 1, \det(UV^T))\,V^T \f$;
/// \f$ s = \mathrm{tr}(R^T M) / \|W^{1/2} A_c R\|_F^2 \f$ (= tr(Sigma) / ||A_c||^2 when p <= q).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xbuilder.hpp>
#include <xtensor/xtensor.hpp>

#include "../core/blas.hpp"
#include "../core/errors.hpp"
#include "../core/lapack.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "detail/moments.hpp"
#include "similarity_transform.hpp"

namespace tessera::align
{
    /// Options of procrustes(). Aggregate: set only what you need.
    struct procrustes_options
    {
        /// Subtract the (weighted) column means of A and B before fitting; the means are stored
        /// in the transform. Off = scipy.linalg.orthogonal_procrustes' convention.
        bool center = true;
        /// Fit the scale s too (similarity transform); off leaves s = 1.
        bool scale = false;
        /// Allow det(R) = -1 (p == q only). Off: the Kabsch correction flips the direction of the
        /// smallest singular value so det(R) = +1. For p != q every semi-orthogonal R is reachable
        /// continuously from every other, so this option has no effect.
        bool allow_reflection = false;
        /// Non-negative row weights w_i (one per row; empty = all 1). A row of weight 0 has no
        /// influence at all, as if it were removed.
        std::vector<double> weights{};
        /// Singular values below rank_tolerance * sigma_max count as zero when deciding rank
        /// deficiency (R is then not unique). Negative = max(p, q) * machine epsilon of T.
        double rank_tolerance = -1.0;
    };

    namespace detail
    {
        template <class T>
        xt::xtensor<T, 1> to_tensor(const std::vector<double>& v, std::size_t n)
        {
            xt::xtensor<T, 1> out = xt::zeros<T>({n});
            for (std::size_t i = 0; i < v.size() && i < n; ++i)
                out(i) = static_cast<T>(v[i]);
            return out;
        }

        inline void add_status(tessera::status& st, status_code code, const std::string& message)
        {
            if (st.ok() || static_cast<int>(code) > static_cast<int>(st.code))
                st.code = code;
            st.message = st.message.empty() ? message : st.message + "; " + message;
        }

        /// Relative size, against the cancelling terms ss_b + s^2 ss_mapped, below which the closed
        /// form ss_b - 2 s tr(Sigma) + s^2 ss_mapped of the squared residual is not used: it carries
        /// the rounding of the T-precision cross-product and SVD, measured at 0.5-1.5 eps(T) of those
        /// terms (float, n = 2000-10000, p = 64-256), so at 1e4 eps(T) (float 1.2e-3, double 2.2e-12)
        /// its relative error is below ~1e-3 even for a 10x worse rounding. Below it, the residual is
        /// recomputed from the mapped rows (mapped_pass).
        template <class T>
        constexpr double closed_form_floor() noexcept
        {
            return 1e4 * static_cast<double>(std::numeric_limits<T>::epsilon());
        }

        /// p > q: ||A_c R||^2 (R^T R = I does not preserve it) and the check that the polar factor R
        /// is the least-squares minimiser. Over {R : R^T R = I_q} the Riemannian gradient of
        /// ||A_c R - B_c||^2 at the polar factor of C = A_c^T W B_c is 2 (I - R R^T) G R, G = A_c^T W A_c:
        /// zero iff G maps span(R) into itself (always when p <= q, or when G is a multiple of I).
        /// Otherwise the minimiser has no closed form (the unbalanced Procrustes problem) and the
        /// status says accuracy_limited with the relative gradient.
        template <class T>
        double semi_orthogonal_check(const xt::xtensor<T, 2>& A, const std::vector<double>& mean_a,
                                     const std::vector<double>& w, similarity_transform<T>& t)
        {
            const std::size_t p = t.R.shape(0), q = t.R.shape(1);
            xt::xtensor<T, 2> GR = xt::zeros<T>({p, q});
            const double mapped_ss = mapped_pass<T>(A, mean_a, w, t.R, nullptr, {}, 1.0, &GR).mapped;
            // D = GR - R (R^T GR): the part of G R outside span(R).
            const xt::xtensor<T, 2> RtGR = tessera::blas::matmul(t.R, GR, tessera::blas::op::transpose);
            xt::xtensor<T, 2> D = GR;
            tessera::blas::gemm(tessera::blas::op::none, tessera::blas::op::none, T(-1), t.R, RtGR, T(1), D);
            double dd = 0.0, gg = 0.0;
            for (std::size_t i = 0; i < D.size(); ++i)
            {
                dd += static_cast<double>(D.data()[i]) * static_cast<double>(D.data()[i]);
                gg += static_cast<double>(GR.data()[i]) * static_cast<double>(GR.data()[i]);
            }
            const double rel = gg > 0.0 ? std::sqrt(dd / gg) : 0.0;
            const double tol = 1e3 * static_cast<double>(std::numeric_limits<T>::epsilon()) *
                               std::sqrt(static_cast<double>(p));
            if (rel > tol)
                add_status(t.status, status_code::accuracy_limited,
                           concat("p=", p, " > q=", q, ": R is the polar factor of A_c^T W B_c (it maximises "
                                  "tr(R^T A_c^T W B_c)), not the least-squares minimiser over R^T R = I, which has "
                                  "no closed form here: the relative gradient ||(I - R R^T) G R|| / ||G R|| = ",
                                  rel, " > ", tol, " (G = A_c^T W A_c is not a multiple of I on span(R)). "
                                  "The residual is that of this R; whiten A or use pca_bridge for a p = q fit"));
            return mapped_ss;
        }

        /// The fit on evaluated matrices (shapes and values already checked).
        template <class T>
        similarity_transform<T> fit_procrustes(const xt::xtensor<T, 2>& A, const xt::xtensor<T, 2>& B,
                                               const procrustes_options& opts, double wsum)
        {
            const std::size_t n = A.shape(0), p = A.shape(1), q = B.shape(1), k = std::min(p, q);
            const std::vector<double>& w = opts.weights;
            const column_moments mom_a = moments(A, w, wsum, "align::procrustes", "A");
            const column_moments mom_b = moments(B, w, wsum, "align::procrustes", "B");
            const std::vector<double> mean_a = opts.center ? mom_a.means() : std::vector<double>{};
            const std::vector<double> mean_b = opts.center ? mom_b.means() : std::vector<double>{};
            cross_product<T> cp = centred_cross(A, B, mom_a, mom_b, opts.center, w);

            similarity_transform<T> t;
            t.mean_a = to_tensor<T>(mean_a, p);
            t.mean_b = to_tensor<T>(mean_b, q);
            auto f = tessera::lapack::svd<T>(std::move(cp.M));
            t.status = f.status;
            t.singular_values = f.S;
            const double smax = k > 0 ? static_cast<double>(f.S(0)) : 0.0;
            if (cp.ss_a == 0.0 || cp.ss_b == 0.0 || !(smax > 0.0))
            {
                t.R = xt::eye<T>({p, q});
                t.residual = std::sqrt(cp.ss_b);
                add_status(t.status, status_code::degenerate,
                           concat("the ", opts.center ? "centred " : "", cp.ss_a == 0.0 ? "A" : "B",
                                  " is zero (or A_c^T W B_c = 0): every R fits equally; R = I returned"));
                return t;
            }
            t.R = tessera::blas::matmul(f.U, f.Vt);
            double trace = 0.0;
            for (std::size_t i = 0; i < k; ++i)
                trace += static_cast<double>(f.S(i));
            if (p == q && !opts.allow_reflection && determinant_sign(t.R) < 0)
            {
                // Kabsch: R = U diag(1, ..., 1, -1) V^T = U V^T - 2 u_k v_k^T.
                for (std::size_t i = 0; i < p; ++i)
                    for (std::size_t j = 0; j < q; ++j)
                        t.R(i, j) -= T(2) * f.U(i, k - 1) * f.Vt(k - 1, j);
                trace -= 2.0 * static_cast<double>(f.S(k - 1));
                t.reflection_removed = true;
            }

            const double tol = opts.rank_tolerance >= 0.0
                                   ? opts.rank_tolerance
                                   : static_cast<double>(std::max(p, q)) * std::numeric_limits<T>::epsilon();
            std::size_t rank = 0;
            for (std::size_t i = 0; i < k; ++i)
                rank += static_cast<double>(f.S(i)) > tol * smax ? 1u : 0u;
            std::size_t used_rows = 0;
            for (std::size_t i = 0; i < n; ++i)
                used_rows += (w.empty() || w[i] > 0.0) ? 1u : 0u;
            const std::size_t row_rank = opts.center ? used_rows - 1 : used_rows;
            if (rank < k || row_rank < k)
                add_status(t.status, status_code::rank_deficient,
                           concat("A_c^T W B_c [", p, ", ", q, "] has numerical rank ", std::min(rank, row_rank),
                                  " < ", k, " (", used_rows, " rows used", opts.center ? ", centred" : "",
                                  "): R is not unique; one minimiser returned"));

            double mapped_ss = cp.ss_a;
            if (p > q)
                mapped_ss = semi_orthogonal_check(A, mean_a, w, t);
            double s = 1.0;
            if (opts.scale)
                s = mapped_ss > 0.0 ? std::max(0.0, trace / mapped_ss) : 1.0;
            t.s = static_cast<T>(s);
            s = static_cast<double>(t.s);  // the residual of the transform as returned
            const double closed = cp.ss_b - 2.0 * s * trace + s * s * mapped_ss;
            if (closed > closed_form_floor<T>() * (cp.ss_b + s * s * mapped_ss))
                t.residual = std::sqrt(closed);
            else  // near-identical fit: the closed form cancels; take the mapped rows themselves
                t.residual = std::sqrt(mapped_pass(A, mean_a, w, t.R, &B, mean_b, s).residual);
            return t;
        }

        /// Orthogonal Procrustes: the (semi-)orthogonal R [p, q], scale s and centres that best map
        /// the rows of A onto the rows of B in the least-squares sense.
        ///
        /// \f$ \min_{R, s} \| W^{1/2} ( s (A - \mu_a) R - (B - \mu_b) ) \|_F \f$ with R from the SVD of
        /// \f$ A_c^T W B_c \f$ (see the file comment for the closed form).
        /// \param A [n, p] source rows (finite). \param B [n, q] target rows (finite), same n.
        /// \param opts centring, scaling, reflections, row weights (see procrustes_options).
        /// \return similarity_transform<T> with R [p, q], s, mean_a [p], mean_b [q],
        ///   singular_values [min(p, q)] and status: rank_deficient when fewer independent rows
        ///   than min(p, q) (e.g. n < p) or numerically singular A_c^T W B_c; degenerate when A_c or
        ///   B_c is zero (R = I, s = 1); fallback_used when LAPACK gesdd failed and gesvd ran;
        ///   accuracy_limited when p > q and the polar factor is not the least-squares minimiser
        ///   (see semi_orthogonal_check; whiten A or use pca_bridge).
        /// \throws tessera::invalid_argument when A or B is not a matrix, row counts differ, a
        ///   dimension is zero, an entry is not finite, or weights are malformed.
        /// \note Cost: one pass over A and B for the means, 2 n p q flops (GEMM, centred by blocks
        ///   of 2048 rows, no full copy), an O(p q min(p, q)) SVD; when p > q two more 2 n p q GEMMs
        ///   (||A_c R|| for the scale, and the stationarity check G R), and one more when the fit
        ///   is near-identical (squared residual below 1e4 eps(T) of ss_b + s^2 ss_mapped: float
        ///   1.2e-3), where the closed form of the
        ///   residual would cancel and it is summed from the mapped rows instead. T = float keeps
        ///   the products in float like scipy; accumulate in double by passing double matrices.
        /// \note scipy.linalg.orthogonal_procrustes(A, B) == procrustes(A, B, {center=false,
        ///   allow_reflection=true}).R (scipy returns tr(Sigma), not the optimal scale).
        template <class EA, class EB, requires_t<is_real_expression_v<EA> && is_real_expression_v<EB>> = true>
        auto procrustes(const xt::xexpression<EA>& A, const xt::xexpression<EB>& B,
                        const procrustes_options& opts = {})
        {
            using T = std::common_type_t<value_type_t<EA>, value_type_t<EB>>;
            const char* fn = "align::procrustes";
            const auto ab = evaluate_pair<T>(A, B, fn);
            const auto& a = ab.a();
            const auto& b = ab.b();
            require(a.shape(0) > 0 && a.shape(1) > 0 && b.shape(1) > 0, fn,
                    "A and B must be non-empty, got A ", shape_to_string(a.shape()), " and B ",
                    shape_to_string(b.shape()));
            const double wsum = check_weights(opts.weights, a.shape(0), fn);
            return fit_procrustes<T>(a, b, opts, wsum);
        }

        /// scipy.spatial.procrustes' disparity: with both sides centred and scaled to unit
        /// Frobenius norm, the least squared distance after the best similarity map (reflections
        /// allowed), \f$ 1 - (\mathrm{tr}\,\Sigma)^2 \f$ in [0, 1]. Symmetric in A and B. Taken as
        /// residual^2 / ||A_c||^2 of procrustes(B, A, scale), so near-identical inputs keep their
        /// relative accuracy (the residual is then summed from the mapped rows).
        /// \param A [n, p], B [n, q] finite, same n (scipy also requires p == q).
        /// \throws tessera::invalid_argument as procrustes(); also when A or B is constant (scipy
        ///   raises too: the standardisation divides by zero).
        template <class EA, class EB, requires_t<is_real_expression_v<EA> && is_real_expression_v<EB>> = true>
        double procrustes_disparity(const xt::xexpression<EA>& A, const xt::xexpression<EB>& B)
        {
            using T = std::common_type_t<value_type_t<EA>, value_type_t<EB>>;
            procrustes_options o;
            o.scale = true;
            o.allow_reflection = true;
            auto ea = tessera::detail::evaluate<T, 2>(A, "align::procrustes_disparity", "A");
            const auto& a = ea.get();
            const auto t = procrustes(B, a, o);  // maps B onto A, like scipy
            const auto mean = column_mean(a, {}, static_cast<double>(a.shape(0)));
            const auto one = [](std::size_t) { return 1.0; };
            std::vector<T> buf(a.size());
            const double ss_a = centred_block(a, mean, 0, a.shape(0), buf.data(), one, one);
            require(ss_a > 0.0 && t.status.code != status_code::degenerate, "align::procrustes_disparity",
                    "A and B must not be constant (zero after centring)");
            return std::min(1.0, t.residual * t.residual / ss_a);
        }
    }  // namespace detail

    using detail::procrustes, detail::procrustes_disparity;
}  // namespace tessera::align
