#pragma once
/// \file detail/block_krylov.hpp
/// The block Krylov variant of truncated_svd's randomized route (options.block_krylov):
/// every power iteration's block is kept, and the factors come from a Rayleigh-Ritz step on
/// their span instead of from the last block alone. Internal.
///
/// For A [m, n] with small side s = min(m, n) and big side b = max(m, n), write op(A) for the
/// [b, s] orientation (A when tall, A^T when wide). Then, with l = rank + oversampling:
///   K_0 = orth(Omega) [s, l] (Gaussian), P_0 = op(A) K_0;
///   K_j = orth((I - K K^T) op(A)^T P_{j-1}) (projected twice), P_j = op(A) K_j, j = 1..q;
/// so K = [K_0 .. K_q] is an orthonormal basis of the block Krylov space
/// span{Omega, (A^T A) Omega, ..., (A^T A)^q Omega} (tall case) and P = op(A) K is already known:
/// 2 q + 1 passes over A, no final B = Q^T A pass. Rayleigh-Ritz: the top r eigenvectors C of
/// P^T P give V = K C, the best rank-r right subspace within span(K). The columns of
/// op(A) V = P C are orthogonal with norms sqrt(lambda) (their Gram is C^T H C = Lambda), so
/// U = P C Lambda^-1/2, Sigma = Lambda^1/2, V = K C is the SVD of op(A) V V^T, taken when U is
/// orthonormal to the gram route's tolerance; else P C = Q R (orthonormal_basis) and
/// R = U_R Sigma V_R^T give big-side vectors Q U_R and small-side vectors K C V_R.
/// The Krylov space of q iterations holds the subspace-iteration space of q iterations, so the
/// error is never worse than the plain route's with the same q (Musco & Musco 2015: its
/// iteration count grows as 1/sqrt(eps) where subspace iteration's grows as 1/eps).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../../core/blas.hpp"
#include "../../core/eigh_top.hpp"
#include "../../core/lapack.hpp"
#include "../../core/memory.hpp"
#include "../../core/random.hpp"
#include "../svd_result.hpp"
#include "gram_svd.hpp"
#include "orthonormalize.hpp"
#include "projection_svd.hpp"
#include "tail_status.hpp"

namespace tessera::spectral::detail
{
    /// U = P C Lambda^-1/2 [b, c] for the eigenpairs (Lambda, C [k, c]) of H = P^T P (P [b, k]):
    /// the left singular vectors of P C when they are orthonormal, ||U^T U - I||_max <=
    /// gram_orthonormality_tolerance<W>() (orthonormality_loss: products in W summed in double,
    /// b c^2 flops), which rounding
    /// in H breaks as eps_W (lambda_1 / lambda_j). Empty when the check fails or lambda_c <= 0.
    template <class W>
    xt::xtensor<W, 2> ritz_left_vectors(const xt::xtensor<W, 2>& P, const tessera::lapack::eigh_factors<double>& e)
    {
        const std::size_t b = P.shape(0), k = P.shape(1), c = e.values.size();
        if (c == 0 || !(e.values(c - 1) > 0.0))
            return {};
        std::vector<double> M(k * c);
        for (std::size_t i = 0; i < k; ++i)
            for (std::size_t j = 0; j < c; ++j)
                M[i * c + j] = e.vectors(i, j) / std::sqrt(e.values(j));
        xt::xtensor<W, 2> U = tessera::detail::fresh_tensor<W, 2>({b, c});
        left_product<W>(P, M.data(), c, U);
        if (!(orthonormality_loss(U, c, 0) <= gram_orthonormality_tolerance<W>()))
            return {};
        return U;
    }

