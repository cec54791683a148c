#pragma once
/// \file tt_matrix.hpp
/// `tt_matrix<T>`: a weight matrix W [M, N], M = prod m_k, N = prod n_k, in the interleaved
/// TT-matrix (MPO) format
/// \f$ W(i, j) = G_1[:, i_1, j_1, :] \cdots G_d[:, i_d, j_d, :] \f$ with row index
/// i = (i_1, ..., i_d) and column index j = (j_1, ..., j_d), both row-major (i_d fastest).
///
/// Layout: core k has shape (r_{k-1}, m_k, n_k, r_k), row-major; it is stored as the
/// (r_{k-1}, m_k n_k, r_k) core of a tensor_train over modes s_k = m_k n_k (index
/// i_k n_k + j_k), the same bytes. This is exactly tensorly's TT-matrix core layout
/// (see tensorly_layout.hpp).

#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/memory.hpp"
#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "detail/apply.hpp"
#include "detail/kernels.hpp"
#include "detail/matrix_base.hpp"
#include "detail/plan.hpp"
#include "tensor_train.hpp"
#include "tt_svd.hpp"

namespace tessera::tt
{
    namespace detail
    {
        /// A matrix W [M, N] as an interleaved TT-matrix; see the file comment. Sizes, ranks and
        /// cost come from matrix_train_base (the train is over modes m_k n_k).
        template <class T>
        class tt_matrix : public matrix_train_base<T>
        {
        public:
            /// Wraps a train over modes m_k n_k.
            /// \throws tessera::invalid_argument if the mode lists differ in length from the
            ///   train's order or a train mode is not m_k n_k.
            tt_matrix(std::vector<std::size_t> row_modes, std::vector<std::size_t> col_modes, tensor_train<T> train)
                : matrix_train_base<T>(std::move(train)), m_rows(std::move(row_modes)), m_cols(std::move(col_modes))
            {
                const char* fn = "tt::tt_matrix";
                require(m_rows.size() == m_train.order() && m_cols.size() == m_train.order(), fn,
                        "row_modes ", shape_to_string(m_rows), " and col_modes ", shape_to_string(m_cols),
                        " must both have order()=", m_train.order(), " entries");
                const auto s = m_train.shape();
                for (std::size_t k = 0; k < s.size(); ++k)
                    require(m_rows[k] * m_cols[k] == s[k], fn, "core ", k, " has mode size ", s[k], " but m_", k, "*n_",
                            k, "=", m_rows[k], "*", m_cols[k], "=", m_rows[k] * m_cols[k]);
                build_mats();
            }

            /// (m_1, ..., m_d).
            const std::vector<std::size_t>& row_modes() const noexcept { return m_rows; }
            /// (n_1, ..., n_d).
            const std::vector<std::size_t>& col_modes() const noexcept { return m_cols; }
            /// Core k as a 4-way tensor (r_{k-1}, m_k, n_k, r_k) (a copy).
            xt::xtensor<T, 4> core(std::size_t k) const
            {
                const auto& G = m_train.core(k);
                xt::xtensor<T, 4> C = xt::xtensor<T, 4>::from_shape({G.shape(0), m_rows[k], m_cols[k], G.shape(2)});
                std::copy(G.begin(), G.end(), C.begin());
                return C;
            }

