#pragma once
/// \file tt_svd.hpp
/// TT-SVD (Oseledets 2011, algorithm 1): a dense tensor to a tensor train with a guaranteed
/// relative Frobenius error.

#include <cmath>
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xexpression.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "detail/kernels.hpp"
#include "tensor_train.hpp"

namespace tessera::tt
{
    namespace detail
    {
        /// TT-SVD of the row-major buffer `a` (consumed) of shape `shape`.
        template <class T>
        tensor_train<T> tt_svd_buffer(std::vector<T> a, const std::vector<std::size_t>& shape,
                                      const tt_options& options, const char* fn)
        {
            check_options(options, fn);
            const std::size_t d = shape.size();
            require(d >= 2, fn, "shape must have at least 2 modes (d >= 2), got ", shape_to_string(shape));
            check_bond_count(options, d, fn);
            for (std::size_t k = 0; k < d; ++k)
                require(shape[k] >= 1, fn, "shape[", k, "]=0 in ", shape_to_string(shape), "; modes must be >= 1");
            const std::size_t total = product(shape, fn, "shape");
            require(total == a.size(), fn, "shape ", shape_to_string(shape), " has product ", total,
                    " but A has ", a.size(), " entries");
            double norm2 = 0.0;
            for (T v : a)
                norm2 += double(v) * double(v);
            require(std::isfinite(norm2), fn, "A must be finite (it holds NaN or Inf, or its norm overflows)");
            const double norm = std::sqrt(norm2);
            const double delta = bond_delta(options.rel_eps, norm, d);

            std::vector<xt::xtensor<T, 3>> cores;
            std::vector<double> discarded(d - 1, 0.0);
            tessera::status st;
            // C holds the remaining unfolding [r_{k-1} n_k, n_{k+1} ... n_d].
            std::size_t r = 1, rest = total;
            xt::xtensor<T, 2> C = xt::xtensor<T, 2>::from_shape({shape[0], total / shape[0]});
            std::copy(a.begin(), a.end(), C.data());
            a = std::vector<T>();
            for (std::size_t k = 0; k + 1 < d; ++k)
            {
                rest /= shape[k];
                auto t = truncated_svd<T>(std::move(C), delta, bond_cap(options, k), options.method, options.seed, k);
                if (!t.status.ok() && st.ok())
                    st = t.status;
                discarded[k] = t.discarded2;
                const std::size_t rk = t.U.shape(1);
                cores.push_back(as_core(t.U, r, shape[k], rk));
                // Next unfolding: S Vt [rk, rest] viewed as [rk n_{k+1}, rest / n_{k+1}].
                C = std::move(t.SVt);
                C.reshape({rk * shape[k + 1], rest / shape[k + 1]});
                r = rk;
            }
            cores.push_back(as_core(C, r, shape[d - 1], 1));
            check_accuracy(st, discarded, options.rel_eps, norm);
            return tensor_train<T>::from_truncation(std::move(cores), std::move(discarded), std::move(st));
        }

        /// TT-SVD of a dense tensor: see tessera::tt::tt_svd.
        template <class E>
        tensor_train<value_type_t<E>> tt_svd(const xt::xexpression<E>& A, const std::vector<std::size_t>& shape,
                                             const tt_options& options = {})
        {
            using T = value_type_t<E>;
            static_assert(is_real_v<T>, "tessera::tt::tt_svd: the element type must be float or double");
            const auto& e = A.derived_cast();
            std::vector<T> buf(e.size());
            if constexpr (xt::has_data_interface<std::decay_t<E>>::value)
            {
                if (e.layout() == xt::layout_type::row_major && e.is_contiguous())
                    std::copy(e.data(), e.data() + e.size(), buf.begin());
                else
                    std::copy(e.begin(), e.end(), buf.begin());
            }
            else
            {
                xt::xarray<T> tmp = e;
                std::copy(tmp.begin(), tmp.end(), buf.begin());
            }
            return tt_svd_buffer<T>(std::move(buf), shape, options, "tt::tt_svd");
        }
    }  // namespace detail

    /// TT-SVD: the tensor train of the dense tensor A reshaped (row-major) to `shape`.
    ///
    /// Sweeps k = 1..d-1 over the unfoldings C_k [r_{k-1} n_k, n_{k+1}...n_d], keeping the
    /// smallest rank whose discarded tail \f$ (\sum_{i \ge r} \sigma_i^2)^{1/2} \f$ is at most
    /// \f$ \delta = \varepsilon \|A\|_F / \sqrt{d-1} \f$, then capping at options.max_rank. Since the
    /// bond errors add in squares, \f$ \|A - TT\|_F \le \varepsilon \|A\|_F \f$ whenever the cap
    /// does not bind; when it does, status() is accuracy_limited and discarded_energy() holds
    /// the exact squared bound per bond (sqrt of its sum bounds the error).
    ///
    /// \param A any xtensor expression with prod(shape) entries (its own shape is ignored:
    ///   only the row-major order of its entries matters), float or double, finite.
    /// \param shape mode sizes (n_1, ..., n_d), d >= 2, each >= 1.
    /// \param options max_rank >= 1, rel_eps >= 0.
    /// \return the train; cores (r_{k-1}, n_k, r_k). Cost: one SVD per bond, the first of the
    ///   [n_1, prod/n_1] unfolding, O(n_1 prod) flops, then O(r n_k prod/..) shrinking.
    /// \throws tessera::invalid_argument on d < 2, a zero mode, a size mismatch, max_rank = 0,
    ///   rel_eps < 0 or non-finite input.
    using detail::tt_svd;
}  // namespace tessera::tt
