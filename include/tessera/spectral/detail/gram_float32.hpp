#pragma once
/// \file detail/gram_float32.hpp
/// The float32 gram route of truncated_svd for float A: the Gram matrix from float block
/// products (summed in double), its top l = rank + oversampling eigenvectors refined by a
/// Rayleigh-Ritz step in double, and an a-posteriori estimate of the error of sigma_r that
/// decides whether the result is kept or the double Gram is formed instead.
/// Internal: call tessera::spectral::truncated_svd (options.gram_float32).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../../core/blas.hpp"
#include "../../core/eigh_top.hpp"
#include "../../core/lapack.hpp"
#include "../../core/memory.hpp"
#include "../../core/parallel.hpp"
#include "../svd_result.hpp"
#include "gram_svd.hpp"
#include "tail_status.hpp"

namespace tessera::spectral::detail
{
    /// The float32 gram route's factors and its verdict on them.
    struct float32_gram_outcome
    {
        svd_result<float> result;  ///< U, S, Vt (status ok, method gram) when accepted
        /// Estimated relative error of sigma_r: eps_float sigma_1 / sigma_r (rounding of the float
        /// product A V) + (n - l) delta^2 / (2 (theta_r - lambda_{l+1}) theta_r) (the Ritz value's
        /// error from the float Gram's subspace; delta = max_j |lambda_j - theta_j| over the l
        /// refined pairs, lambda the float Gram's eigenvalues, theta the Ritz values).
        double estimate = std::numeric_limits<double>::infinity();
        bool accepted = false;  ///< estimate <= tolerance and sigma_r above the route's numerical zero
        std::string why;        ///< when not accepted: the numbers that decided
    };

