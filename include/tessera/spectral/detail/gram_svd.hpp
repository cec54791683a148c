#pragma once
/// \file detail/gram_svd.hpp
/// The gram path of truncated_svd: eigendecomposition of A^T A accumulated in double.
/// Internal: call tessera::spectral::truncated_svd with svd_method::gram.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../../core/memory.hpp"
#include "../../core/blas.hpp"
#include "../../core/eigh_top.hpp"
#include "../../core/lapack.hpp"
#include "../../core/parallel.hpp"
#include "../svd_result.hpp"
#include "tail_status.hpp"

namespace tessera::spectral::detail
{
    /// Eigenpairs of the Gram matrix of a tall A [m, n] (m >= n), in double.
    struct gram_spectrum
    {
        std::vector<double> sigma;      ///< [count] sqrt(max(lambda, 0)), descending
        xt::xtensor<double, 2> V;       ///< [n, count] eigenvectors as columns
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

    /// The numerical zero of a singular value computed from the Gram matrix of an [m, n] matrix in
    /// double: sqrt(sqrt(max(m, n)) eps_double) sigma_1 (lambda within the Gram's rounding).
    inline double gram_numerical_zero(double sigma1, std::size_t m, std::size_t n) noexcept
    {
        return std::sqrt(std::sqrt(static_cast<double>(std::max(m, n))) * eps_of<double>()) * sigma1;
    }

    /// The top `count` sigma and V [n, count] of A^T A for A [m, n]: blas::gram<double> (syrk in
    /// 2048-row blocks) then lapack::eigh_top (syevr: only the vectors asked for).
    /// Cost m n^2 + O(n^3) flops.
    template <class T>
    gram_spectrum gram_eigen(const xt::xtensor<T, 2>& A, std::size_t count)
    {
        auto G = tessera::blas::gram<double>(A);
        auto e = tessera::lapack::eigh_top<double>(std::move(G), count);
        gram_spectrum g;
        g.sigma.resize(e.values.size());
        for (std::size_t i = 0; i < e.values.size(); ++i)
            g.sigma[i] = std::sqrt(std::max(e.values(i), 0.0));
        g.V = std::move(e.vectors);
        g.status = e.status;
        return g;
    }

    /// Largest ||U^T U - I||_max the gram path accepts (float 1e-5, double 1e-10).
    template <class T>
    constexpr double gram_orthonormality_tolerance() noexcept
    {
        return std::is_same_v<T, float> ? 1e-5 : 1e-10;
    }

    /// max |(U^T U - I)(a, b)| over a < cols, from <= b < cols: the columns [from, cols) of U [m, r]
    /// against the first `cols` (a cols x (cols - from) product in double, row blocks of 2048
    /// converted; m cols (cols - from) flops; all of U against all: blas::gram<double, T>, m r^2).
    template <class T>
    double orthonormality_loss(const xt::xtensor<T, 2>& U, std::size_t cols, std::size_t from)
    {
        using tessera::blas::op;
        const std::size_t m = U.shape(0), r = U.shape(1), w = cols - from;
        if (w == 0)
            return 0.0;
        if (from == 0 && cols == r)
        {
            // All of U against all: blas::gram (half the flops, rows split over threads), products
            // in T summed in double per 2048 rows. For float U this moves the loss by < 1e-7
            // (measured 4e-8 - 8e-8 against double products on GloVe and 32128 x 512 U's), 100x
            // under the float tolerance, at a third to a tenth of the time.
            const auto G = tessera::blas::gram<double, T>(U);
            double worst = 0.0;
            for (std::size_t a = 0; a < r; ++a)
                for (std::size_t b = 0; b < r; ++b)
                    worst = std::max(worst, std::abs(G(a, b) - (a == b ? 1.0 : 0.0)));
            return worst;
        }
        constexpr std::size_t block = 2048;
        std::vector<double> buf(std::min(m, block) * cols), G(cols * w, 0.0);
        for (std::size_t r0 = 0; r0 < m; r0 += block)
        {
            const std::size_t rows = std::min(block, m - r0);
            for (std::size_t i = 0; i < rows; ++i)
            {
                const T* src = U.data() + (r0 + i) * r;
                std::copy(src, src + cols, buf.begin() + static_cast<std::ptrdiff_t>(i * cols));
            }
            tessera::blas::detail::gemm_raw(op::transpose, op::none, cols, w, rows, 1.0, buf.data(), cols,
                                            buf.data() + from, cols, 1.0, G.data(), w);
        }
        double worst = 0.0;
        for (std::size_t a = 0; a < cols; ++a)
            for (std::size_t b = 0; b < w; ++b)
                worst = std::max(worst, std::abs(G[a * w + b] - (a == b + from ? 1.0 : 0.0)));
        return worst;
    }

