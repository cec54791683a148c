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
/// P^T P give V = K C, the best rank-r right subspace within span(K); then op(A) V = P C = Q R
/// (orthonormal_basis) and R = U_R Sigma V_R^T give the SVD of op(A) V V^T:
/// big-side vectors Q U_R, singular values Sigma, small-side vectors K C V_R.
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
#include "orthonormalize.hpp"
#include "projection_svd.hpp"
#include "tail_status.hpp"

namespace tessera::spectral::detail
{
    /// Block Krylov truncated SVD of A [m, n] in the working precision W (see the file comment).
    /// Cost (2 q + 1) 2 m n l flops in W plus 2 b k l (the last column block of P^T P; the others
    /// come from the small side, 2 s k^2), 2 b k r (P C) and ~8 b r^2 (orthonormal_basis, R,
    /// Q U_R) with k = (q + 1) l (at most s).
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
        // (small side, s k w flops each); the last, P^T P_q, is formed over the big side in
        // 2048-row float blocks summed in double (2 b k w flops, under one pass since k <= s).
        // H is then symmetrized (the two halves round differently).
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
            constexpr std::size_t block = 2048;
            std::vector<W> part(k * wl);
            for (std::size_t r0 = 0; r0 < b; r0 += block)
            {
                const std::size_t rows = std::min(block, b - r0);
                tessera::blas::detail::gemm_raw(op::transpose, op::none, k, wl, rows, W(1), P.data() + r0 * k, k,
                                                P.data() + r0 * k + last, k, W(0), part.data(), wl);
                for (std::size_t i = 0; i < k; ++i)
                    for (std::size_t j = 0; j < wl; ++j)
                        H(i, last + j) += static_cast<double>(part[i * wl + j]);
            }
            for (std::size_t i = 0; i < k; ++i)
                for (std::size_t j = i + 1; j < k; ++j)
                    H(i, j) = H(j, i) = 0.5 * (H(i, j) + H(j, i));
        }
        auto e = tessera::lapack::eigh_top<double>(std::move(H), std::min(r, k));
        const std::size_t rr = e.values.size();
        xt::xtensor<W, 2> C = xt::xtensor<W, 2>::from_shape({k, rr});
        std::transform(e.vectors.begin(), e.vectors.end(), C.begin(), [](double v) { return static_cast<W>(v); });
        xt::xtensor<W, 2> PC = tessera::detail::fresh_tensor<W, 2>({b, rr});
        tessera::blas::gemm(op::none, op::none, W(1), P, C, W(0), PC);
        // op(A) V = P C = Q R; svd_from_projection gives R = U_R Sigma V_R^T (in double) and the
        // big-side vectors Q U_R; the small side is K (C V_R) [s, rr], in double.
        auto Q = orthonormal_basis(PC);
        xt::xtensor<W, 2> R = tessera::blas::matmul(Q, PC, op::transpose);
        auto f = svd_from_projection<T, W>(Q, R, rr);
        xt::xtensor<double, 2> Cd = xt::xtensor<double, 2>::from_shape({k, rr});
        std::copy(e.vectors.begin(), e.vectors.end(), Cd.begin());
        xt::xtensor<double, 2> VR = xt::xtensor<double, 2>::from_shape({rr, rr});  // V_R^T
        std::copy(f.Vt.begin(), f.Vt.end(), VR.begin());
        xt::xtensor<double, 2> Kd = xt::xtensor<double, 2>::from_shape({s, k});
        std::copy(K.begin(), K.end(), Kd.begin());
        const auto smalld = tessera::blas::matmul(Kd, tessera::blas::matmul(Cd, VR, op::none, op::transpose));
        xt::xtensor<T, 2> small = xt::xtensor<T, 2>::from_shape({s, rr});
        std::copy(smalld.begin(), smalld.end(), small.begin());

        svd_result<T> out;
        out.method = svd_method::randomized;
        out.power_iterations = widths.size() - 1;
        out.S = std::move(f.S);
        if (tall)
        {
            out.U = std::move(f.U);
            out.Vt = tessera::blas::transposed(small);
        }
        else
        {
            out.U = std::move(small);
            out.Vt = tessera::blas::transposed(f.U);
        }
        out.status = f.status;
        return out;
    }
}  // namespace tessera::spectral::detail
