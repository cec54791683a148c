#pragma once
/// \file battery_attention.hpp
/// The attention part of the weight-terrain battery: the spectrum of each head's bilinear form
/// M_h = W_Q,h^T W_K,g (the QK^T circuit, [hidden, hidden]), its asymmetry and the sign balance
/// of its symmetric part, all from the small Gram matrix of the head's stacked rows.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include <cblas.h>
#include <xtensor/xtensor.hpp>

#include "../core/blas.hpp"
#include "../core/errors.hpp"
#include "../core/lapack.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"
#include "../spectral/metrics.hpp"
#include "detail/battery_spectrum.hpp"

namespace tessera::model
{
    /// Metrics of one head's M_h = W_Q,h^T W_K,g.
    struct qk_head_metrics
    {
        std::size_t head = 0;                    ///< query head h
        std::size_t kv_head = 0;                 ///< key head g = h / (n_heads / n_kv_heads)
        xt::xtensor<double, 1> singular_values;  ///< [min(head_dim, hidden)] the non-trivial part of M_h's spectrum, descending (the rest is 0)
        double stable_rank = 0.0;                ///< ||M||_F^2 / sigma_1^2
        double participation_ratio = 0.0;        ///< (sum sigma)^2 / sum sigma^2
        double effective_rank = 0.0;             ///< exp H(sigma / sum sigma)
        double symmetry = 0.0;                   ///< ||M - M^T||_F / ||M||_F, in [0, 2] (0: symmetric)
        /// Fraction of the non-zero eigenvalues of (M + M^T)/2 that are > 0. \note Per head this is
        /// 0.5 whenever [W_Q,h; W_K,g] has full rank 2 d_h (Sylvester's law of inertia: (M + M^T)/2
        /// = B^T J B with J of inertia (d_h, d_h)), so it only departs from 0.5 for rank-deficient
        /// heads; the layer's qk_metrics::positive_fraction (full matrix) is the informative one.
        double positive_fraction = 0.0;
        double positive_mass = 0.0;              ///< sum of positive eigenvalues / sum |eigenvalues| of (M + M^T)/2
    };

    /// Per-head QK^T metrics of one layer.
    struct qk_metrics
    {
        std::size_t n_heads = 0;                 ///< query heads
        std::size_t n_kv_heads = 0;              ///< key/value heads
        std::size_t head_dim = 0;                ///< rows per head
        std::vector<qk_head_metrics> heads;      ///< [n_heads]
        double mean_symmetry = 0.0;              ///< mean of heads[h].symmetry
        double symmetry = 0.0;                   ///< ||M - M^T||_F / ||M||_F of the layer's full M = W_Q^T W_K = sum_h M_h [hidden, hidden]
        double positive_fraction = 0.0;          ///< fraction of the non-zero eigenvalues of the full (M + M^T)/2 that are > 0 (the seeds' metric)
        double positive_mass = 0.0;              ///< sum of positive / sum |eigenvalues| of the full (M + M^T)/2
        tessera::status status;                  ///< degenerate when a head's M is zero; not_converged from syevd
    };

    namespace detail
    {
        /// Symmetric square root R = V diag(sqrt(max(d, 0))) V^T of the PSD G [n, n].
        inline xt::xtensor<double, 2> psd_sqrt(xt::xtensor<double, 2> G, tessera::status& st)
        {
            const std::size_t n = G.shape(0);
            auto e = tessera::lapack::eigh<double>(std::move(G));
            if (!e.status.ok())
                st = e.status;
            xt::xtensor<double, 2> Vs = e.vectors;  // columns scaled by d^(1/4), R = Vs Vs^T
            for (std::size_t j = 0; j < n; ++j)
            {
                const double f = std::sqrt(std::sqrt(std::max(e.values(j), 0.0)));
                for (std::size_t i = 0; i < n; ++i)
                    Vs(i, j) *= f;
            }
            return tessera::blas::matmul(Vs, Vs, tessera::blas::op::none, tessera::blas::op::transpose);
        }

        /// positive_fraction and positive_mass of the eigenvalues `lam` of a symmetric matrix
        /// (|lambda| <= 1e-9 max |lambda| counts as zero).
        inline void sign_balance(const std::vector<double>& lam, double& fraction, double& mass_fraction)
        {
            double big = 0.0, pos = 0.0, mass = 0.0;
            for (double l : lam)
                big = std::max(big, std::abs(l));
            std::size_t nonzero = 0, positive = 0;
            for (double l : lam)
                if (std::abs(l) > 1e-9 * big)
                {
                    ++nonzero;
                    positive += l > 0.0 ? 1u : 0u;
                    pos += std::max(l, 0.0);
                    mass += std::abs(l);
                }
            fraction = nonzero ? static_cast<double>(positive) / static_cast<double>(nonzero) : 0.0;
            mass_fraction = mass > 0.0 ? pos / mass : 0.0;
        }

