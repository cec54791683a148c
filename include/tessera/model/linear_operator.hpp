#pragma once
/// \file linear_operator.hpp
/// One small concept for the weight matrices of a model: y = W x for a vector or a batch,
/// rows(), cols(), storage_bytes(), whatever W is stored as: a dense matrix (owned or borrowed),
/// a low-rank factorisation (spectral::low_rank), a TT-matrix (tt::tt_matrix) or a packed ternary
/// matrix (ternary::packed_ternary). Compressed forms are applied as they are, never densified,
/// so a forward pass built on linear_operator runs what a compressed model really computes.

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>

#include "../core/blas.hpp"
#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "../core/traits.hpp"
#include "../spectral/low_rank.hpp"
#include "../ternary/activations.hpp"
#include "../ternary/matmul.hpp"
#include "../ternary/pack.hpp"
#include "../tt/tt_matrix.hpp"

namespace tessera::model
{
    /// How a ternary operator treats its input vector.
    enum class ternary_input
    {
        int8_per_token,  ///< absmax int8 per vector, then ternary::gemv (what a BitNet-style deployment runs; default)
        exact_float      ///< ternary::gemv_float: float input, W dequantized on the fly (2-bit layout only)
    };

    namespace detail
    {
        using tessera::concat;
        using tessera::require;

        /// out[i] = sum_j W(i, j) x[j] for a row-major W [rows, cols], accumulated in T in index order
        /// (llama2.c's `matmul`); rows split across threads, so the result is the same at any
        /// thread count. Parallel only from 65536 weights (smaller products lose to the fork).
        template <class T>
        void dense_matvec(T* out, const T* w, std::size_t rows, std::size_t cols, const T* x)
        {
            tessera::detail::parallel_for(
                0, static_cast<std::ptrdiff_t>(rows),
                [&](std::ptrdiff_t i) {
                    const T* wi = w + static_cast<std::size_t>(i) * cols;
                    T acc = T(0);
                    for (std::size_t j = 0; j < cols; ++j)
                        acc += wi[j] * x[j];
                    out[i] = acc;
                },
                rows * cols >= 65536 ? 2 : std::numeric_limits<std::ptrdiff_t>::max());
        }

        /// The interface behind linear_operator: y[0, rows) = W x[0, cols).
        template <class T>
        class operator_impl
        {
        public:
            virtual ~operator_impl() = default;
            virtual void apply(const T* x, T* y) const = 0;
            virtual std::size_t rows() const noexcept = 0;
            virtual std::size_t cols() const noexcept = 0;
            virtual std::size_t storage_bytes() const noexcept = 0;
            virtual xt::xtensor<T, 2> densify() const = 0;
        };

        /// A dense W, shared with its owner (or borrowed, through a non-owning shared_ptr).
        template <class T>
        class dense_impl final : public operator_impl<T>
        {
        public:
            explicit dense_impl(std::shared_ptr<const xt::xtensor<T, 2>> W) : m_w(std::move(W)) {}
            void apply(const T* x, T* y) const override { dense_matvec(y, m_w->data(), rows(), cols(), x); }
            std::size_t rows() const noexcept override { return m_w->shape(0); }
            std::size_t cols() const noexcept override { return m_w->shape(1); }
            std::size_t storage_bytes() const noexcept override { return m_w->size() * sizeof(T); }
            xt::xtensor<T, 2> densify() const override { return *m_w; }

        private:
            std::shared_ptr<const xt::xtensor<T, 2>> m_w;
        };

        /// An operator over a factored form M (spectral::low_rank, tt::tt_matrix) that answers
        /// rows(), cols(), storage_bytes() and reconstruct() itself; the derived class applies it.
        template <class T, class M>
        class factored_impl : public operator_impl<T>
        {
        public:
            explicit factored_impl(M m) : m_m(std::move(m)) {}
            std::size_t rows() const noexcept final { return m_m.rows(); }
            std::size_t cols() const noexcept final { return m_m.cols(); }
            std::size_t storage_bytes() const noexcept final { return m_m.storage_bytes(); }
            xt::xtensor<T, 2> densify() const final { return m_m.reconstruct(); }

        protected:
            M m_m;
        };