    /// The float32 gram route on a tall float A [m, n] (m >= n), rank r, l = min(r + p, n):
    ///  1. G = A^T A from ssyrk over blocks of 2048 rows, summed in double (blas::gram<double, float>);
    ///  2. its top l + 1 eigenpairs by syevr in double (lapack::eigh_top), V_l the top l vectors
    ///     (a float syevr is 2x faster still, but its eps_float lambda_1 vector error made the
    ///     subspace term reject r = 1024 of n = 2560);
    ///  3. Y = A V_l (sgemm, the m n l product U needs anyway);
    ///  4. Rayleigh-Ritz: H = Y^T Y (float block products summed in double: Y's columns are
    ///     nearly orthogonal, so its diagonal carries no cancellation), eigh(H) = W Theta W^T in
    ///     double, sigma_j = sqrt(theta_j), V = V_l W_r, U = Y W_r Sigma^-1 (sgemm; recomputed with
    ///     double products when ||U^T U - I|| exceeds 1e-5 where a loss is plausible).
    /// Cost m n^2 (float syrk) + 4/3 n^3 (tridiagonal reduction in double) + O(n^2 l + l^3)
    /// + 2 m n l + m l^2 + 2 m l r (float).
    /// Ritz values are second-order accurate in the subspace error, so sigma_j carries the float
    /// Gram's error only squared; the estimate (float32_gram_outcome::estimate) says when that is
    /// not enough for `tolerance`. Singular vectors are first-order: their angle error is about
    /// sqrt(n - l) delta / (theta_j - lambda_{l+1}).
    inline float32_gram_outcome gram_svd_tall_float32(const xt::xtensor<float, 2>& A, std::size_t r,
                                                      std::size_t oversampling, double tolerance)
    {
        using tessera::blas::op;
        const std::size_t m = A.shape(0), n = A.shape(1), l = std::min(r + oversampling, n);
        float32_gram_outcome out;
        // The Gram from float block products summed in double and its top l (+ 1 for the gap
        // below the subspace) eigenpairs: the Gram's first-order error reaches sigma only through
        // the Rayleigh-Ritz step below (second order) and the measured delta.
        const std::size_t want = std::min(l + 1, n);
        auto e = tessera::lapack::eigh_top<double>(tessera::blas::gram<double, float>(A), want);
        if (!e.status.ok())
        {
            out.why = concat("float32 gram: ", e.status.message);
            return out;
        }
        const double lambda1 = std::max(static_cast<double>(e.values(0)), 0.0);
        if (!(lambda1 > 0.0))
        {
            out.why = "float32 gram: A^T A is zero";
            return out;
        }
        // Y = A V_l in float.
        xt::xtensor<float, 2> Vl = xt::xtensor<float, 2>::from_shape({n, l});
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < l; ++j)
                Vl(i, j) = static_cast<float>(e.vectors(i, j));
        xt::xtensor<float, 2> Y = tessera::detail::fresh_tensor<float, 2>({m, l});
        tessera::blas::gemm(op::none, op::none, 1.0f, A, Vl, 0.0f, Y);
        // Rayleigh-Ritz in double on span(V_l): H = Y^T Y = V_l^T A^T A V_l (with the float V_l).
        auto h = tessera::lapack::eigh<double>(tessera::blas::gram<double, float>(Y));
        if (!h.status.ok())
        {
            out.why = concat("float32 gram: Rayleigh-Ritz ", h.status.message);
            return out;
        }
        std::vector<double> theta(l), sigma(l);
        double delta = 0.0;
        for (std::size_t j = 0; j < l; ++j)
        {
            theta[j] = std::max(h.values(j), 0.0);
            sigma[j] = std::sqrt(theta[j]);
            delta = std::max(delta, std::abs(static_cast<double>(e.values(j)) - theta[j]));
        }
        const double s1 = sigma[0], sr = sigma[r - 1];
        const double eps = eps_of<float>();
        const double zero = std::sqrt(static_cast<double>(std::max(m, n))) * eps * s1;
        if (!(sr > zero))
        {
            out.why = concat("float32 gram: sigma_", r, "=", sr, " <= ", zero, " (its numerical zero)");
            return out;
        }
        double sub = 0.0;
        if (l < n)
        {
            const double gap = theta[r - 1] - static_cast<double>(e.values(l));
            sub = gap > 0.0 ? static_cast<double>(n - l) * delta * delta / (2.0 * gap * theta[r - 1])
                            : std::numeric_limits<double>::infinity();
        }
        out.estimate = eps * s1 / sr + sub;
        if (!(out.estimate <= tolerance))
        {
            out.why = concat("float32 gram: estimated relative error of sigma_", r, " is ", out.estimate,
                             " (eps_float sigma_1/sigma_r=", eps * s1 / sr, ", subspace term ", sub,
                             "), above the tolerance ", tolerance);
            return out;
        }
        // V = V_l W_r (with the float V_l that Y used), C = W_r Sigma^-1.
        svd_result<float>& res = out.result;
        res.method = svd_method::gram;
        res.S = xt::xtensor<float, 1>::from_shape({r});
        res.Vt = xt::xtensor<float, 2>::from_shape({r, n});
        std::vector<double> C(l * r);
        for (std::size_t j = 0; j < r; ++j)
        {
            res.S(j) = static_cast<float>(sigma[j]);
            for (std::size_t k = 0; k < l; ++k)
                C[k * r + j] = h.vectors(k, j) / sigma[j];
        }
        {
            // Vt [r, n] = W_r^T V_l^T in double (one dgemm, 2 n l r flops).
            std::vector<double> vl(Vl.begin(), Vl.end()), vt(r * n);
            tessera::blas::detail::gemm_raw(op::transpose, op::transpose, r, n, l, 1.0, h.vectors.data(), l, vl.data(),
                                            l, 0.0, vt.data(), n);
            std::transform(vt.begin(), vt.end(), res.Vt.begin(), [](double v) { return static_cast<float>(v); });
        }
        // U = Y C in float (2 m l r flops); its loss of orthonormality, eps_float sigma_1 / sigma_j
        // amplified as on the double route, is checked the same way, and U recomputed from Y
        // with double products when it exceeds the tolerance.
        res.U = tessera::detail::fresh_tensor<float, 2>({m, r});
        left_product<float>(Y, C.data(), r, res.U);
        const double orth_tol = gram_orthonormality_tolerance<float>();
        const std::size_t from = first_column_to_check<float>(sigma, r, orth_tol);
        double loss = orthonormality_loss(res.U, r, from);
        if (loss > orth_tol)
        {
            left_product<double>(Y, C.data(), r, res.U);
            loss = orthonormality_loss(res.U, r, from);
            if (loss > orth_tol)
            {
                out.why = concat("float32 gram: U is orthonormal only to ||U^T U - I||_max=", loss, " > ", orth_tol);
                return out;
            }
        }
        out.accepted = true;
        return out;
    }
}  // namespace tessera::spectral::detail