        /// Full-matrix QK metrics of a layer: M = sum_h W_Q,h^T W_K,g(h) [hidden, hidden] in double
        /// (one dgemm of Q^T and the key rows repeated per group, 2 n_heads d_h hidden^2 flops),
        /// its symmetry, and the sign balance of (M + M^T)/2 (syevd values only).
        template <class T>
        void full_qk_metrics(const xt::xtensor<T, 2>& Q, const xt::xtensor<T, 2>& K, std::size_t n_heads,
                             std::size_t n_kv_heads, qk_metrics& out)
        {
            const std::size_t hidden = Q.shape(1), dh = Q.shape(0) / n_heads, group = n_heads / n_kv_heads;
            xt::xtensor<double, 2> Qd = xt::xtensor<double, 2>::from_shape({Q.shape(0), hidden}), Kd = Qd;
            std::copy(Q.begin(), Q.end(), Qd.begin());
            for (std::size_t h = 0; h < n_heads; ++h)
                std::copy(K.data() + (h / group) * dh * hidden, K.data() + (h / group + 1) * dh * hidden,
                          Kd.data() + h * dh * hidden);
            auto M = tessera::blas::matmul(Qd, Kd, tessera::blas::op::transpose, tessera::blas::op::none);
            double fro2 = 0.0, asym2 = 0.0;
            for (std::size_t i = 0; i < hidden; ++i)
                for (std::size_t j = 0; j < i; ++j)
                {
                    const double a = M(i, j), b = M(j, i);
                    fro2 += a * a + b * b;
                    asym2 += 2.0 * (a - b) * (a - b);
                    M(i, j) = M(j, i) = 0.5 * (a + b);
                }
            for (std::size_t i = 0; i < hidden; ++i)
                fro2 += M(i, i) * M(i, i);
            out.symmetry = fro2 > 0.0 ? std::sqrt(asym2 / fro2) : 0.0;
            sign_balance(eigvalsh_desc(M, out.status), out.positive_fraction, out.positive_mass);
        }

