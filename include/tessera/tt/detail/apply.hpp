#pragma once
/// \file apply.hpp
/// Internals of the tt module: products of TT-matrices with dense blocks, core by core with
/// GEMM, never forming the matrix; and the per-bond report. Not part of the public API.

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../../core/blas.hpp"
#include "../../core/errors.hpp"
#include "../../core/memory.hpp"
#include "kernels.hpp"

namespace tessera::tt
{
    /// One bond of a TT-matrix (between cores k and k + 1).
    struct tt_bond
    {
        std::size_t rank = 0;            ///< r_k
        std::size_t full_rank = 0;       ///< min(prod of the modes left of it, prod right): the untruncated rank
        double discarded_energy = 0.0;   ///< squared Frobenius norm dropped at this bond by the last truncation
        std::size_t params = 0;          ///< parameters that scale with r_k: r_k (r_{k-1} s_k + s_{k+1} r_{k+1})
    };
}  // namespace tessera::tt

namespace tessera::tt::detail
{
    /// The first rows * cols values of a work buffer as a matrix [rows, cols] (a copy).
    template <class T>
    xt::xtensor<T, 2> leading_matrix(const xt::xtensor<T, 1>& buf, std::size_t rows, std::size_t cols)
    {
        xt::xtensor<T, 2> M = tessera::detail::fresh_tensor<T, 2>({rows, cols});
        std::copy(buf.data(), buf.data() + rows * cols, M.data());
        return M;
    }

    /// An uninitialized work buffer of n values: every step writes the part it reads next, so
    /// no zero fill (the value-initialized std::vector of an earlier version spent 58 % of a
    /// rank-32, batch-64 matmat in memset and its page faults).
    template <class T>
    xt::xtensor<T, 1> work_buffer(std::size_t n)
    {
        return tessera::detail::fresh_tensor<T, 1>({n});
    }

    /// Interleaved (MPO) product. mats[k] is core k as a matrix [(o_k r_k), (r_{k-1} i_k)];
    /// X [(i_1..i_d), b] row-major; returns Y [(o_1..o_d), b]. Step k is a batch over
    /// p = (o_1..o_{k-1}) of  Y_p [(o_k r_k), R] = mats[k] * Z_p [(r_{k-1} i_k), R],
    /// R = (i_{k+1}..i_d, b), so every operand is contiguous and no transposition is needed.
    template <class T>
    xt::xtensor<T, 2> apply_interleaved(const std::vector<xt::xtensor<T, 2>>& mats, const std::vector<std::size_t>& ranks,
                                        const std::vector<std::size_t>& in_modes,
                                        const std::vector<std::size_t>& out_modes, const T* X, std::size_t batch)
    {
        const std::size_t d = mats.size();
        std::size_t in_total = 1, out_total = 1;
        for (std::size_t k = 0; k < d; ++k)
        {
            in_total *= in_modes[k];
            out_total *= out_modes[k];
        }
        // Size of the intermediate after step k: (o_1..o_k) r_k (i_{k+1}..i_d) b.
        std::size_t biggest = in_total * batch, P = 1, rest = in_total;
        for (std::size_t k = 0; k < d; ++k)
        {
            P *= out_modes[k];
            rest /= in_modes[k];
            biggest = std::max(biggest, P * ranks[k + 1] * rest * batch);
        }
        auto a = work_buffer<T>(biggest), b = work_buffer<T>(biggest);
        std::copy(X, X + in_total * batch, a.begin());
        P = 1;
        rest = in_total * batch;
        for (std::size_t k = 0; k < d; ++k)
        {
            const std::size_t r0 = ranks[k], r1 = ranks[k + 1], i = in_modes[k], o = out_modes[k];
            rest /= i;  // R = (i_{k+1}..i_d, b)
            batched_gemm<T>(P, tessera::blas::op::none, mats[k].data(), r0 * i, o * r1, r0 * i, a.data(),
                            r0 * i * rest, rest, b.data(), o * r1 * rest);
            P *= o;
            std::swap(a, b);
        }
        return leading_matrix(a, out_total, batch);
    }