        /// W = L R (spectral::low_rank), applied as L (R x) with two BLAS gemv.
        template <class T>
        class low_rank_impl final : public factored_impl<T, spectral::low_rank<T>>
        {
        public:
            using factored_impl<T, spectral::low_rank<T>>::factored_impl;
            void apply(const T* x, T* y) const override
            {
                const auto& f = this->m_m;
                const std::size_t r = f.rank(), m = f.rows(), n = f.cols();
                if (r == 0)
                {
                    std::fill(y, y + m, T(0));
                    return;
                }
                std::vector<T> t(r);
                blas::detail::gemv_raw(blas::op::none, r, n, T(1), f.right().data(), n, x, T(0), t.data());
                blas::detail::gemv_raw(blas::op::none, m, r, T(1), f.left().data(), r, t.data(), T(0), y);
            }
        };

        /// A TT-matrix (tt::tt_matrix), applied core by core (tt_matrix::matvec).
        template <class T>
        class tt_impl final : public factored_impl<T, tt::tt_matrix<T>>
        {
        public:
            using factored_impl<T, tt::tt_matrix<T>>::factored_impl;
            void apply(const T* x, T* y) const override
            {
                xt::xtensor<T, 1> xv = xt::xtensor<T, 1>::from_shape({this->m_m.cols()});
                std::copy(x, x + xv.size(), xv.begin());
                const xt::xtensor<T, 1> yv = this->m_m.matvec(xv);
                std::copy(yv.begin(), yv.end(), y);
            }
        };

        /// A packed ternary matrix with group scales, applied by ternary::gemv (int8 input) or
        /// ternary::gemv_float (float input); T = double inputs are rounded to float first.
        template <class T>
        class ternary_impl final : public operator_impl<T>
        {
        public:
            ternary_impl(ternary::packed_ternary W, ternary_input input) : m_w(std::move(W)), m_input(input) {}
            void apply(const T* x, T* y) const override
            {
                const std::size_t n = cols();
                const auto xv = xt::adapt(x, n, xt::no_ownership(), std::array<std::size_t, 1>{n});
                xt::xtensor<float, 1> yv;
                if (m_input == ternary_input::exact_float)
                    yv = ternary::gemv_float(m_w, xv);
                else
                {
                    ternary::activation_options o;
                    o.per_token = true;
                    yv = ternary::gemv(m_w, ternary::quantize_activations_int8(xv, o));
                }
                std::transform(yv.begin(), yv.end(), y, [](float v) { return static_cast<T>(v); });
            }
            std::size_t rows() const noexcept override { return m_w.rows; }
            std::size_t cols() const noexcept override { return m_w.cols; }
            std::size_t storage_bytes() const noexcept override { return m_w.storage_bytes(); }
            xt::xtensor<T, 2> densify() const override
            {
                const auto codes = m_w.layout == ternary::packed_layout::two_bit ? ternary::unpack_2bit(m_w)
                                                                                 : ternary::unpack_base3(m_w);
                xt::xtensor<T, 2> W = xt::xtensor<T, 2>::from_shape({rows(), cols()});
                std::vector<float> buf(m_w.scale_stride);
                for (std::size_t i = 0; i < rows(); ++i)
                {
                    const float* s = m_w.row_scales(i, buf.data());
                    for (std::size_t k = 0; k < cols(); ++k)
                        W(i, k) = static_cast<T>(static_cast<float>(codes(i, k)) * s[k / m_w.group_size]);
                }
                return W;
            }

        private:
            ternary::packed_ternary m_w;
            ternary_input m_input;
        };

        /// A weight matrix W [rows, cols] behind one interface, whatever its storage: y = W x.
        /// Copies share the (immutable) stored matrix. A default-constructed operator is [0, 0].
        /// \note apply() is const and safe to call from several threads at once.
        template <class T>
        class linear_operator
        {
            static_assert(is_real_v<T>, "tessera::model::linear_operator<T>: T must be float or double");