            /// y = W x without forming W: one batched GEMM per core group (detail/apply.hpp), cost
            /// sum_k 2 (m_1..m_k) r_k (n_{k+1}..n_d) r_{k-1} n_k flops. Adjacent cores are merged
            /// when that lowers the flops with at most 2x the parameters (detail/plan.hpp): free
            /// across full-rank bonds. The GEMM-ready copies (one per direction, built at
            /// construction) are not counted in storage_bytes().
            /// \throws tessera::invalid_argument if x.size() != cols().
            xt::xtensor<T, 1> matvec(const xt::xtensor<T, 1>& x) const
            {
                require(x.size() == m_N, "tt::tt_matrix::matvec", "x must have length cols()=", m_N, ", got ", x.size());
                auto Y = apply_interleaved<T>(m_fwd.mats, m_fwd.ranks, m_fwd.in_modes, m_fwd.out_modes, x.data(), 1);
                return column(Y);
            }
            /// Y = W X for X [N, batch] (row-major): one pass of batched GEMMs.
            /// \throws tessera::invalid_argument if X.shape(0) != cols().
            xt::xtensor<T, 2> matmat(const xt::xtensor<T, 2>& X) const
            {
                require(X.shape(0) == m_N, "tt::tt_matrix::matmat", "X must have shape [cols()=", m_N, ", batch], got ",
                        shape_to_string(X.shape()));
                return apply_interleaved<T>(m_fwd.mats, m_fwd.ranks, m_fwd.in_modes, m_fwd.out_modes, X.data(), X.shape(1));
            }
            /// x = W^T y without forming W. \throws tessera::invalid_argument if y.size() != rows().
            xt::xtensor<T, 1> transpose_matvec(const xt::xtensor<T, 1>& y) const
            {
                require(y.size() == m_M, "tt::tt_matrix::transpose_matvec", "y must have length rows()=", m_M, ", got ",
                        y.size());
                auto X = apply_interleaved<T>(m_bwd.mats, m_bwd.ranks, m_bwd.in_modes, m_bwd.out_modes, y.data(), 1);
                return column(X);
            }
            /// X = W^T Y for Y [M, batch]. \throws tessera::invalid_argument if Y.shape(0) != rows().
            xt::xtensor<T, 2> transpose_matmat(const xt::xtensor<T, 2>& Y) const
            {
                require(Y.shape(0) == m_M, "tt::tt_matrix::transpose_matmat", "Y must have shape [rows()=", m_M,
                        ", batch], got ", shape_to_string(Y.shape()));
                return apply_interleaved<T>(m_bwd.mats, m_bwd.ranks, m_bwd.in_modes, m_bwd.out_modes, Y.data(), Y.shape(1));
            }

            /// The dense W [M, N]: the train densified over (m_1 n_1, ..., m_d n_d), then
            /// permuted to (m_1..m_d, n_1..n_d). O(M N r) time.
            xt::xtensor<T, 2> to_dense() const
            {
                auto F = m_train.full();
                const std::size_t d = m_rows.size();
                std::vector<std::size_t> dims, perm;
                for (std::size_t k = 0; k < d; ++k)
                {
                    dims.push_back(m_rows[k]);
                    dims.push_back(m_cols[k]);
                }
                for (std::size_t k = 0; k < d; ++k)
                    perm.push_back(2 * k);
                for (std::size_t k = 0; k < d; ++k)
                    perm.push_back(2 * k + 1);
                xt::xtensor<T, 2> W = tessera::detail::fresh_tensor<T, 2>({m_M, m_N});
                permute<T>(F.data(), dims, perm, W.data());
                return W;
            }
            /// Same as to_dense().
            xt::xtensor<T, 2> reconstruct() const { return to_dense(); }

            /// Re-truncates the cores (TT-rounding of the underlying train).
            tt_matrix round(const tt_options& options) const
            {
                return tt_matrix(m_rows, m_cols, m_train.round(options));
            }

        private:
            /// GEMM-ready cores of one product direction, after the merging plan (detail/plan.hpp).
            struct sweep
            {
                std::vector<xt::xtensor<T, 2>> mats;  ///< group g as [(out_g r_g), (r_{g-1} in_g)]
                std::vector<std::size_t> ranks, in_modes, out_modes;
            };

