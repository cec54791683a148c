#pragma once
/// \file sweeps.hpp
/// Internals of the tt module: the sweeps over a train of cores G_k (r_{k-1}, n_k, r_k) —
/// densification, inner products, QR orthogonalization and the truncated-SVD sweep of
/// TT-rounding. Not part of the public API.

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../../core/blas.hpp"
#include "../../core/lapack.hpp"
#include "../options.hpp"
#include "kernels.hpp"

namespace tessera::tt::detail
{
    template <class T>
    using cores_t = std::vector<xt::xtensor<T, 3>>;

    /// Core (r0, n, r1) viewed as a row-major matrix [rows, cols] (a copy: xtensor reshape of an
    /// owned buffer is cheap, but the caller keeps the core intact).
    template <class T>
    xt::xtensor<T, 2> as_matrix(const xt::xtensor<T, 3>& G, std::size_t rows, std::size_t cols)
    {
        xt::xtensor<T, 2> M = xt::xtensor<T, 2>::from_shape({rows, cols});
        std::copy(G.data(), G.data() + G.size(), M.data());
        return M;
    }

    template <class T>
    xt::xtensor<T, 3> as_core(const xt::xtensor<T, 2>& M, std::size_t r0, std::size_t n, std::size_t r1)
    {
        xt::xtensor<T, 3> G = xt::xtensor<T, 3>::from_shape({r0, n, r1});
        std::copy(M.data(), M.data() + M.size(), G.data());
        return G;
    }

    /// The dense tensor of a train, flattened row-major (first index slowest).
    /// Left-to-right: P [prod n_1..n_k, r_k] = P [., r_{k-1}] * G_k [r_{k-1}, n_k r_k].
    template <class T>
    std::vector<T> full(const cores_t<T>& cores)
    {
        xt::xtensor<T, 2> P = xt::ones<T>({std::size_t(1), std::size_t(1)});
        for (const auto& G : cores)
        {
            const std::size_t r0 = G.shape(0), n = G.shape(1), r1 = G.shape(2);
            xt::xtensor<T, 2> next = xt::xtensor<T, 2>::from_shape({P.shape(0), n * r1});
            tessera::blas::detail::gemm_raw(tessera::blas::op::none, tessera::blas::op::none, P.shape(0), n * r1,
                                            r0, T(1), P.data(), r0, G.data(), n * r1, T(0), next.data(), n * r1);
            next.reshape({P.shape(0) * n, r1});
            P = std::move(next);
        }
        return std::vector<T>(P.data(), P.data() + P.size());
    }

    /// <A, B> = sum over all indices of A(i) B(i), accumulated in double without densifying:
    /// W_k [ra_k, rb_k] = sum_{a, b, i} W_{k-1}[a, b] A_k[a, i, ra_k] B_k[b, i, rb_k].
    /// Cost O(sum_k n_k (ra^2 rb + ra rb^2)).
    template <class T>
    double dot(const cores_t<T>& A, const cores_t<T>& B)
    {
        using tessera::blas::op;
        xt::xtensor<double, 2> W = xt::ones<double>({std::size_t(1), std::size_t(1)});
        for (std::size_t k = 0; k < A.size(); ++k)
        {
            const std::size_t ra = A[k].shape(0), n = A[k].shape(1), ra1 = A[k].shape(2);
            const std::size_t rb = B[k].shape(0), rb1 = B[k].shape(2);
            xt::xtensor<double, 2> Ak = xt::xtensor<double, 2>::from_shape({ra, n * ra1});
            xt::xtensor<double, 2> Bk = xt::xtensor<double, 2>::from_shape({rb * n, rb1});
            std::copy(A[k].data(), A[k].data() + A[k].size(), Ak.data());
            std::copy(B[k].data(), B[k].data() + B[k].size(), Bk.data());
            // T1 [rb, n ra1] = W^T Ak, viewed as [rb n, ra1]; W' [ra1, rb1] = T1^T Bk.
            xt::xtensor<double, 2> T1 = tessera::blas::matmul(W, Ak, op::transpose, op::none);
            T1.reshape({rb * n, ra1});
            W = tessera::blas::matmul(T1, Bk, op::transpose, op::none);
        }
        return W(0, 0);
    }

    /// Right-to-left QR sweep: afterwards cores 1..d-1 are right-orthonormal
    /// (G_k [r_{k-1}, n_k r_k] has orthonormal rows) and all the norm sits in core 0.
    template <class T>
    void orthogonalize_right(cores_t<T>& cores)
    {
        for (std::size_t k = cores.size(); k-- > 1;)
        {
            auto& G = cores[k];
            const std::size_t r0 = G.shape(0), n = G.shape(1), r1 = G.shape(2);
            // G^T [n r1, r0] = Q R  =>  G = R^T Q^T with Q^T [r', n r1] orthonormal rows.
            xt::xtensor<T, 2> Gt = xt::transpose(as_matrix(G, r0, n * r1));
            auto f = tessera::lapack::qr<T>(std::move(Gt));
            const std::size_t rn = f.Q.shape(1);
            xt::xtensor<T, 2> Qt = xt::transpose(f.Q);
            G = as_core(Qt, rn, n, r1);
            auto& L = cores[k - 1];
            const std::size_t lr0 = L.shape(0), ln = L.shape(1);
            auto Lm = as_matrix(L, lr0 * ln, r0);
            auto Lnew = tessera::blas::matmul(Lm, f.R, tessera::blas::op::none, tessera::blas::op::transpose);
            L = as_core(Lnew, lr0, ln, rn);
        }
    }

    /// Left-to-right truncation sweep of a right-orthogonalized train with per-bond absolute
    /// threshold delta and rank cap. Records discarded squared norms per bond.
    template <class T>
    void truncate_left_to_right(cores_t<T>& cores, double delta, const tt_options& opts, std::vector<double>& discarded,
                                tessera::status& st)
    {
        discarded.assign(cores.size() > 0 ? cores.size() - 1 : 0, 0.0);
        for (std::size_t k = 0; k + 1 < cores.size(); ++k)
        {
            auto& G = cores[k];
            const std::size_t r0 = G.shape(0), n = G.shape(1), r1 = G.shape(2);
            auto t = truncated_svd<T>(as_matrix(G, r0 * n, r1), delta, bond_cap(opts, k), opts.method, opts.seed, k);
            if (!t.status.ok() && st.ok())
                st = t.status;
            discarded[k] = t.discarded2;
            const std::size_t r = t.U.shape(1);
            G = as_core(t.U, r0, n, r);
            auto& R = cores[k + 1];
            const std::size_t rn = R.shape(1), rr1 = R.shape(2);
            auto Rm = as_matrix(R, r1, rn * rr1);
            auto Rnew = tessera::blas::matmul(t.SVt, Rm);
            R = as_core(Rnew, r, rn, rr1);
        }
    }
}  // namespace tessera::tt::detail
