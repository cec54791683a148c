#pragma once
/// \file operator_report.hpp
/// The operator O = P pinv(P) [d, d] that projection followed by reconstruction applies to
/// every row (W_hat = W O), measured as in the seed experiment: O = f I + R.

#include <algorithm>
#include <cmath>
#include <cstddef>

#include <xtensor/xtensor.hpp>

#include "../core/blas.hpp"
#include "../core/status.hpp"
#include "random_projection.hpp"

namespace tessera::projection
{
    /// Statistics of O = P pinv(P), all computed in double. For a Haar-random rank-k projector
    /// in R^d (the Gaussian and orthonormal kinds) the isotropic references are
    /// E[O_ii] = k/d, Var(O_ii) = 2 f (1 - f) / (d + 2), E[O_ij^2] = k (d - k) / (d (d - 1) (d + 2)).
    struct operator_stats
    {
        double f = 0;                    ///< mean diagonal trace(O) / d (k/d when P has full rank)
        double expected_f = 0;           ///< min(k, d) / d
        double trace = 0;                ///< trace(O) (= rank of P)
        double diagonal_std = 0;         ///< std of O_ii around f
        double expected_diagonal_std = 0;  ///< sqrt(2 f (1 - f) / (d + 2)), isotropic reference
        double offdiag_rms = 0;          ///< sqrt(mean of R_ij^2 over i != j): the noise R
        double expected_offdiag_rms = 0; ///< sqrt(k (d - k) / (d (d - 1) (d + 2))), isotropic reference
        double offdiag_max_abs = 0;      ///< max |R_ij| over i != j
        double asymmetry = 0;            ///< ||O - O^T||_F / ||O||_F (0: R is symmetric)
        double idempotence_error = 0;    ///< ||O - O^2||_F / ||O||_F (0: O is a projector)
        tessera::status status;          ///< of the pseudoinverse (see random_projection::pseudoinverse)
    };

    namespace detail
    {
        /// Builds O = P pinv(P) [d, d] in double (structured or exact pinv per `options`) and
        /// measures it. Cost: O(d^2 k) flops and d^2 doubles of memory (two d x d matrices).
        template <class T>
        operator_stats operator_report(const random_projection<T>& proj, const reconstruct_options& options = {})
        {
            const std::size_t d = proj.input_dim(), k = proj.output_dim();
            const auto P = proj.template matrix<double>();
            auto pinv = proj.template pseudoinverse<double>(options);
            operator_stats st;
            st.status = pinv.status;
            const auto O = blas::matmul(P, pinv.matrix);  // [d, d]
            const auto O2 = blas::matmul(O, O);
            const double dd = static_cast<double>(d), kd = static_cast<double>(std::min(k, d));
            double trace = 0.0, fro = 0.0, asym = 0.0, idem = 0.0;
            for (std::size_t i = 0; i < d; ++i)
            {
                trace += O(i, i);
                for (std::size_t j = 0; j < d; ++j)
                {
                    fro += O(i, j) * O(i, j);
                    const double a = O(i, j) - O(j, i), e = O(i, j) - O2(i, j);
                    asym += a * a;
                    idem += e * e;
                }
            }
            st.trace = trace;
            st.f = trace / dd;
            st.expected_f = kd / dd;
            double dvar = 0.0, off = 0.0, offmax = 0.0;
            for (std::size_t i = 0; i < d; ++i)
            {
                dvar += (O(i, i) - st.f) * (O(i, i) - st.f);
                for (std::size_t j = 0; j < d; ++j)
                    if (i != j)
                    {
                        off += O(i, j) * O(i, j);
                        offmax = std::max(offmax, std::abs(O(i, j)));
                    }
            }
            st.diagonal_std = std::sqrt(dvar / dd);
            st.expected_diagonal_std = std::sqrt(2.0 * st.expected_f * (1.0 - st.expected_f) / (dd + 2.0));
            st.offdiag_rms = d > 1 ? std::sqrt(off / (dd * (dd - 1.0))) : 0.0;
            st.expected_offdiag_rms = d > 1 ? std::sqrt(kd * (dd - kd) / (dd * (dd - 1.0) * (dd + 2.0))) : 0.0;
            st.offdiag_max_abs = offmax;
            const double norm = std::sqrt(fro);
            st.asymmetry = norm > 0.0 ? std::sqrt(asym) / norm : 0.0;
            st.idempotence_error = norm > 0.0 ? std::sqrt(idem) / norm : 0.0;
            return st;
        }
    }  // namespace detail

    using detail::operator_report;
}  // namespace tessera::projection
