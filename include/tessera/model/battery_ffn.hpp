#pragma once
/// \file battery_ffn.hpp
/// The feed-forward part of the weight-terrain battery: per-neuron input and output norms, dead
/// neurons and neuron importance of one FFN block; and the cross-layer cosine matrix of
/// same-type weights.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include <cblas.h>
#include <xtensor/xtensor.hpp>

#include "../core/detail/column_means.hpp"
#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"
#include "../stats/norms.hpp"

namespace tessera::model
{
    /// Options of measure_ffn().
    struct ffn_options
    {
        double dead_threshold = 0.01;  ///< a neuron is dead when a norm is < dead_threshold * the mean of that norm, in [0, 1)
    };

    /// Per-neuron metrics of one FFN block (up/gate [ffn, hidden]: rows = neurons; down
    /// [hidden, ffn]: columns = neurons).
    struct ffn_metrics
    {
        std::size_t neurons = 0;                 ///< ffn width
        xt::xtensor<double, 1> up_norm;          ///< [ffn] ||up_i||_2
        xt::xtensor<double, 1> gate_norm;        ///< [ffn] ||gate_i||_2 ([0] without a gate)
        xt::xtensor<double, 1> down_norm;        ///< [ffn] ||down_{:, i}||_2
        xt::xtensor<double, 1> importance;       ///< [ffn] ||up_i|| ||down_{:, i}||
        xt::xtensor<double, 1> gate_importance;  ///< [ffn] ||gate_i|| ||down_{:, i}|| ([0] without a gate)
        std::vector<std::size_t> dead;           ///< ascending indices of dead neurons (input or output norm < threshold * mean)
        std::size_t dead_input = 0;              ///< neurons whose up (or gate) norm is below threshold
        std::size_t dead_output = 0;             ///< neurons whose down column norm is below threshold
        double dead_fraction = 0.0;              ///< dead.size() / ffn
    };

    namespace detail
    {
        /// ||row_i||_2 of A [m, n] in double (stats::detail::norm2), OpenMP over rows.
        template <class T>
        xt::xtensor<double, 1> row_norms_double(const xt::xtensor<T, 2>& A)
        {
            const std::size_t m = A.shape(0), n = A.shape(1);
            xt::xtensor<double, 1> out = xt::xtensor<double, 1>::from_shape({m});
            tessera::parallel_for(0, static_cast<std::ptrdiff_t>(m), [&](std::ptrdiff_t i) {
                const auto r = static_cast<std::size_t>(i);
                out(r) = tessera::stats::detail::norm2(A.data() + r * n, n);
            }, 64);
            return out;
        }

        /// ||column_j||_2 of A [m, n] in double: the sums of squares of tessera::detail::column_sums
        /// (fixed row chunks in parallel, same result at any thread count), then sqrt.
        template <class T>
        xt::xtensor<double, 1> column_norms_double(const xt::xtensor<T, 2>& A)
        {
            std::vector<double> sq;
            tessera::detail::column_sums(A, {}, &sq);
            xt::xtensor<double, 1> out = xt::xtensor<double, 1>::from_shape({A.shape(1)});
            for (std::size_t j = 0; j < sq.size(); ++j)
                out(j) = std::sqrt(sq[j]);
            return out;
        }

