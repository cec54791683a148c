#pragma once
/// \file activations.hpp
/// int8 absmax quantization of activations (per block of consecutive values of a row, or per
/// token = per row), the input of the packed ternary kernels.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"

namespace tessera::ternary
{
    /// Options of quantize_activations_int8.
    struct activation_options
    {
        std::size_t block_size = 64;  ///< values per scale within a row (>= 1); ignored when per_token
        bool per_token = false;       ///< one scale per row (token) instead of per block
    };

    /// int8 activations: values [batch, cols] in [-127, 127] and scales [batch, n_blocks] with
    /// x(b, k) ~= values(b, k) * scales(b, k / block_size).
    struct int8_activations
    {
        xt::xtensor<std::int8_t, 2> values;  ///< [batch, cols]
        xt::xtensor<float, 2> scales;        ///< [batch, n_blocks]: max|x_block| / 127 (0 for an all-zero block)
        std::size_t block_size = 64;         ///< values per scale (cols when per token)
        std::size_t batch() const noexcept { return values.shape(0); }
        std::size_t cols() const noexcept { return values.shape(1); }
        /// values * scales as float [batch, cols].
        xt::xtensor<float, 2> dequantize() const
        {
            xt::xtensor<float, 2> out = xt::xtensor<float, 2>::from_shape(values.shape());
            for (std::size_t b = 0; b < batch(); ++b)
                for (std::size_t k = 0; k < cols(); ++k)
                    out(b, k) = static_cast<float>(values(b, k)) * scales(b, k / block_size);
            return out;
        }
    };

    namespace detail
    {
        /// Absmax int8 quantization of each row of X [batch, cols]:
        /// \f$q = \mathrm{clamp}(\mathrm{round}(x \cdot 127/\max|x_{blk}|), -127, 127)\f$ (halves away
        /// from zero, computed in float), stored scale \f$\max|x_{blk}|/127\f$. O(batch*cols).
        /// \param X real matrix [batch, cols], non-empty, finite.
        /// \throws tessera::invalid_argument for an empty X, block_size 0, or a non-finite value.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        int8_activations quantize_activations_int8(const xt::xexpression<E>& X, const activation_options& opts = {})
        {
            using T = value_type_t<E>;
            const char* fn = "ternary::quantize_activations_int8";
            const auto& d = X.derived_cast();
            if (d.dimension() == 1)
            {
                xt::xtensor<T, 2> m = xt::xtensor<T, 2>::from_shape({std::size_t(1), d.shape()[0]});
                std::copy(d.begin(), d.end(), m.begin());
                return quantize_activations_int8(m, opts);
            }
            auto ev = tessera::detail::evaluate<T, 2>(X, fn, "X");
            const auto& x = ev.get();
            const std::size_t B = x.shape(0), C = x.shape(1);
            require(B > 0 && C > 0, fn, "X must be non-empty, got shape ", shape_to_string(x.shape()));
            require(opts.per_token || opts.block_size >= 1, fn, "block_size=", opts.block_size, " must be >= 1");
            const std::size_t bs = opts.per_token ? C : std::min(opts.block_size, C);
            const std::size_t nb = (C + bs - 1) / bs;
            int8_activations a;
            a.block_size = bs;
            a.values = xt::xtensor<std::int8_t, 2>::from_shape({B, C});
            a.scales = xt::xtensor<float, 2>::from_shape({B, nb});
            for (std::size_t b = 0; b < B; ++b)
                for (std::size_t g = 0; g < nb; ++g)
                {
                    const std::size_t k0 = g * bs, k1 = std::min(C, k0 + bs);
                    float amax = 0;
                    for (std::size_t k = k0; k < k1; ++k)
                    {
                        const auto v = static_cast<float>(x(b, k));
                        if (!std::isfinite(v))
                            require_finite(x, fn, "X");  // throws, naming the first non-finite entry
                        amax = std::max(amax, std::fabs(v));
                    }
                    a.scales(b, g) = amax / 127.0f;
                    const float inv = amax > 0 ? 127.0f / amax : 0.0f;
                    for (std::size_t k = k0; k < k1; ++k)
                    {
                        const float r = std::round(static_cast<float>(x(b, k)) * inv);
                        a.values(b, k) = static_cast<std::int8_t>(std::clamp(r, -127.0f, 127.0f));
                    }
                }
            return a;
        }
    }  // namespace detail

    using detail::quantize_activations_int8;
}  // namespace tessera::ternary