    /// Block Krylov truncated SVD of A [m, n] in the working precision W (see the file comment).
    /// Cost (2 q + 1) 2 m n l flops in W plus b l^2 (the corner P_q^T P_q of H; the rest of H
    /// comes from the small side, 2 s k^2), 2 b k r (U = P C Lambda^-1/2) and b r^2 (its
    /// orthonormality check), with k = (q + 1) l (at most s); ~8 b r^2 more (orthonormal_basis,
    /// R, Q U_R) when the check fails.
    template <class T, class W>
    svd_result<T> block_krylov_svd_work(const xt::xtensor<W, 2>& A, std::size_t r, const truncated_svd_options& o)
    {
        using tessera::blas::op;
        const std::size_t m = A.shape(0), n = A.shape(1);
        const bool tall = m >= n;
        const std::size_t s = tall ? n : m, b = tall ? m : n;
        const std::size_t l = std::min(r + o.oversampling, s);
        const op to_big = tall ? op::none : op::transpose, to_small = tall ? op::transpose : op::none;
        // Block widths: l each, the last cut so that the space stays within s dimensions.
        std::vector<std::size_t> widths{l};
        for (std::size_t j = 0, k = l; j < o.power_iterations && k < s; ++j)
        {
            widths.push_back(std::min(l, s - k));
            k += widths.back();
        }
        std::size_t k = 0;
        for (std::size_t w : widths)
            k += w;
        xt::xtensor<W, 2> K = xt::xtensor<W, 2>::from_shape({s, k});
        xt::xtensor<W, 2> P = tessera::detail::fresh_tensor<W, 2>({b, k});
        // P[:, c0:c0+w] = op(A) K[:, c0:c0+w]
        auto big_product = [&](std::size_t c0, std::size_t w) {
            tessera::blas::detail::gemm_raw(to_big, op::none, b, w, s, W(1), A.data(), n, K.data() + c0, k, W(0),
                                            P.data() + c0, k);
        };
        auto put = [&](const xt::xtensor<W, 2>& Z, std::size_t c0) {
            const std::size_t w = Z.shape(1);
            for (std::size_t i = 0; i < s; ++i)
                std::copy(Z.data() + i * w, Z.data() + (i + 1) * w, K.data() + i * k + c0);
        };
        put(orthonormal_basis(tessera::random_normal<W>(s, l, o.seed)), 0);
        big_product(0, l);
        std::size_t c0 = l;
        // ZA [s, k]: column block j holds op(A)^T P_j = (A^T A) K_j (tall case), the unprojected
        // sample of the next iteration; with K it gives P^T P = K^T ZA without a pass over P.
        xt::xtensor<W, 2> ZA = xt::xtensor<W, 2>::from_shape({s, k});
        std::vector<W> work;
        for (std::size_t j = 1; j < widths.size(); ++j)
        {
            const std::size_t wp = widths[j - 1], prev = c0 - wp, w = widths[j];
            tessera::blas::detail::gemm_raw(to_small, op::none, s, wp, b, W(1), A.data(), n, P.data() + prev, k, W(0),
                                            ZA.data() + prev, k);
            // The next block from its first w columns (w is l but for a last block cut to s), against
            // the basis so far twice (classical Gram-Schmidt needs the second pass), orthonormalized
            // and projected once more (a rank-deficient block, an exhausted Krylov space, comes back
            // from QR with directions that must still be orthogonal).
            xt::xtensor<W, 2> Z = xt::xtensor<W, 2>::from_shape({s, w});
            for (std::size_t i = 0; i < s; ++i)
                std::copy(ZA.data() + i * k + prev, ZA.data() + i * k + prev + w, Z.data() + i * w);
            project_out(K.data(), k, c0, Z, 2, work);
            Z = orthonormal_basis(Z);
            project_out(K.data(), k, c0, Z, 1, work);
            Z = orthonormal_basis(Z);
            put(Z, c0);
            big_product(c0, w);
            c0 += w;
        }
        // Rayleigh-Ritz on span(K): H = P^T P = K^T A^T A K. Its column blocks j < q are K^T ZA_j
        // (small side, s k w flops each), which also give the row block q of H: H(q, j) = K_q^T ZA_j.
        // Only the corner H(q, q) = P_q^T P_q needs the big side: blas::gram's syrk (b w^2 flops;
        // float products in 2048-row blocks summed in double). The rest of the last column block
        // mirrors the last row block, and H is symmetrized (K_i^T ZA_j and K_j^T ZA_i round
        // differently).
        const std::size_t wl = widths.back(), last = k - wl;
        xt::xtensor<double, 2> H = xt::zeros<double>({k, k});
        {
            xt::xtensor<W, 2> Hw = xt::xtensor<W, 2>::from_shape({k, last});
            if (last > 0)
                tessera::blas::detail::gemm_raw(op::transpose, op::none, k, last, s, W(1), K.data(), k, ZA.data(), k,
                                                W(0), Hw.data(), last);
            for (std::size_t i = 0; i < k; ++i)
                for (std::size_t j = 0; j < last; ++j)
                    H(i, j) = static_cast<double>(Hw(i, j));
            const auto corner = tessera::blas::detail::gram_strided<double, W>(P.data() + last, b, wl, k);
            for (std::size_t i = 0; i < wl; ++i)
                for (std::size_t j = 0; j < wl; ++j)
                    H(last + i, last + j) = corner(i, j);
            for (std::size_t i = 0; i < last; ++i)
                for (std::size_t j = last; j < k; ++j)
                    H(i, j) = H(j, i);
            for (std::size_t i = 0; i < k; ++i)
                for (std::size_t j = i + 1; j < k; ++j)
                    H(i, j) = H(j, i) = 0.5 * (H(i, j) + H(j, i));
        }
        auto e = tessera::lapack::eigh_top<double>(std::move(H), std::min(r, k));
        const std::size_t rr = e.values.size();
        // op(A) V for V = K C is P C, whose columns are orthogonal with norms sqrt(lambda) in exact
        // arithmetic ((P C)^T P C = C^T H C = Lambda): U = P C Lambda^-1/2 and Sigma = Lambda^1/2
        // directly when ritz_left_vectors finds U orthonormal; else (ill-conditioned float
        // products, lambda <= 0) P C = Q R (orthonormal_basis) and the SVD of R give the factors
        // (svd_from_projection; ~8 b r^2 more flops). A/B on 2 cores, medians: 32128 x 512 r = 64
        // 175 -> 158 ms, r = 256 700 -> 350 ms; 151936 x 896 r = 64 1.51 -> 1.30 s, r = 256
        // 5.45 -> 3.99 s; GloVe r = 64 850 -> 310 ms (with the corner-only H above).
        xt::xtensor<T, 2> big;
        xt::xtensor<double, 2> mix = xt::xtensor<double, 2>::from_shape({k, rr});  // V = K mix
        xt::xtensor<T, 1> S = xt::zeros<T>({r});
        tessera::status status = e.status;
        auto UW = rr == r ? ritz_left_vectors(P, e) : xt::xtensor<W, 2>{};
        if (UW.size() != 0)
        {
            big = in_precision<T>(std::move(UW));
            for (std::size_t j = 0; j < rr; ++j)
                S(j) = static_cast<T>(std::sqrt(e.values(j)));
            std::copy(e.vectors.begin(), e.vectors.end(), mix.begin());
        }
        else
        {
            xt::xtensor<W, 2> C = xt::xtensor<W, 2>::from_shape({k, rr});
            std::transform(e.vectors.begin(), e.vectors.end(), C.begin(), [](double v) { return static_cast<W>(v); });
            xt::xtensor<W, 2> PC = tessera::detail::fresh_tensor<W, 2>({b, rr});
            tessera::blas::gemm(op::none, op::none, W(1), P, C, W(0), PC);
            // P C = Q R; svd_from_projection gives R = U_R Sigma V_R^T (in double) and the big-side
            // vectors Q U_R; the small side is K (C V_R).
            auto Q = orthonormal_basis(PC);
            xt::xtensor<W, 2> R = tessera::blas::matmul(Q, PC, op::transpose);
            auto f = svd_from_projection<T, W>(Q, R, r);
            big = std::move(f.U);
            S = std::move(f.S);
            xt::xtensor<double, 2> VR = xt::xtensor<double, 2>::from_shape({r, rr});  // V_R^T
            std::copy(f.Vt.begin(), f.Vt.end(), VR.begin());
            mix = tessera::blas::matmul(e.vectors, VR, op::none, op::transpose);
            if (status.ok())
                status = f.status;
        }
        xt::xtensor<double, 2> Kd = xt::xtensor<double, 2>::from_shape({s, k});
        std::copy(K.begin(), K.end(), Kd.begin());
        const auto smalld = tessera::blas::matmul(Kd, mix);
        xt::xtensor<T, 2> small = xt::xtensor<T, 2>::from_shape({s, smalld.shape(1)});
        std::copy(smalld.begin(), smalld.end(), small.begin());

        svd_result<T> out;
        out.method = svd_method::randomized;
        out.power_iterations = widths.size() - 1;
        out.S = std::move(S);
        if (tall)
        {
            out.U = std::move(big);
            out.Vt = tessera::blas::transposed(small);
        }
        else
        {
            out.U = std::move(small);
            out.Vt = tessera::blas::transposed(big);
        }
        out.status = std::move(status);
        return out;
    }
}  // namespace tessera::spectral::detail
