#pragma once
/// \file detail/randomized.hpp
/// The randomized route (block power iteration on an n x l sketch, Rayleigh-Ritz, the Ritz
/// residual at no extra pass) and the status rules of both routes. Internal.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include <xtensor/xtensor.hpp>
#include <type_traits>

#include "../../core/blas.hpp"
#include "../../core/lapack.hpp"
#include "../../core/random.hpp"
#include "../../core/status.hpp"
#include "../../spectral/detail/gram_svd.hpp"
#include "../../spectral/detail/orthonormalize.hpp"
#include "../../spectral/detail/tail_status.hpp"
#include "../pass.hpp"
#include "../source.hpp"
#include "../svd_options.hpp"
#include "score_pass.hpp"

namespace tessera::stream::detail
{
    template <class T>
    double default_tolerance(stream_method m) noexcept
    {
        if (m == stream_method::randomized)
            return 1e-3;
        return std::is_same_v<T, float> ? 1e-4 : 1e-8;
    }

    /// Leading eigenpairs of X^T X (of (X - shift)^T (X - shift) when shift is given) from
    /// `passes` passes of block power iteration on an n x l sketch, then Rayleigh-Ritz:
    /// lambda [l] descending, V [n, l], and each pair's residual ||X^T X v - lambda v||.
    struct ritz_pairs
    {
        std::vector<double> lambda;
        xt::xtensor<double, 2> V;
        std::vector<double> residual;
        tessera::status status;
    };

    template <class Reducer>
    ritz_pairs randomized_pairs(const row_source& src, std::size_t r, const svd_options& o,
                                const std::vector<double>* shift, pass_report& report, const Reducer& red,
                                std::size_t passes_total, const char* fn)
    {
        using tessera::blas::op;
        const std::size_t n = src.cols();
        const std::size_t l = std::min(r + o.oversampling, n);
        xt::xtensor<double, 2> Q = spectral::detail::orthonormal_basis<double>(random_normal<double>(n, l, o.seed, 17));
        const std::size_t fixed = (3 * n * l + 2 * l * l) * sizeof(double);
        const std::size_t per_row = bytes_per_block_row<double>(src, o.stream) + l * sizeof(double);
        const std::size_t rows = block_rows_for(src, o.stream, fixed, per_row, fn);
        xt::xtensor<double, 2> Z;
        std::vector<double> Y(rows * l);
        for (std::size_t pass = 1; pass <= o.passes; ++pass)
        {
            Z = xt::zeros<double>({n, l});
            for_each_block<double>(src, o.stream, rows, passes_total, fixed + Y.size() * sizeof(double), report,
                                   [&](const double* B, std::size_t cnt, std::size_t first) {
                require_finite_rows(B, cnt, n, first, src, fn);
                if (shift)
                    subtract_shift(const_cast<double*>(B), cnt, n, *shift);
                tessera::blas::detail::gemm_raw(op::none, op::none, cnt, l, n, 1.0, B, n, Q.data(), l, 0.0, Y.data(), l);
                tessera::blas::detail::gemm_raw(op::transpose, op::none, n, l, cnt, 1.0, B, n, Y.data(), l, 1.0,
                                                Z.data(), l);
            });
            red.sum(Z.data(), Z.size());
            if (pass < o.passes)
                Q = spectral::detail::orthonormal_basis<double>(Z);
        }
        // Rayleigh-Ritz: H = Q^T (X^T X Q) = Q^T Z, symmetrized.
        xt::xtensor<double, 2> H = xt::xtensor<double, 2>::from_shape({l, l});
        tessera::blas::detail::gemm_raw(op::transpose, op::none, l, l, n, 1.0, Q.data(), l, Z.data(), l, 0.0, H.data(), l);
        for (std::size_t i = 0; i < l; ++i)
            for (std::size_t j = 0; j < i; ++j)
                H(i, j) = H(j, i) = 0.5 * (H(i, j) + H(j, i));
        auto e = lapack::eigh<double>(std::move(H));
        ritz_pairs out;
        out.status = e.status;
        out.lambda.resize(l);
        for (std::size_t j = 0; j < l; ++j)
            out.lambda[j] = std::max(e.values(j), 0.0);
        out.V = xt::xtensor<double, 2>::from_shape({n, l});
        tessera::blas::detail::gemm_raw(op::none, op::none, n, l, l, 1.0, Q.data(), l, e.vectors.data(), l, 0.0,
                                        out.V.data(), l);
        // X^T X v_j = Z w_j exactly for the final Q, so the residual costs no pass.
        xt::xtensor<double, 2> ZW = xt::xtensor<double, 2>::from_shape({n, l});
        tessera::blas::detail::gemm_raw(op::none, op::none, n, l, l, 1.0, Z.data(), l, e.vectors.data(), l, 0.0,
                                        ZW.data(), l);
        out.residual.assign(l, 0.0);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < l; ++j)
            {
                const double d = ZW(i, j) - out.lambda[j] * out.V(i, j);
                out.residual[j] += d * d;
            }
        for (double& v : out.residual)
            v = std::sqrt(v);
        return out;
    }

    /// sigma_j = sqrt(max(lambda_j, 0)).
    inline std::vector<double> sqrt_clipped(const std::vector<double>& lambda)
    {
        std::vector<double> s(lambda.size());
        for (std::size_t j = 0; j < s.size(); ++j)
            s[j] = std::sqrt(std::max(lambda[j], 0.0));
        return s;
    }

    /// Status of a route: rank_deficient below the Gram's numerical zero; accuracy_limited when
    /// the estimated relative error of sigma_r exceeds the tolerance (gram: eps_double
    /// (sigma_1/sigma_r)^2; randomized: residual_r / (2 lambda_r)).
    inline tessera::status route_status(tessera::status lapack_status, const std::vector<double>& sigma,
                                        const std::vector<double>* residual, std::size_t r, double tolerance,
                                        std::size_t m, std::size_t n)
    {
        const double zero = spectral::detail::gram_numerical_zero(sigma[0], m, n);
        if (!residual)
            return spectral::detail::merge_status(
                lapack_status, spectral::detail::tail_status("stream gram", sigma, r, zero,
                                                             spectral::detail::gram_relative_error(sigma[0], sigma[r - 1]),
                                                             tolerance, "eps*(sigma_1/sigma_r)^2", "options.tolerance"));
        // Residual rho of the Ritz pair (theta, v) of X^T X: some eigenvalue lies within rho of
        // theta, and within rho^2 / delta when the rest of the spectrum is delta away
        // (Kato-Temple; delta estimated by the gap to the next Ritz value of the sketch).
        const double lam = sigma[r - 1] * sigma[r - 1], rho = (*residual)[r - 1];
        double est = lam > 0.0 ? rho / (2.0 * lam) : std::numeric_limits<double>::infinity();
        if (lam > 0.0 && sigma.size() > r)
        {
            const double delta = lam - sigma[r] * sigma[r];
            if (delta > 0.0)
                est = std::min(est, rho * rho / (delta * 2.0 * lam));
        }
        return spectral::detail::merge_status(
            lapack_status, spectral::detail::tail_status("stream randomized", sigma, r, zero, est, tolerance,
                                                         "min(rho, rho^2/gap) / (2 sigma_r^2), rho = ||X^T X v_r - sigma_r^2 v_r||",
                                                         "options.tolerance"));
    }
}  // namespace tessera::stream::detail
