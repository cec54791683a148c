#pragma once
/// \file low_rank.hpp
/// tessera::spectral::low_rank<T>: a matrix stored as the product of two thin factors,
/// A ~ (U S) Vt, with reconstruction, storage accounting and factored products.

#include <array>
#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <utility>

#include <xtensor/xtensor.hpp>

#include "../core/blas.hpp"
#include "../core/memory.hpp"
#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "svd_result.hpp"

namespace tessera::spectral
{
    namespace detail
    {
        /// A rank-r compressed matrix A ~ L R with L = U diag(S) [m, r] and R = Vt [r, n].
        ///
        /// Storage is (m + n) r values of T instead of m n. Build it from an svd_result (the
        /// usual way: `low_rank<float> c(truncated_svd(A, 64));`) or from two factors.
        template <class T>
        class low_rank
        {
            static_assert(std::is_floating_point_v<T> && is_real_v<T>,
                          "tessera::spectral::low_rank<T>: T must be float or double");

        public:
            /// An empty [0, 0] matrix of rank 0.
            low_rank() = default;

            /// From a (truncated) SVD: L = U diag(S), R = Vt. Cost O(m r).
            /// \throws tessera::invalid_argument if U, S and Vt disagree on r.
            explicit low_rank(const svd_result<T>& f)
            {
                const std::size_t m = f.U.shape(0), r = f.U.shape(1);
                require(f.S.size() == r && f.Vt.shape(0) == r, "spectral::low_rank", "svd_result factors disagree: U ",
                        shape_to_string(f.U.shape()), ", S [", f.S.size(), "], Vt ", shape_to_string(f.Vt.shape()));
                m_left = xt::xtensor<T, 2>::from_shape({m, r});
                for (std::size_t i = 0; i < m; ++i)
                    for (std::size_t j = 0; j < r; ++j)
                        m_left(i, j) = f.U(i, j) * f.S(j);
                m_right = f.Vt;
            }

            /// From factors L [m, r] and R [r, n] (taken by value; move them in to avoid copies).
            /// \throws tessera::invalid_argument if L's columns differ from R's rows.
            low_rank(xt::xtensor<T, 2> left, xt::xtensor<T, 2> right)
                : m_left(std::move(left)), m_right(std::move(right))
            {
                require(m_left.shape(1) == m_right.shape(0), "spectral::low_rank", "left factor ",
                        shape_to_string(m_left.shape()), " and right factor ", shape_to_string(m_right.shape()),
                        " must share the inner dimension");
            }

            std::size_t rows() const noexcept { return m_left.shape(0); }   ///< m
            std::size_t cols() const noexcept { return m_right.shape(1); }  ///< n
            std::size_t rank() const noexcept { return m_left.shape(1); }   ///< r
            /// {m, n}: the shape of the dense matrix this stands for.
            std::array<std::size_t, 2> shape() const noexcept { return {rows(), cols()}; }
            const xt::xtensor<T, 2>& left() const noexcept { return m_left; }    ///< U diag(S) [m, r]
            const xt::xtensor<T, 2>& right() const noexcept { return m_right; }  ///< Vt [r, n]

            /// The dense [m, n] product L R (one GEMM, 2 m n r flops).
            xt::xtensor<T, 2> reconstruct() const
            {
                xt::xtensor<T, 2> out = tessera::detail::fresh_tensor<T, 2>({rows(), cols()});
                if (rank() == 0)
                    std::fill(out.begin(), out.end(), T(0));
                else
                    tessera::blas::gemm(tessera::blas::op::none, tessera::blas::op::none, T(1), m_left, m_right,
                                        T(0), out);
                return out;
            }

            /// Bytes of the two factors: (m + n) r sizeof(T).
            std::size_t storage_bytes() const noexcept { return (rows() + cols()) * rank() * sizeof(T); }

            /// Dense bytes over compressed bytes, m n / ((m + n) r) (same element type);
            /// infinity for rank 0.
            double compression_ratio() const noexcept
            {
                const double dense = static_cast<double>(rows()) * static_cast<double>(cols()) * sizeof(T);
                return dense / static_cast<double>(storage_bytes());
            }

            /// y = L (R x) for x of length n, without forming the dense matrix: 2 (m + n) r flops.
            /// \throws tessera::invalid_argument if x.size() != n.
            xt::xtensor<T, 1> apply(const xt::xtensor<T, 1>& x) const
            {
                require(x.size() == cols(), "spectral::low_rank::apply", "x must have length cols()=", cols(), ", got ",
                        x.size());
                if (rank() == 0)
                    return xt::zeros<T>({rows()});
                return tessera::blas::matvec(m_left, tessera::blas::matvec(m_right, x));
            }

            /// Y = L (R X) for X [n, p], without forming the dense matrix: 2 (m + n) r p flops.
            /// \throws tessera::invalid_argument if X has not n rows.
            xt::xtensor<T, 2> apply(const xt::xtensor<T, 2>& X) const
            {
                require(X.shape(0) == cols(), "spectral::low_rank::apply", "X must have cols()=", cols(),
                        " rows, got shape ", shape_to_string(X.shape()));
                if (rank() == 0)
                    return xt::zeros<T>({rows(), X.shape(1)});
                return tessera::blas::matmul(m_left, tessera::blas::matmul(m_right, X));
            }

            /// Row i of the dense matrix (an embedding lookup), 2 n r flops.
            /// \throws tessera::invalid_argument if i >= rows().
            xt::xtensor<T, 1> row(std::size_t i) const
            {
                require(i < rows(), "spectral::low_rank::row", "i=", i, " must be below rows()=", rows());
                xt::xtensor<T, 1> out = xt::zeros<T>({cols()});
                if (rank() > 0)
                    tessera::blas::detail::gemv_raw(tessera::blas::op::transpose, rank(), cols(), T(1),
                                                    m_right.data(), cols(), m_left.data() + i * rank(), T(0),
                                                    out.data());
                return out;
            }

        private:
            xt::xtensor<T, 2> m_left = xt::xtensor<T, 2>::from_shape({0, 0});
            xt::xtensor<T, 2> m_right = xt::xtensor<T, 2>::from_shape({0, 0});
        };
    }  // namespace detail

    using detail::low_rank;
}  // namespace tessera::spectral
