#pragma once
/// \file sequential.hpp
/// `tt_matrix_sequential<T>`: a weight matrix W [M, N], M = m_1...m_a, N = n_1...n_b, as a
/// plain tensor train of W reshaped to (m_1, ..., m_a, n_1, ..., n_b) — the "modes in then
/// out" layout of TTLayer.from_linear_layer (row modes first, a + b cores, one mode each):
/// \f$ W(i, j) = G_1[:, i_1, :] \cdots G_a[:, i_a, :] \, G_{a+1}[:, j_1, :] \cdots G_{a+b}[:, j_b, :] \f$.
/// The bond r_a between the last row core and the first column core is the matrix rank
/// of W, so this layout is a low-rank factorization W = L R whose factors are themselves
/// trains. Cores (r_{k-1}, mode, r_k), row-major, as in tensor_train.

#include <cstddef>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/memory.hpp"
#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "detail/apply.hpp"
#include "detail/matrix_base.hpp"
#include "tensor_train.hpp"
#include "tt_svd.hpp"

namespace tessera::tt
{
    namespace detail
    {
        /// A matrix W [M, N] as the sequential train of its reshape; see the file comment. Sizes,
        /// ranks (r_a is the middle bond) and cost come from matrix_train_base.
        template <class T>
        class tt_matrix_sequential : public matrix_train_base<T>
        {
        public:
            /// Wraps a train whose first `row_modes` cores carry the row index.
            /// \throws tessera::invalid_argument unless 1 <= row_modes < train.order().
            tt_matrix_sequential(tensor_train<T> train, std::size_t row_modes)
                : matrix_train_base<T>(std::move(train)), m_a(row_modes)
            {
                require(m_a >= 1 && m_a < m_train.order(), "tt::tt_matrix_sequential", "row_modes=", m_a,
                        " must be in [1, order()-1] = [1, ", m_train.order() - 1, "]");
                const auto s = m_train.shape();
                for (std::size_t k = 0; k < s.size(); ++k)
                    (k < m_a ? m_M : m_N) *= s[k];
            }

            /// (m_1, ..., m_a).
            std::vector<std::size_t> row_modes() const
            {
                auto s = m_train.shape();
                return std::vector<std::size_t>(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(m_a));
            }
            /// (n_1, ..., n_b).
            std::vector<std::size_t> col_modes() const
            {
                auto s = m_train.shape();
                return std::vector<std::size_t>(s.begin() + static_cast<std::ptrdiff_t>(m_a), s.end());
            }

            /// y = W x without forming W. \throws tessera::invalid_argument if x.size() != cols().
            xt::xtensor<T, 1> matvec(const xt::xtensor<T, 1>& x) const
            {
                require(x.size() == m_N, "tt::tt_matrix_sequential::matvec", "x must have length cols()=", m_N, ", got ",
                        x.size());
                return column(apply_sequential<T>(m_train.cores(), m_a, x.data(), 1));
            }
            /// Y = W X, X [N, batch]. \throws tessera::invalid_argument if X.shape(0) != cols().
            xt::xtensor<T, 2> matmat(const xt::xtensor<T, 2>& X) const
            {
                require(X.shape(0) == m_N, "tt::tt_matrix_sequential::matmat", "X must have shape [cols()=", m_N,
                        ", batch], got ", shape_to_string(X.shape()));
                return apply_sequential<T>(m_train.cores(), m_a, X.data(), X.shape(1));
            }
            /// x = W^T y. \throws tessera::invalid_argument if y.size() != rows().
            xt::xtensor<T, 1> transpose_matvec(const xt::xtensor<T, 1>& y) const
            {
                require(y.size() == m_M, "tt::tt_matrix_sequential::transpose_matvec", "y must have length rows()=", m_M,
                        ", got ", y.size());
                return column(apply_sequential_transposed<T>(m_train.cores(), m_a, y.data(), 1));
            }
            /// X = W^T Y, Y [M, batch]. \throws tessera::invalid_argument if Y.shape(0) != rows().
            xt::xtensor<T, 2> transpose_matmat(const xt::xtensor<T, 2>& Y) const
            {
                require(Y.shape(0) == m_M, "tt::tt_matrix_sequential::transpose_matmat", "Y must have shape [rows()=",
                        m_M, ", batch], got ", shape_to_string(Y.shape()));
                return apply_sequential_transposed<T>(m_train.cores(), m_a, Y.data(), Y.shape(1));
            }
            /// The dense W [M, N] (the train densified: its row-major order already is W's).
            xt::xtensor<T, 2> to_dense() const
            {
                auto F = m_train.full();
                xt::xtensor<T, 2> W = tessera::detail::fresh_tensor<T, 2>({m_M, m_N});
                std::copy(F.data(), F.data() + F.size(), W.data());
                return W;
            }
            /// Same as to_dense().
            xt::xtensor<T, 2> reconstruct() const { return to_dense(); }
            /// TT-rounding of the underlying train.
            tt_matrix_sequential round(const tt_options& options) const
            {
                return tt_matrix_sequential(m_train.round(options), m_a);
            }

        private:
            using matrix_train_base<T>::m_M, matrix_train_base<T>::m_N, matrix_train_base<T>::m_train;
            std::size_t m_a = 0;
        };

        /// Sequential TT-matrix of a dense W: see tessera::tt::to_tt_matrix_sequential.
        template <class E>
        tt_matrix_sequential<value_type_t<E>> to_tt_matrix_sequential(const xt::xexpression<E>& W,
                                                                      const std::vector<std::size_t>& row_modes,
                                                                      const std::vector<std::size_t>& col_modes,
                                                                      const tt_options& options = {})
        {
            using T = value_type_t<E>;
            const char* fn = "tt::to_tt_matrix_sequential";
            auto ev = tessera::detail::evaluate<T, 2>(W, fn, "W");
            const auto& A = ev.get();
            require(!row_modes.empty() && !col_modes.empty(), fn, "row_modes ", shape_to_string(row_modes),
                    " and col_modes ", shape_to_string(col_modes), " must both be non-empty");
            const std::size_t M = product(row_modes, fn, "row_modes"), N = product(col_modes, fn, "col_modes");
            require(M == A.shape(0) && N == A.shape(1), fn, "W has shape ", shape_to_string(A.shape()),
                    " but prod(row_modes ", shape_to_string(row_modes), ")=", M, " and prod(col_modes ",
                    shape_to_string(col_modes), ")=", N);
            std::vector<std::size_t> modes(row_modes);
            modes.insert(modes.end(), col_modes.begin(), col_modes.end());
            std::vector<T> buf(A.data(), A.data() + A.size());
            return tt_matrix_sequential<T>(tt_svd_buffer<T>(std::move(buf), modes, options, fn), row_modes.size());
        }
    }  // namespace detail

    using detail::tt_matrix_sequential;
    /// Sequential TT-matrix of W [M, N]: TT-SVD of W reshaped to (m_1..m_a, n_1..n_b) (no
    /// permutation). ||W - TT||_F <= rel_eps ||W||_F unless max_rank binds.
    /// \throws tessera::invalid_argument on a shape mismatch, empty mode lists or bad options.
    using detail::to_tt_matrix_sequential;
}  // namespace tessera::tt
