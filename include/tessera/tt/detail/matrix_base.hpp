#pragma once
/// \file matrix_base.hpp
/// Internals of the tt module: what every matrix stored as a tensor train answers the same way
/// (tt_matrix and tt_matrix_sequential derive from it). Not part of the public API.

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../../core/status.hpp"
#include "../../core/traits.hpp"
#include "../tensor_train.hpp"
#include "apply.hpp"

namespace tessera::tt::detail
{
    /// A product [n, 1] as a vector of length n.
    template <class T>
    xt::xtensor<T, 1> column(const xt::xtensor<T, 2>& Y)
    {
        xt::xtensor<T, 1> y = xt::xtensor<T, 1>::from_shape({Y.size()});
        std::copy(Y.data(), Y.data() + Y.size(), y.data());
        return y;
    }

    /// A matrix W [M, N] held as a tensor train: sizes, ranks and cost of the train.
    template <class T>
    class matrix_train_base
    {
        static_assert(is_real_v<T>, "tessera::tt: a TT matrix's T must be float or double");

    public:
        /// Rows M = prod m_k.
        std::size_t rows() const noexcept { return m_M; }
        /// Columns N = prod n_k.
        std::size_t cols() const noexcept { return m_N; }
        /// TT ranks of the underlying train (1, r_1, ..., 1).
        std::vector<std::size_t> ranks() const { return m_train.ranks(); }
        /// The underlying train.
        const tensor_train<T>& train() const noexcept { return m_train; }
        /// Stored values (the train's parameter count).
        std::size_t parameter_count() const noexcept { return m_train.parameter_count(); }
        /// Bytes of the cores.
        std::size_t storage_bytes() const noexcept { return m_train.storage_bytes(); }
        /// M N / parameter_count(): dense values per stored value.
        double compression_ratio() const noexcept
        {
            return static_cast<double>(m_M) * static_cast<double>(m_N) / static_cast<double>(parameter_count());
        }
        /// Per-bond report: rank, untruncated rank, discarded energy, parameters (one per bond).
        std::vector<tt_bond> bonds() const
        {
            return bond_report(m_train.ranks(), m_train.shape(), m_train.discarded_energy());
        }
        /// Numerical outcome of the truncation that built it (accuracy_limited: max_rank bound).
        const tessera::status& status() const noexcept { return m_train.status(); }

    protected:
        explicit matrix_train_base(tensor_train<T> train) : m_train(std::move(train)) {}

        tensor_train<T> m_train;
        std::size_t m_M = 1, m_N = 1;
    };
}  // namespace tessera::tt::detail
