#pragma once
/// \file plan.hpp
/// Internals of the tt module: the product plan of a TT-matrix. Adjacent cores may be merged
/// into one bigger core before multiplying (cores a..b become one core (r_{a-1}, m_a..m_b,
/// n_a..n_b, r_b)); merging across a bond whose rank is already the full rank costs no extra
/// parameters yet removes a whole GEMM sweep, so the plan picks the grouping with the fewest
/// flops whose merged cores hold at most `max_growth` times the original parameters.
/// Not part of the public API.

#include <cstddef>
#include <limits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../../core/blas.hpp"
#include "kernels.hpp"

namespace tessera::tt::detail
{
    /// A grouping of d cores: group g covers cores [starts[g], starts[g+1]).
    struct product_plan
    {
        std::vector<std::size_t> starts;  ///< group boundaries, starts.front() = 0, starts.back() = d
        double flops = 0.0;               ///< per column of the right-hand side
        double params = 0.0;              ///< values held by the merged cores
    };

    /// Flops per right-hand column of the interleaved sweep over a grouping, and its parameters.
    /// in/out: per-core input and output mode sizes; ranks: r_0..r_d.
    inline product_plan evaluate_plan(const std::vector<std::size_t>& starts, const std::vector<std::size_t>& in,
                                      const std::vector<std::size_t>& out, const std::vector<std::size_t>& ranks)
    {
        product_plan p;
        p.starts = starts;
        double in_rest = 1, out_done = 1;
        for (std::size_t x : in)
            in_rest *= double(x);
        for (std::size_t g = 0; g + 1 < starts.size(); ++g)
        {
            double I = 1, O = 1;
            for (std::size_t k = starts[g]; k < starts[g + 1]; ++k)
            {
                I *= double(in[k]);
                O *= double(out[k]);
            }
            const double r0 = double(ranks[starts[g]]), r1 = double(ranks[starts[g + 1]]);
            in_rest /= I;
            out_done *= O;
            p.flops += 2.0 * out_done * r1 * in_rest * r0 * I;  // outputs x (r0 I) multiply-adds
            p.params += r0 * I * O * r1;
        }
        return p;
    }

    /// The fewest-flop grouping whose parameters stay within max_growth x the cores' own
    /// (exhaustive over the 2^(d-1) groupings for d <= 16, else no merging).
    inline product_plan choose_plan(const std::vector<std::size_t>& in, const std::vector<std::size_t>& out,
                                    const std::vector<std::size_t>& ranks, double max_growth)
    {
        const std::size_t d = in.size();
        std::vector<std::size_t> identity;
        for (std::size_t k = 0; k <= d; ++k)
            identity.push_back(k);
        product_plan best = evaluate_plan(identity, in, out, ranks);
        if (d > 16)
            return best;
        const double limit = best.params * max_growth;
        for (std::size_t mask = 0; mask < (std::size_t(1) << (d - 1)); ++mask)
        {
            std::vector<std::size_t> starts{0};
            for (std::size_t k = 1; k < d; ++k)
                if (!((mask >> (k - 1)) & 1U))  // bit set = merge core k into the previous group
                    starts.push_back(k);
            starts.push_back(d);
            auto p = evaluate_plan(starts, in, out, ranks);
            if (p.params <= limit && p.flops < best.flops * (1 - 1e-9))
                best = p;
        }
        return best;
    }

    /// Merges interleaved cores [a, b) (each (r, m_k n_k, r') with index i_k n_k + j_k) into one
    /// core (r_{a-1}, M, N, r_b) stored as (r, M N, r') with row-major (i_a..i_{b-1}), (j_a..j_{b-1}).
    template <class T>
    xt::xtensor<T, 3> merge_cores(const std::vector<xt::xtensor<T, 3>>& cores, const std::vector<std::size_t>& m,
                                  const std::vector<std::size_t>& n, std::size_t a, std::size_t b)
    {
        using tessera::blas::op;
        const std::size_t r0 = cores[a].shape(0);
        xt::xtensor<T, 2> P = xt::xtensor<T, 2>::from_shape({r0 * cores[a].shape(1), cores[a].shape(2)});
        std::copy(cores[a].begin(), cores[a].end(), P.begin());
        for (std::size_t k = a + 1; k < b; ++k)
        {
            const std::size_t rk = cores[k].shape(0), s = cores[k].shape(1), r1 = cores[k].shape(2);
            xt::xtensor<T, 2> Q = xt::xtensor<T, 2>::from_shape({P.shape(0), s * r1});
            tessera::blas::detail::gemm_raw(op::none, op::none, P.shape(0), s * r1, rk, T(1), P.data(), rk,
                                            cores[k].data(), s * r1, T(0), Q.data(), s * r1);
            Q.reshape({P.shape(0) * s, r1});
            P = std::move(Q);
        }
        const std::size_t r1 = P.shape(1), g = b - a;
        // P is (r0, m_a, n_a, ..., m_{b-1}, n_{b-1}, r1); permute to (r0, m_a.., n_a.., r1).
        std::vector<std::size_t> dims{r0}, perm{0};
        std::size_t M = 1, N = 1;
        for (std::size_t k = a; k < b; ++k)
        {
            dims.push_back(m[k]);
            dims.push_back(n[k]);
            M *= m[k];
            N *= n[k];
        }
        dims.push_back(r1);
        for (std::size_t k = 0; k < g; ++k)
            perm.push_back(1 + 2 * k);
        for (std::size_t k = 0; k < g; ++k)
            perm.push_back(2 + 2 * k);
        perm.push_back(2 * g + 1);
        xt::xtensor<T, 3> out = xt::xtensor<T, 3>::from_shape({r0, M * N, r1});
        permute<T>(P.data(), dims, perm, out.data());
        return out;
    }
}  // namespace tessera::tt::detail