    /// The first column j < nonzero of U = A V S^-1 whose loss of orthonormality can exceed
    /// `orth_tol`: where 0.1 eps_T k_j + eps_double k_j^2 > orth_tol, k_j = sigma_1 / sigma_j
    /// (rounding of the T product amplified by 1/sigma_j, with c1 ~ 0.03 measured, plus the
    /// Gram's own); `nonzero` when none can.
    template <class T>
    std::size_t first_column_to_check(const std::vector<double>& sigma, std::size_t nonzero, double orth_tol)
    {
        std::size_t from = 0;
        while (from < nonzero)
        {
            const double k = sigma[0] / sigma[from];
            if (0.1 * eps_of<T>() * k + eps_of<double>() * k * k > orth_tol)
                break;
            ++from;
        }
        return from;
    }

    /// U [m, r] = X [m, k] M [k, r] (M row-major in double) with the products in W: one GEMM when
    /// W is T, else row blocks of 2048 converted to W. U must have shape [m, r]; it is written
    /// once, by the product.
    template <class W, class T>
    void left_product(const xt::xtensor<T, 2>& X, const double* M, std::size_t r, xt::xtensor<T, 2>& U)
    {
        using tessera::blas::op;
        const std::size_t m = X.shape(0), k = X.shape(1);
        xt::xtensor<W, 2> Mw = xt::xtensor<W, 2>::from_shape({k, r});
        std::transform(M, M + k * r, Mw.begin(), [](double v) { return static_cast<W>(v); });
        if constexpr (std::is_same_v<W, T>)
            tessera::blas::gemm(op::none, op::none, T(1), X, Mw, T(0), U);
        else
        {
            constexpr std::size_t block = 2048;
            std::vector<W> x(std::min(m, block) * k), u(std::min(m, block) * r);
            for (std::size_t r0 = 0; r0 < m; r0 += block)
            {
                const std::size_t rows = std::min(block, m - r0);
                std::copy(X.data() + r0 * k, X.data() + (r0 + rows) * k, x.begin());
                tessera::blas::detail::gemm_raw(op::none, op::none, rows, r, k, W(1), x.data(), k, Mw.data(), r, W(0),
                                                u.data(), r);
                std::transform(u.begin(), u.begin() + static_cast<std::ptrdiff_t>(rows * r), U.data() + r0 * r,
                               [](W v) { return static_cast<T>(v); });
            }
        }
    }

    /// U [m, r] = A (V diag(1/sigma)) with the products in W (left_product); columns j >= nonzero
    /// are 0 (their V columns are zeroed). The scaling is folded into V, so U is written once.
    template <class W, class T>
    xt::xtensor<T, 2> gram_left_vectors(const xt::xtensor<T, 2>& A, const xt::xtensor<double, 2>& Vfull,
                                        const std::vector<double>& sigma, std::size_t r, std::size_t nonzero)
    {
        const std::size_t n = A.shape(1);
        std::vector<double> V(n * r);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < r; ++j)
                V[i * r + j] = j < nonzero ? Vfull(i, j) / sigma[j] : 0.0;
        xt::xtensor<T, 2> U = tessera::detail::fresh_tensor<T, 2>({A.shape(0), r});
        left_product<W>(A, V.data(), r, U);
        return U;
    }

