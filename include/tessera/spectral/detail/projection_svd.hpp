#pragma once
/// \file detail/projection_svd.hpp
/// The last step of the randomized routes (plain and block Krylov): the SVD of a small
/// projected matrix in double, lifted back through an orthonormal basis. Internal.

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <utility>

#include <xtensor/xtensor.hpp>

#include "../../core/blas.hpp"
#include "../../core/lapack.hpp"
#include "../../core/memory.hpp"
#include "../svd_result.hpp"

namespace tessera::spectral::detail
{
    /// X in precision T: moved when it already is, else copied into fresh memory.
    template <class T, class W>
    xt::xtensor<T, 2> in_precision(xt::xtensor<W, 2>&& X)
    {
        if constexpr (std::is_same_v<T, W>)
            return std::move(X);
        else
        {
            xt::xtensor<T, 2> out = tessera::detail::fresh_tensor<T, 2>({X.shape(0), X.shape(1)});
            std::copy(X.begin(), X.end(), out.begin());
            return out;
        }
    }

    /// Given an orthonormal Q [m, l] and B = Q^T A [l, n] (in W), the rank-r factors
    /// U = Q Ub_r, S, Vt from the SVD of B computed in double.
    template <class T, class W>
    svd_result<T> svd_from_projection(const xt::xtensor<W, 2>& Q, const xt::xtensor<W, 2>& B, std::size_t r)
    {
        const std::size_t l = B.shape(0), n = B.shape(1), m = Q.shape(0);
        xt::xtensor<double, 2> Bd = xt::xtensor<double, 2>::from_shape({l, n});
        std::copy(B.begin(), B.end(), Bd.begin());
        auto f = tessera::lapack::svd<double>(std::move(Bd));
        const std::size_t kb = f.S.size();
        svd_result<T> out;
        out.status = f.status;
        out.S = xt::xtensor<T, 1>::from_shape({r});
        out.Vt = xt::xtensor<T, 2>::from_shape({r, n});
        xt::xtensor<W, 2> Ub = xt::xtensor<W, 2>::from_shape({l, r});
        for (std::size_t j = 0; j < r; ++j)
        {
            const bool have = j < kb;
            out.S(j) = have ? static_cast<T>(f.S(j)) : T(0);
            for (std::size_t c = 0; c < n; ++c)
                out.Vt(j, c) = have ? static_cast<T>(f.Vt(j, c)) : T(0);
            for (std::size_t i = 0; i < l; ++i)
                Ub(i, j) = have && i < f.U.shape(0) ? static_cast<W>(f.U(i, j)) : W(0);
        }
        xt::xtensor<W, 2> UW = tessera::detail::fresh_tensor<W, 2>({m, r});
        tessera::blas::gemm(tessera::blas::op::none, tessera::blas::op::none, W(1), Q, Ub, W(0), UW);
        out.U = in_precision<T>(std::move(UW));
        return out;
    }
}  // namespace tessera::spectral::detail
