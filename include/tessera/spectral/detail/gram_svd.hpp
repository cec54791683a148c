#pragma once
/// \file detail/gram_svd.hpp
/// The gram path of truncated_svd: eigendecomposition of A^T A accumulated in double.
/// Internal: call tessera::spectral::truncated_svd with svd_method::gram.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../../core/blas.hpp"
#include "../../core/lapack.hpp"
#include "../../core/parallel.hpp"
#include "../svd_result.hpp"

namespace tessera::spectral::detail
{
    /// Eigenpairs of the Gram matrix of a tall A [m, n] (m >= n), in double.
    struct gram_spectrum
    {
        std::vector<double> sigma;      ///< [n] sqrt(max(lambda, 0)), descending
        xt::xtensor<double, 2> V;       ///< [n, n] eigenvectors as columns
        tessera::status status;
    };

    /// Estimated relative error of sigma_i computed from the Gram matrix in double:
    /// eps_double (sigma_1 / sigma_i)^2 (infinite when sigma_i = 0).
    inline double gram_relative_error(double sigma1, double sigma_i) noexcept
    {
        if (!(sigma_i > 0.0))
            return std::numeric_limits<double>::infinity();
        const double ratio = sigma1 / sigma_i;
        return std::numeric_limits<double>::epsilon() * ratio * ratio;
    }

    /// sigma and V of A^T A for A [m, n]: blas::gram<double> (syrk in 2048-row blocks) then eigh.
    /// Cost m n^2 + O(n^3) flops.
    template <class T>
    gram_spectrum gram_eigen(const xt::xtensor<T, 2>& A)
    {
        auto G = tessera::blas::gram<double>(A);
        auto e = tessera::lapack::eigh<double>(std::move(G));
        gram_spectrum g;
        g.sigma.resize(e.values.size());
        for (std::size_t i = 0; i < e.values.size(); ++i)
            g.sigma[i] = std::sqrt(std::max(e.values(i), 0.0));
        g.V = std::move(e.vectors);
        g.status = e.status;
        return g;
    }

    /// Gram-path truncated SVD of a tall A [m, n] (m >= n), rank r.
    /// U = A V_r S_r^{-1} (GEMM in T), Vt = V_r^T. Sets status accuracy_limited (message with
    /// the estimate) when eps (sigma_1/sigma_r)^2 exceeds `tolerance`; the caller decides to fall
    /// back. Zero singular values give zero U columns and status rank_deficient.
    template <class T>
    svd_result<T> gram_svd_tall(const xt::xtensor<T, 2>& A, std::size_t r, double tolerance)
    {
        const std::size_t m = A.shape(0), n = A.shape(1);
        gram_spectrum g = gram_eigen(A);
        svd_result<T> out;
        out.method = svd_method::gram;
        out.status = g.status;
        out.S = xt::xtensor<T, 1>::from_shape({r});
        out.Vt = xt::xtensor<T, 2>::from_shape({r, n});
        xt::xtensor<T, 2> V = xt::xtensor<T, 2>::from_shape({n, r});
        for (std::size_t j = 0; j < r; ++j)
        {
            out.S(j) = static_cast<T>(g.sigma[j]);
            for (std::size_t i = 0; i < n; ++i)
            {
                const T v = static_cast<T>(g.V(i, j));
                out.Vt(j, i) = v;
                V(i, j) = v;
            }
        }
        out.U = xt::xtensor<T, 2>::from_shape({m, r});
        tessera::blas::gemm(tessera::blas::op::none, tessera::blas::op::none, T(1), A, V, T(0), out.U);
        std::size_t zero_from = r;
        for (std::size_t j = 0; j < r; ++j)
            if (!(g.sigma[j] > 0.0))
            {
                zero_from = j;
                break;
            }
        tessera::parallel_for(0, static_cast<std::ptrdiff_t>(m), [&](std::ptrdiff_t ii) {
            T* row = out.U.data() + static_cast<std::size_t>(ii) * r;
            for (std::size_t j = 0; j < r; ++j)
                row[j] = j < zero_from ? static_cast<T>(static_cast<double>(row[j]) / g.sigma[j]) : T(0);
        });
        const double est = gram_relative_error(g.sigma[0], g.sigma[r - 1]);
        if (out.status.ok() && est > tolerance)
            out.status = {status_code::accuracy_limited,
                          concat("gram: estimated relative error of sigma_", r, " is eps*(sigma_1/sigma_r)^2=", est,
                                 " (sigma_1=", g.sigma[0], ", sigma_r=", g.sigma[r - 1], "), above gram_tolerance=",
                                 tolerance)};
        else if (out.status.ok() && zero_from < r)
            out.status = {status_code::rank_deficient,
                          concat("gram: sigma_", zero_from + 1, " is zero; the matching U columns are set to 0")};
        return out;
    }
}  // namespace tessera::spectral::detail