    /// Gram-path truncated SVD of a tall A [m, n] (m >= n), rank r. U = A V_r S_r^{-1}, Vt = V_r^T.
    /// Status (the first that applies; the caller decides to fall back):
    ///  - rank_deficient when sigma_r <= sqrt(sqrt(max(m, n)) eps_double) sigma_1 (lambda_r within
    ///    the Gram's rounding): those S entries and U columns are set to 0;
    ///  - accuracy_limited when eps_double (sigma_1/sigma_r)^2 exceeds `tolerance`;
    ///  - accuracy_limited when ||U^T U - I||_max (checked in double on the columns j where
    ///    0.1 eps_T k_j + eps_double k_j^2 > the tolerance, k_j = sigma_1/sigma_j, against all)
    ///    exceeds gram_orthonormality_tolerance<T>() even after U is recomputed with double
    ///    products (float A only).
    template <class T>
    svd_result<T> gram_svd_tall(const xt::xtensor<T, 2>& A, std::size_t r, double tolerance)
    {
        const std::size_t m = A.shape(0), n = A.shape(1);
        gram_spectrum g = gram_eigen(A, r);
        const double s1 = g.sigma[0];
        const double zero = gram_numerical_zero(s1, m, n);
        const std::size_t nonzero = s1 > 0.0 ? count_above(g.sigma, r, zero) : 0;
        svd_result<T> out;
        out.method = svd_method::gram;
        out.S = xt::xtensor<T, 1>::from_shape({r});
        out.Vt = xt::xtensor<T, 2>::from_shape({r, n});
        for (std::size_t j = 0; j < r; ++j)
        {
            out.S(j) = j < nonzero ? static_cast<T>(g.sigma[j]) : T(0);
            for (std::size_t i = 0; i < n; ++i)
                out.Vt(j, i) = static_cast<T>(g.V(i, j));
        }
        out.U = gram_left_vectors<T>(A, g.V, g.sigma, r, nonzero);
        // A priori, (U^T U - I)(i, j) ~ eps_T c1 sigma_1/sigma_j (rounding of the T product,
        // amplified by 1/sigma_j) + eps_double c2 (sigma_1/sigma_j)^2 (the Gram's own), with
        // c1 ~ 0.03 and c2 ~ 1 measured (n = 128, 256). Columns from the first j where this,
        // with c1 = 0.1, exceeds the tolerance are checked against all (m r (r - j) flops); the
        // others are not where the loss can come from.
        const double orth_tol = gram_orthonormality_tolerance<T>();
        const std::size_t from = first_column_to_check<T>(g.sigma, nonzero, orth_tol);
        double loss = orthonormality_loss(out.U, nonzero, from);
        if constexpr (std::is_same_v<T, float>)
            if (loss > orth_tol)
            {
                // Rounding of the float product A V, amplified by sigma_1 / sigma_j: redo it in double.
                out.U = gram_left_vectors<double>(A, g.V, g.sigma, r, nonzero);
                loss = orthonormality_loss(out.U, nonzero, from);
            }
        const double sr = g.sigma[r - 1];
        out.status = merge_status(g.status, tail_status("gram", g.sigma, r, zero, gram_relative_error(s1, sr),
                                                        tolerance, "eps*(sigma_1/sigma_r)^2"));
        if (out.status.ok() && loss > orth_tol)
            out.status = {status_code::accuracy_limited,
                          concat("gram: U = A V S^-1 is orthonormal only to ||U^T U - I||_max=", loss, " > ", orth_tol,
                                 " (sigma_1/sigma_r=", s1 / sr, ")")};
        return out;
    }
}  // namespace tessera::spectral::detail