        /// Dead neurons and importance from the per-neuron norms of an FFN block: up_norm [ffn],
        /// gate_norm [ffn] or empty (no gate), down_norm [ffn]. Used by measure_ffn and by
        /// run_battery, which takes the norms while each weight is in memory for its own metrics.
        inline ffn_metrics ffn_metrics_from_norms(xt::xtensor<double, 1> up_norm, xt::xtensor<double, 1> gate_norm,
                                                  xt::xtensor<double, 1> down_norm, const ffn_options& options)
        {
            const std::size_t f = up_norm.size();
            const bool gate = gate_norm.size() > 0;
            ffn_metrics r;
            r.neurons = f;
            r.up_norm = std::move(up_norm);
            r.down_norm = std::move(down_norm);
            r.gate_norm = std::move(gate_norm);
            r.importance = r.up_norm * r.down_norm;
            r.gate_importance = gate ? xt::xtensor<double, 1>(r.gate_norm * r.down_norm)
                                     : xt::xtensor<double, 1>::from_shape({0});
            auto cut = [&](const xt::xtensor<double, 1>& v) {
                double s = 0.0;
                for (double x : v)
                    s += x;
                return options.dead_threshold * s / static_cast<double>(v.size());
            };
            const double cu = cut(r.up_norm), cd = cut(r.down_norm), cg = gate ? cut(r.gate_norm) : 0.0;
            for (std::size_t i = 0; i < f; ++i)
            {
                const bool in = r.up_norm(i) < cu || (gate && r.gate_norm(i) < cg), out = r.down_norm(i) < cd;
                r.dead_input += in ? 1u : 0u;
                r.dead_output += out ? 1u : 0u;
                if (in || out)
                    r.dead.push_back(i);
            }
            r.dead_fraction = f ? static_cast<double>(r.dead.size()) / static_cast<double>(f) : 0.0;
            return r;
        }

        template <class T>
        ffn_metrics ffn_metrics_of(const xt::xtensor<T, 2>& up, const xt::xtensor<T, 2>* gate,
                                   const xt::xtensor<T, 2>& down, const ffn_options& options, const char* fn)
        {
            require(options.dead_threshold >= 0.0 && options.dead_threshold < 1.0, fn, "options.dead_threshold=",
                    options.dead_threshold, " must be in [0, 1)");
            const std::size_t f = up.shape(0), hidden = up.shape(1);
            require(f > 0 && hidden > 0, fn, "up must be a non-empty matrix, got shape ", shape_to_string(up.shape()));
            require(down.shape(0) == hidden && down.shape(1) == f, fn, "down must have shape [", hidden, ", ", f,
                    "] (hidden, ffn) for up ", shape_to_string(up.shape()), ", got ", shape_to_string(down.shape()));
            require(!gate || (gate->shape(0) == f && gate->shape(1) == hidden), fn, "gate must have the shape of up ",
                    shape_to_string(up.shape()), ", got ", gate ? shape_to_string(gate->shape()) : std::string());
            require_finite(up, fn, "up");
            require_finite(down, fn, "down");
            if (gate)
                require_finite(*gate, fn, "gate");
            return ffn_metrics_from_norms(row_norms_double(up),
                                          gate ? row_norms_double(*gate) : xt::xtensor<double, 1>::from_shape({0}),
                                          column_norms_double(down), options);
        }

        /// Neuron norms, importance ||up_i|| ||down_{:, i}|| and dead neurons (a norm below
        /// options.dead_threshold times the mean of that norm over neurons) of an ungated FFN.
        /// \param up [ffn, hidden]; \param down [hidden, ffn]. Cost 2 ffn hidden flops, one read.
        /// \throws tessera::invalid_argument for mismatched shapes, non-finite weights or a bad threshold.
        template <class E1, class E2, requires_t<is_real_expression_v<E1> && is_real_expression_v<E2>> = true>
        ffn_metrics measure_ffn(const xt::xexpression<E1>& up, const xt::xexpression<E2>& down,
                                const ffn_options& options = {})
        {
            using T = value_type_t<E1>;
            const char* fn = "model::measure_ffn";
            const auto u = tessera::detail::evaluate<T, 2>(up, fn, "up");  // up first, then down
            return ffn_metrics_of<T>(u.get(), nullptr, tessera::detail::evaluate<T, 2>(down, fn, "down").get(), options,
                                     fn);
        }