    /// Sequential layout W(i_1..i_a, j_1..j_b) = G_1 ... G_{a+b}: Y = W X (X [(j), batch]).
    /// Column cores right-to-left as batches (contract j_b, then (j_{b-1}, r), ...), giving
    /// V [r_a, batch]; then row cores right-to-left, one GEMM each.
    template <class T>
    xt::xtensor<T, 2> apply_sequential(const std::vector<xt::xtensor<T, 3>>& cores, std::size_t a, const T* X,
                                       std::size_t batch)
    {
        using tessera::blas::op;
        const std::size_t d = cores.size();
        std::size_t in_total = 1, out_total = 1;
        for (std::size_t k = 0; k < d; ++k)
            (k < a ? out_total : in_total) *= cores[k].shape(1);
        std::size_t biggest = in_total * batch, P = in_total, cur = 1;
        for (std::size_t k = d; k-- > a;)
        {
            P /= cores[k].shape(1);
            biggest = std::max(biggest, P * cores[k].shape(0) * batch);
        }
        for (std::size_t k = a; k-- > 0;)
        {
            cur *= cores[k].shape(1);
            biggest = std::max(biggest, cores[k].shape(0) * cur * batch);
        }
        auto z = work_buffer<T>(biggest), w = work_buffer<T>(biggest);
        std::copy(X, X + in_total * batch, z.begin());
        std::size_t inner = 1;  // the rank carried on the right: (j_k, r_k) contracted together
        P = in_total;
        for (std::size_t k = d; k-- > a;)
        {
            const std::size_t r0 = cores[k].shape(0), n = cores[k].shape(1);
            P /= n;
            batched_gemm<T>(P, op::none, cores[k].data(), n * inner, r0, n * inner, z.data(), n * inner * batch, batch,
                            w.data(), r0 * batch);
            inner = r0;
            std::swap(z, w);
        }
        cur = batch;  // z: [r_k, (i_{k+1}..i_a, batch)]
        for (std::size_t k = a; k-- > 0;)
        {
            const std::size_t r0 = cores[k].shape(0), m = cores[k].shape(1), r1 = cores[k].shape(2);
            tessera::blas::detail::gemm_raw(op::none, op::none, r0 * m, cur, r1, T(1), cores[k].data(), r1, z.data(),
                                            cur, T(0), w.data(), cur);
            cur *= m;
            std::swap(z, w);
        }
        return leading_matrix(z, out_total, batch);
    }

    /// Sequential layout, transposed: X = W^T Y (Y [(i), batch]). Row cores left-to-right,
    /// one GEMM each (contract (r_{k-1}, i_k)), giving V [r_a, (batch)]; then column cores
    /// left-to-right as batches over (j_1..j_{k-1}).
    template <class T>
    xt::xtensor<T, 2> apply_sequential_transposed(const std::vector<xt::xtensor<T, 3>>& cores, std::size_t a,
                                                  const T* Yin, std::size_t batch)
    {
        using tessera::blas::op;
        const std::size_t d = cores.size();
        std::size_t in_total = 1, out_total = 1;
        for (std::size_t k = 0; k < d; ++k)
            (k < a ? in_total : out_total) *= cores[k].shape(1);
        std::size_t biggest = in_total * batch, rest = in_total * batch, P = 1;
        for (std::size_t k = 0; k < a; ++k)
        {
            rest /= cores[k].shape(1);
            biggest = std::max(biggest, cores[k].shape(2) * rest);
        }
        for (std::size_t k = a; k < d; ++k)
        {
            P *= cores[k].shape(1);
            biggest = std::max(biggest, P * cores[k].shape(2) * batch);
        }
        auto z = work_buffer<T>(biggest), w = work_buffer<T>(biggest);
        std::copy(Yin, Yin + in_total * batch, z.begin());
        rest = in_total * batch;
        for (std::size_t k = 0; k < a; ++k)  // z: [(r_{k-1} i_k), rest] -> [r_k, rest]
        {
            const std::size_t r0 = cores[k].shape(0), m = cores[k].shape(1), r1 = cores[k].shape(2);
            rest /= m;
            tessera::blas::detail::gemm_raw(op::transpose, op::none, r1, rest, r0 * m, T(1), cores[k].data(), r1,
                                            z.data(), rest, T(0), w.data(), rest);
            std::swap(z, w);
        }
        P = 1;  // z: [(j_1..j_{k-1}), r_{k-1}, batch]
        for (std::size_t k = a; k < d; ++k)
        {
            const std::size_t r0 = cores[k].shape(0), n = cores[k].shape(1), r1 = cores[k].shape(2);
            batched_gemm<T>(P, op::transpose, cores[k].data(), n * r1, n * r1, r0, z.data(), r0 * batch, batch,
                            w.data(), n * r1 * batch);
            P *= n;
            std::swap(z, w);
        }
        return leading_matrix(z, out_total, batch);
    }

    /// Per-bond report of a train with mode sizes s_k (for a TT-matrix s_k = m_k n_k).
    inline std::vector<tt_bond> bond_report(const std::vector<std::size_t>& ranks, const std::vector<std::size_t>& s,
                                            const std::vector<double>& discarded)
    {
        const std::size_t d = s.size();
        std::vector<tt_bond> out;
        double left = 1, right = 1;
        for (std::size_t x : s)
            right *= static_cast<double>(x);
        for (std::size_t k = 0; k + 1 < d; ++k)
        {
            left *= static_cast<double>(s[k]);
            right /= static_cast<double>(s[k]);
            tt_bond b;
            b.rank = ranks[k + 1];
            const double fr = std::min(left, right);
            b.full_rank = fr > 1e18 ? std::size_t(-1) : static_cast<std::size_t>(fr);
            b.discarded_energy = k < discarded.size() ? discarded[k] : 0.0;
            b.params = ranks[k + 1] * (ranks[k] * s[k] + s[k + 1] * ranks[k + 2]);
            out.push_back(b);
        }
        return out;
    }
}  // namespace tessera::tt::detail