            sweep make_sweep(bool forward) const
            {
                const auto ranks = m_train.ranks();
                const auto& in = forward ? m_cols : m_rows;
                const auto& out = forward ? m_rows : m_cols;
                const auto plan = choose_plan(in, out, ranks, 2.0);
                sweep sw;
                for (std::size_t g = 0; g + 1 < plan.starts.size(); ++g)
                {
                    const std::size_t a = plan.starts[g], b = plan.starts[g + 1];
                    const auto G = b - a == 1 ? m_train.core(a) : merge_cores<T>(m_train.cores(), m_rows, m_cols, a, b);
                    std::size_t M = 1, N = 1;
                    for (std::size_t k = a; k < b; ++k)
                    {
                        M *= m_rows[k];
                        N *= m_cols[k];
                    }
                    const std::size_t r0 = ranks[a], r1 = ranks[b], I = forward ? N : M, O = forward ? M : N;
                    xt::xtensor<T, 2> F = xt::xtensor<T, 2>::from_shape({O * r1, r0 * I});
                    const T* p = G.data();  // p[((t M + i) N + j) r1 + s] = G(t, i, j, s)
                    for (std::size_t t = 0; t < r0; ++t)
                        for (std::size_t i = 0; i < M; ++i)
                            for (std::size_t j = 0; j < N; ++j)
                                for (std::size_t q = 0; q < r1; ++q)
                                {
                                    const T v = p[((t * M + i) * N + j) * r1 + q];
                                    if (forward)
                                        F(i * r1 + q, t * N + j) = v;
                                    else
                                        F(j * r1 + q, t * M + i) = v;
                                }
                    sw.mats.push_back(std::move(F));
                    sw.ranks.push_back(r0);
                    sw.in_modes.push_back(I);
                    sw.out_modes.push_back(O);
                }
                sw.ranks.push_back(1);
                return sw;
            }

            void build_mats()
            {
                m_M = product(m_rows, "tt::tt_matrix", "row_modes");
                m_N = product(m_cols, "tt::tt_matrix", "col_modes");
                m_fwd = make_sweep(true);
                m_bwd = make_sweep(false);
            }

            using matrix_train_base<T>::m_M, matrix_train_base<T>::m_N, matrix_train_base<T>::m_train;
            std::vector<std::size_t> m_rows, m_cols;
            sweep m_fwd;  ///< for W X: groups as [(m r), (r n)]
            sweep m_bwd;  ///< for W^T Y: groups as [(n r), (r m)]
        };

        /// Interleaved TT-matrix of a dense W: see tessera::tt::to_tt_matrix.
        template <class E>
        tt_matrix<value_type_t<E>> to_tt_matrix(const xt::xexpression<E>& W, const std::vector<std::size_t>& row_modes,
                                                const std::vector<std::size_t>& col_modes, const tt_options& options = {})
        {
            using T = value_type_t<E>;
            const char* fn = "tt::to_tt_matrix";
            auto ev = tessera::detail::evaluate<T, 2>(W, fn, "W");
            const auto& A = ev.get();
            require(row_modes.size() == col_modes.size(), fn, "row_modes ", shape_to_string(row_modes),
                    " and col_modes ", shape_to_string(col_modes), " must have the same length");
            require(row_modes.size() >= 2, fn, "need d >= 2 cores, got row_modes ", shape_to_string(row_modes));
            const std::size_t M = product(row_modes, fn, "row_modes"), N = product(col_modes, fn, "col_modes");
            require(M == A.shape(0) && N == A.shape(1), fn, "W has shape ", shape_to_string(A.shape()),
                    " but prod(row_modes ", shape_to_string(row_modes), ")=", M, " and prod(col_modes ",
                    shape_to_string(col_modes), ")=", N);
            const std::size_t d = row_modes.size();
            std::vector<std::size_t> dims(row_modes), perm, modes;
            dims.insert(dims.end(), col_modes.begin(), col_modes.end());
            for (std::size_t k = 0; k < d; ++k)
            {
                perm.push_back(k);
                perm.push_back(d + k);
                modes.push_back(row_modes[k] * col_modes[k]);
            }
            std::vector<T> buf(A.size());
            permute<T>(A.data(), dims, perm, buf.data());
            return tt_matrix<T>(row_modes, col_modes, tt_svd_buffer<T>(std::move(buf), modes, options, fn));
        }
    }  // namespace detail

    using detail::tt_matrix;
    /// Interleaved TT-matrix of W [M, N]: W viewed as (m_1..m_d, n_1..n_d), permuted to
    /// (m_1, n_1, ..., m_d, n_d), TT-SVD over modes m_k n_k. ||W - TT||_F <= rel_eps ||W||_F
    /// unless max_rank binds (status() says so).
    /// \throws tessera::invalid_argument if prod(row_modes) != M or prod(col_modes) != N, the
    ///   lists differ in length, d < 2, or the options are bad (see tt_svd).
    using detail::to_tt_matrix;
}  // namespace tessera::tt