        /// measure_ffn of a gated (SwiGLU) FFN: also gate norms and gate_importance
        /// ||gate_i|| ||down_{:, i}||; a neuron is input-dead when its up or its gate norm is low.
        /// \param gate [ffn, hidden]; \param up [ffn, hidden]; \param down [hidden, ffn].
        /// \throws as measure_ffn.
        template <class E1, class E2, class E3,
                  requires_t<is_real_expression_v<E1> && is_real_expression_v<E2> && is_real_expression_v<E3>> = true>
        ffn_metrics measure_gated_ffn(const xt::xexpression<E1>& gate, const xt::xexpression<E2>& up,
                                      const xt::xexpression<E3>& down, const ffn_options& options = {})
        {
            using T = value_type_t<E1>;
            const char* fn = "model::measure_gated_ffn";
            const auto g = tessera::detail::evaluate<T, 2>(gate, fn, "gate");
            const auto u = tessera::detail::evaluate<T, 2>(up, fn, "up");
            const auto d = tessera::detail::evaluate<T, 2>(down, fn, "down");
            return ffn_metrics_of<T>(u.get(), &g.get(), d.get(), options, fn);
        }

        /// Cosine matrix C [L, L] of the flattened same-type weights of L layers:
        /// C_ij = <W_i, W_j>_F / (||W_i||_F ||W_j||_F) (0 when either is zero), in double: column
        /// strips of max(4096, 2^20 / L) elements of every layer (an 8 MB buffer) converted to
        /// double, one dsyrk per strip (one read of the weights, L^2 N flops). No weight is copied
        /// whole; few BLAS calls (thousands of tiny threaded dsyrk cost seconds on a loaded machine).
        /// \param layers L >= 1 pointers to matrices of one shape.
        /// \throws tessera::invalid_argument for no layers, a null pointer, differing shapes or non-finite weights.
        template <class T>
        xt::xtensor<double, 2> cross_layer_cosine(const std::vector<const xt::xtensor<T, 2>*>& layers)
        {
            const char* fn = "model::cross_layer_cosine";
            const std::size_t L = layers.size();
            require(L > 0, fn, "layers must hold at least one matrix, got 0");
            for (std::size_t i = 0; i < L; ++i)
            {
                require(layers[i] != nullptr, fn, "layers[", i, "] must not be null");
                require(layers[i]->shape() == layers[0]->shape(), fn, "layers[", i, "] must have shape ",
                        shape_to_string(layers[0]->shape()), " like layers[0], got ", shape_to_string(layers[i]->shape()));
                require_finite(*layers[i], fn, "layers[i]");
            }
            const std::size_t N = layers[0]->size(), strip = std::max<std::size_t>(4096, (std::size_t(1) << 20) / L);
            const std::size_t w0 = std::min(strip, N);
            xt::xtensor<double, 2> G = xt::zeros<double>({L, L});
            std::vector<double> buf(L * std::max<std::size_t>(w0, 1));
            const int li = static_cast<int>(L);
            for (std::size_t c0 = 0; c0 < N; c0 += strip)
            {
                const std::size_t w = std::min(strip, N - c0);
                tessera::parallel_for(0, static_cast<std::ptrdiff_t>(L), [&](std::ptrdiff_t l) {
                    const T* src = layers[static_cast<std::size_t>(l)]->data() + c0;
                    std::copy(src, src + w, buf.begin() + l * static_cast<std::ptrdiff_t>(w));
                });
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, li, static_cast<int>(w), 1.0, buf.data(),
                            static_cast<int>(w), 1.0, G.data(), li);
            }
            xt::xtensor<double, 2> C = xt::xtensor<double, 2>::from_shape({L, L});
            for (std::size_t i = 0; i < L; ++i)
                for (std::size_t j = i; j < L; ++j)
                {
                    const double den = std::sqrt(G(i, i)) * std::sqrt(G(j, j));
                    C(i, j) = C(j, i) = den > 0.0 ? G(i, j) / den : 0.0;
                }
            return C;
        }

        /// cross_layer_cosine of a vector of matrices (no copies: their addresses are used).
        template <class T>
        xt::xtensor<double, 2> cross_layer_cosine(const std::vector<xt::xtensor<T, 2>>& layers)
        {
            std::vector<const xt::xtensor<T, 2>*> p;
            for (const auto& l : layers)
                p.push_back(&l);
            return cross_layer_cosine(p);
        }
    }  // namespace detail

    using detail::cross_layer_cosine, detail::measure_ffn, detail::measure_gated_ffn;
}  // namespace tessera::model