        public:
            /// The empty [0, 0] operator.
            linear_operator() = default;
            /// A dense W [rows, cols] (row-major, [out, in]), owned. y = W x by dense_matvec:
            /// accumulated in T in index order, bitwise the same at any thread count.
            explicit linear_operator(xt::xtensor<T, 2> W)
                : linear_operator(std::make_shared<const xt::xtensor<T, 2>>(std::move(W)))
            {
            }
            /// A dense W shared with other owners (e.g. a tied embedding and classifier); as above.
            /// \throws tessera::invalid_argument if W is null.
            explicit linear_operator(std::shared_ptr<const xt::xtensor<T, 2>> W)
            {
                require(W != nullptr, "model::linear_operator", "W must not be null");
                m_impl = std::make_shared<dense_impl<T>>(std::move(W));
            }
            /// W = L R, applied as L (R x): (rows + cols) rank multiply-adds, never densified.
            explicit linear_operator(spectral::low_rank<T> f) : m_impl(std::make_shared<low_rank_impl<T>>(std::move(f))) {}
            /// A TT-matrix, applied by tt_matrix::matvec (core by core), never densified.
            explicit linear_operator(tt::tt_matrix<T> m) : m_impl(std::make_shared<tt_impl<T>>(std::move(m))) {}
            /// A packed ternary matrix (2-bit or base-3, with scales), applied by ternary::gemv on
            /// the int8 absmax quantization of each input vector (`input` = int8_per_token, the
            /// default) or by ternary::gemv_float on the exact input (exact_float). Output in float,
            /// converted to T.
            /// \throws tessera::invalid_argument when W has no scales, or exact_float with the base-3 layout.
            explicit linear_operator(ternary::packed_ternary W, ternary_input input = ternary_input::int8_per_token)
            {
                const char* fn = "model::linear_operator";
                require(W.has_scales() && W.group_size > 0, fn, "the packed ternary matrix must carry scales "
                                                                "(pack a ternary_matrix or use quantize_pack_2bit)");
                require(input != ternary_input::exact_float || W.layout == ternary::packed_layout::two_bit, fn,
                        "input=exact_float needs the 2-bit layout (gemv_float), got base-3");
                m_impl = std::make_shared<ternary_impl<T>>(std::move(W), input);
            }
            /// A dense operator that borrows W (no copy).
            /// \note W must outlive every copy of the operator and not change shape while it is used.
            static linear_operator view(const xt::xtensor<T, 2>& W)
            {
                return linear_operator(std::shared_ptr<const xt::xtensor<T, 2>>(std::shared_ptr<void>(), &W));
            }

            /// Output size (rows of W).
            std::size_t rows() const noexcept { return m_impl ? m_impl->rows() : 0; }
            /// Input size (columns of W).
            std::size_t cols() const noexcept { return m_impl ? m_impl->cols() : 0; }
            /// Bytes of the stored form (dense: rows cols sizeof(T); low rank: (rows + cols) rank
            /// sizeof(T); TT: its cores; ternary: packed codes + scales).
            std::size_t storage_bytes() const noexcept { return m_impl ? m_impl->storage_bytes() : 0; }

            /// y[0, rows) = W x[0, cols) for raw buffers (the forward pass's call: no allocation for
            /// dense weights). \note x and y must not overlap.
            void apply(const T* x, T* y) const
            {
                if (m_impl)
                    m_impl->apply(x, y);
            }
            /// y = W x. \return [rows]. \throws tessera::invalid_argument if x.size() != cols().
            xt::xtensor<T, 1> apply(const xt::xtensor<T, 1>& x) const
            {
                require(x.size() == cols(), "model::linear_operator::apply", "x must have length cols()=", cols(), ", got ",
                        x.size());
                xt::xtensor<T, 1> y = xt::xtensor<T, 1>::from_shape({rows()});
                apply(x.data(), y.data());
                return y;
            }
            /// Y = X W^T for a batch X [batch, cols] of row vectors (rows = tokens): row b of Y is
            /// apply(row b of X), bit for bit. \return [batch, rows].
            /// \throws tessera::invalid_argument if X.shape(1) != cols().
            xt::xtensor<T, 2> apply(const xt::xtensor<T, 2>& X) const
            {
                require(X.shape(1) == cols(), "model::linear_operator::apply", "X must have shape [batch, cols()=", cols(),
                        "], got ", shape_to_string(X.shape()));
                xt::xtensor<T, 2> Y = xt::xtensor<T, 2>::from_shape({X.shape(0), rows()});
                for (std::size_t b = 0; b < X.shape(0); ++b)
                    apply(X.data() + b * cols(), Y.data() + b * rows());
                return Y;
            }
            /// The dense W [rows, cols] this operator applies (ternary: codes times scales), for
            /// references and tests; the forward pass never calls it. O(rows cols) memory.
            xt::xtensor<T, 2> densify() const
            {
                return m_impl ? m_impl->densify() : xt::xtensor<T, 2>::from_shape({0, 0});
            }

        private:
            std::shared_ptr<const operator_impl<T>> m_impl;
        };
    }  // namespace detail

    using detail::linear_operator;
}  // namespace tessera::model
