#pragma once
/// \file tensorly_layout.hpp
/// Converters between tt_matrix<T> and tensorly's TT-matrix factors.
///
/// tensorly (tensorly/tt_matrix.py, tensorly/decomposition/_tt.py, `TTMatrix`,
/// `tensor_train_matrix`) stores a TT-matrix as a list of 4-way factors of shape
/// (rank_k, left_dim_k, right_dim_k, rank_{k+1}) with rank_0 = rank_d = 1.
/// `tt_matrix_to_tensor` chains them with tensordot over the rank axes, reshapes to
/// (left_1, right_1, left_2, right_2, ...) and transposes to (left_1..left_d, right_1..right_d);
/// `tt_matrix_to_matrix` reshapes that (C order) to [prod left, prod right]. So left = rows
/// (our m_k), right = columns (our n_k), and both multi-indices are row-major: tensorly's
/// factors are byte-for-byte our cores (r_{k-1}, m_k, n_k, r_k). Export from numpy with
/// `[np.ascontiguousarray(f) for f in tt.factors]` and import with `tl.tt_matrix.TTMatrix(factors)`.

#include <cstddef>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "tensor_train.hpp"
#include "tt_matrix.hpp"

namespace tessera::tt
{
    namespace detail
    {
        /// tensorly TT-matrix factors (r_k, m_k, n_k, r_{k+1}) of a tt_matrix (copies).
        template <class T>
        std::vector<xt::xtensor<T, 4>> to_tensorly_factors(const tt_matrix<T>& W)
        {
            std::vector<xt::xtensor<T, 4>> out;
            for (std::size_t k = 0; k < W.row_modes().size(); ++k)
                out.push_back(W.core(k));
            return out;
        }

        /// A tt_matrix from tensorly TT-matrix factors (r_k, m_k, n_k, r_{k+1}).
        /// \throws tessera::invalid_argument (tensorly's `_validate_tt_matrix` rules): fewer than
        ///   one factor, a boundary rank != 1, consecutive ranks that disagree, a zero extent.
        template <class T>
        tt_matrix<T> from_tensorly_factors(const std::vector<xt::xtensor<T, 4>>& factors)
        {
            const char* fn = "tt::from_tensorly_factors";
            require(!factors.empty(), fn, "factors must not be empty");
            std::vector<std::size_t> rows, cols;
            std::vector<xt::xtensor<T, 3>> cores;
            for (std::size_t k = 0; k < factors.size(); ++k)
            {
                const auto& F = factors[k];
                for (std::size_t a = 0; a < 4; ++a)
                    require(F.shape(a) >= 1, fn, "factor ", k, " has a zero extent: shape ", shape_to_string(F.shape()));
                if (k == 0)
                    require(F.shape(0) == 1, fn, "factor 0 must have rank_0 = 1, got shape ",
                            shape_to_string(F.shape()));
                else
                    require(F.shape(0) == factors[k - 1].shape(3), fn, "factor ", k, " has shape ",
                            shape_to_string(F.shape()), " but factor ", k - 1, " ends with rank ",
                            factors[k - 1].shape(3));
                rows.push_back(F.shape(1));
                cols.push_back(F.shape(2));
                xt::xtensor<T, 3> G = xt::xtensor<T, 3>::from_shape({F.shape(0), F.shape(1) * F.shape(2), F.shape(3)});
                std::copy(F.begin(), F.end(), G.begin());
                cores.push_back(std::move(G));
            }
            require(factors.back().shape(3) == 1, fn, "the last factor must have rank_d = 1, got shape ",
                    shape_to_string(factors.back().shape()));
            return tt_matrix<T>(std::move(rows), std::move(cols), tensor_train<T>(std::move(cores)));
        }
    }  // namespace detail

    /// Export: tensorly's `TTMatrix` factors, shape (r_k, m_k, n_k, r_{k+1}), C order.
    using detail::to_tensorly_factors;
    /// Import: a tt_matrix from tensorly `TTMatrix` factors. \throws tessera::invalid_argument.
    using detail::from_tensorly_factors;
}  // namespace tessera::tt