        /// QK^T metrics of every query head and of the layer's full M = W_Q^T W_K. Per head, with
        /// Q = W_Q,h and K = W_K,g ([d_h, hidden] row blocks) and G = [Q; K][Q; K]^T (one double
        /// syrk, 4 d_h^2 hidden flops): the non-zero sigma(M_h)^2 are the eigenvalues of
        /// G_K^(1/2) G_Q G_K^(1/2); ||M_h||_F^2 = <G_Q, G_K>; ||M_h - M_h^T||_F^2 = 2 ||M_h||_F^2 -
        /// 2 tr((K Q^T)^2); the non-zero eigenvalues of (M_h + M_h^T)/2 = B^T J B are those of
        /// G^(1/2) J G^(1/2), J = [[0, I/2], [I/2, 0]] (no [hidden, hidden] matrix per head). The
        /// layer's full M (keys repeated per group) is formed once in double for its symmetry and
        /// sign balance (full_qk_metrics). Eigenvalues below 1e-9 max |lambda| count as zero.
        /// \param Wq [n_heads d_h, hidden]; \param Wk [n_kv_heads d_h, hidden]; heads are row
        ///        blocks (llama layout [out, in]). n_heads must be a multiple of n_kv_heads.
        /// \note symmetry comes from a difference of traces: absolute error ~ sqrt(eps) (1e-8 in
        ///       double) near 0.
        /// \throws tessera::invalid_argument for mismatched shapes or head counts, or non-finite weights.
        template <class E1, class E2, requires_t<is_real_expression_v<E1> && is_real_expression_v<E2>> = true>
        qk_metrics measure_qk(const xt::xexpression<E1>& Wq, const xt::xexpression<E2>& Wk, std::size_t n_heads,
                              std::size_t n_kv_heads)
        {
            using T = value_type_t<E1>;
            const char* fn = "model::measure_qk";
            const auto hq = tessera::detail::evaluate<T, 2>(Wq, fn, "Wq");
            const auto hk = tessera::detail::evaluate<T, 2>(Wk, fn, "Wk");
            const auto& Q = hq.get();
            const auto& K = hk.get();
            require(n_heads > 0 && n_kv_heads > 0 && n_heads % n_kv_heads == 0, fn, "n_heads=", n_heads,
                    " must be a positive multiple of n_kv_heads=", n_kv_heads);
            require(Q.shape(0) > 0 && Q.shape(0) % n_heads == 0, fn, "Wq rows=", Q.shape(0),
                    " must be a positive multiple of n_heads=", n_heads);
            const std::size_t dh = Q.shape(0) / n_heads, hidden = Q.shape(1);
            require(K.shape(0) == n_kv_heads * dh && K.shape(1) == hidden, fn, "Wk must have shape [",
                    n_kv_heads * dh, ", ", hidden, "] (n_kv_heads * head_dim, hidden), got ", shape_to_string(K.shape()));
            require_finite(Q, fn, "Wq");
            require_finite(K, fn, "Wk");
            qk_metrics out;
            out.n_heads = n_heads;
            out.n_kv_heads = n_kv_heads;
            out.head_dim = dh;
            const std::size_t group = n_heads / n_kv_heads, b = 2 * dh, ks = std::min(dh, hidden);
            std::vector<double> B(b * hidden);
            for (std::size_t h = 0; h < n_heads; ++h)
            {
                qk_head_metrics m;
                m.head = h;
                m.kv_head = h / group;
                std::copy(Q.data() + h * dh * hidden, Q.data() + (h + 1) * dh * hidden, B.begin());
                std::copy(K.data() + m.kv_head * dh * hidden, K.data() + (m.kv_head + 1) * dh * hidden,
                          B.begin() + static_cast<std::ptrdiff_t>(dh * hidden));
                xt::xtensor<double, 2> G = xt::zeros<double>({b, b});
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, static_cast<int>(b), static_cast<int>(hidden), 1.0,
                            B.data(), static_cast<int>(hidden), 0.0, G.data(), static_cast<int>(b));
                for (std::size_t i = 0; i < b; ++i)
                    for (std::size_t j = 0; j < i; ++j)
                        G(i, j) = G(j, i);
                xt::xtensor<double, 2> Gq = xt::xtensor<double, 2>::from_shape({dh, dh}), Gk = Gq;
                double fro2 = 0.0, trcc = 0.0;
                for (std::size_t i = 0; i < dh; ++i)
                    for (std::size_t j = 0; j < dh; ++j)
                    {
                        Gq(i, j) = G(i, j);
                        Gk(i, j) = G(dh + i, dh + j);
                        fro2 += G(i, j) * G(dh + i, dh + j);
                        trcc += G(dh + i, j) * G(dh + j, i);  // C = K Q^T = G[dh:, :dh]
                    }
                const auto Rk = psd_sqrt(Gk, out.status);
                auto X = tessera::blas::matmul(tessera::blas::matmul(Rk, Gq), Rk);
                const auto s2 = eigvalsh_desc(X, out.status);
                m.singular_values = xt::xtensor<double, 1>::from_shape({ks});
                for (std::size_t i = 0; i < ks; ++i)
                    m.singular_values(i) = std::sqrt(std::max(s2[i], 0.0));
                auto RJR = psd_sqrt(G, out.status);
                // Y = R J R with J = [[0, I/2], [I/2, 0]]: R J = [R[:, dh:], R[:, :dh]] / 2
                xt::xtensor<double, 2> RJ = xt::xtensor<double, 2>::from_shape({b, b});
                for (std::size_t i = 0; i < b; ++i)
                    for (std::size_t j = 0; j < b; ++j)
                        RJ(i, j) = 0.5 * RJR(i, j < dh ? j + dh : j - dh);
                auto Y = tessera::blas::matmul(RJ, RJR);
                for (std::size_t i = 0; i < b; ++i)  // symmetrize round-off
                    for (std::size_t j = 0; j < i; ++j)
                        Y(i, j) = Y(j, i) = 0.5 * (Y(i, j) + Y(j, i));
                sign_balance(eigvalsh_desc(Y, out.status), m.positive_fraction, m.positive_mass);
                if (fro2 > 0.0)
                {
                    m.stable_rank = spectral::stable_rank(m.singular_values);
                    m.participation_ratio = spectral::participation_ratio_sigma(m.singular_values);
                    m.effective_rank = spectral::effective_rank_entropy(m.singular_values);
                    m.symmetry = std::sqrt(std::max(0.0, 2.0 * (fro2 - trcc))) / std::sqrt(fro2);
                }
                else if (out.status.ok())
                    out.status = {status_code::degenerate, concat("M of head ", h, " is zero: its metrics are 0")};
                out.mean_symmetry += m.symmetry / static_cast<double>(n_heads);
                out.heads.push_back(std::move(m));
            }
            full_qk_metrics(Q, K, n_heads, n_kv_heads, out);
            return out;
        }
    }  // namespace detail

    using detail::measure_qk;
}  // namespace tessera::model
