#pragma once
/// \file matmul.hpp
/// Packed ternary matrix-vector and matrix-matrix products: int8 activations with exact int32
/// unit sums and float scales (gemv, gemm, on the 2-bit and base-3 layouts), and a
/// float-activation GEMV that dequantizes on the fly (gemv_float). Kernels: a scalar reference,
/// AVX2 and AVX-512 VNNI, chosen at run time from the CPU (kernel::automatic, core/cpu.hpp) or by
/// the caller; all give bit-identical results (accumulation contract in detail/plan.hpp). OpenMP
/// over rows.

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <xtensor/xbuilder.hpp>
#include <xtensor/xtensor.hpp>

#include "../core/cpu.hpp"
#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "activations.hpp"
#include "detail/kernels_avx2.hpp"
#include "detail/kernels_avx512.hpp"
#include "detail/plan.hpp"
#include "pack.hpp"

namespace tessera::ternary
{
    /// Which implementation runs a packed product.
    enum class kernel
    {
        automatic,  ///< the widest this CPU runs (simd_dispatch_level()): avx512, else avx2, else scalar
        scalar,     ///< portable reference, always available
        avx2,       ///< AVX2 + FMA + F16C (int8 products, 2-bit and base-3)
        avx512      ///< AVX-512 BW/DQ/VL + VNNI
    };

    /// Options of the packed products.
    struct matmul_options
    {
        kernel use = kernel::automatic;  ///< implementation; one this CPU cannot run throws
    };

    namespace detail
    {
        /// The SIMD level kernel k needs (automatic and scalar: scalar).
        inline simd_level kernel_level(kernel k) noexcept
        {
            return k == kernel::avx512 ? simd_level::avx512 : k == kernel::avx2 ? simd_level::avx2 : simd_level::scalar;
        }

        /// True if kernel k runs on this CPU (scalar and automatic always do): the kernels are
        /// compiled on every x86-64 build and dispatched at run time (core/cpu.hpp).
        inline bool kernel_available(kernel k) noexcept { return tessera::cpu_supports(kernel_level(k)); }

        /// The kernel that k selects: automatic takes the widest of simd_dispatch_level() (AVX2 has
        /// no float-activation kernel); an explicit kernel the CPU cannot run throws.
        inline kernel resolve_kernel(kernel k, bool float_act, const char* fn)
        {
            if (k == kernel::automatic)
            {
                const simd_level level = tessera::simd_dispatch_level();
                if (level == simd_level::avx512)
                    return kernel::avx512;
                if (level == simd_level::avx2 && !float_act)
                    return kernel::avx2;
                return kernel::scalar;
            }
            require(kernel_available(k), fn, "kernel ", tessera::to_string(kernel_level(k)),
                    " is not supported by this CPU (it lacks ", tessera::cpu_missing_feature(kernel_level(k)),
                    "); use kernel::automatic");
            require(!(k == kernel::avx2 && float_act), fn, "kernel avx2 supports only int8 products, not gemv_float");
            return k;
        }

        inline void check_packed(const packed_ternary& W, const char* fn)
        {
            const std::size_t want = W.layout == packed_layout::two_bit ? stride_2bit(W.cols) : stride_base3(W.cols);
            require(W.rows > 0 && W.cols > 0, fn, "W must be non-empty, got shape [", W.rows, ", ", W.cols, "]");
            require(W.row_stride == want && W.bytes.size() == W.rows * want, fn, "W buffer of ", W.bytes.size(),
                    " bytes (row_stride=", W.row_stride, ") does not match shape [", W.rows, ", ", W.cols, "]: expected ",
                    W.rows * want, " bytes");
            const std::size_t n_scales = W.scale_type == scale_storage::f16 ? W.scales_f16.size() : W.scales.size();
            require(W.has_scales() && W.group_size > 0 && W.n_groups == (W.cols + W.group_size - 1) / W.group_size &&
                        n_scales == W.rows * W.scale_stride && W.scale_stride == W.n_groups + 16,
                    fn, "W needs scales: pack a ternary_matrix (pack_2bit(quantize_absmean(...)))");
            require(W.group_size % unit_size == 0 || W.group_size >= W.cols, fn, "group_size=", W.group_size,
                    " must be a multiple of 64 or >= cols=", W.cols, " for the packed kernels");
        }

        inline void check_acts(const packed_ternary& W, const int8_activations& X, const char* fn)
        {
            require(X.batch() > 0 && X.cols() == W.cols, fn, "activations must have ", W.cols, " columns, got shape ",
                    shape_to_string(X.values.shape()));
            require(X.block_size > 0 && X.scales.shape(0) == X.batch() &&
                        X.scales.shape(1) == (X.cols() + X.block_size - 1) / X.block_size,
                    fn, "activation scales have shape ", shape_to_string(X.scales.shape()), ", expected [", X.batch(),
                    ", ", (X.cols() + X.block_size - 1) / std::max<std::size_t>(X.block_size, 1), "]");
            require(X.block_size % unit_size == 0 || X.block_size >= X.cols(), fn, "activation block_size=",
                    X.block_size, " must be a multiple of 64 or >= cols=", X.cols(), " (per token)");
        }

        inline plan_order order_for(kernel k, packed_layout layout) noexcept
        {
            if (k == kernel::scalar)
                return plan_order::natural;
            if (layout == packed_layout::base3)
                return plan_order::slots;
            return k == kernel::avx512 ? plan_order::planes64 : plan_order::planes32;
        }

        /// Row i's scales as stored: float (Sc = float) or binary16 (Sc = std::uint16_t); the
        /// kernels widen binary16 with the scale loads themselves.
        template <class Sc>
        inline const Sc* stored_scales(const packed_ternary& W, std::size_t i) noexcept
        {
            if constexpr (std::is_same_v<Sc, float>)
                return W.row_scales(i);
            else
                return W.row_scales_f16(i);
        }

        /// Rows [i0, i0+n) of W against plan p (activation row b): y[i] and optional unit sums;
        /// Sc is the storage type of W's scales.
        template <class Sc>
        inline void rows_product_as(const packed_ternary& W, std::size_t i0, std::size_t n, const int8_activations& X,
                                    std::size_t b, const act_plan& p, const unit_tables& t, kernel k, float* y,
                                    std::int32_t* units)
        {
            const std::size_t nu = t.n_units_pad;
#if defined(TESSERA_TERNARY_HAVE_AVX512)
            if (k == kernel::avx512)
                return avx512::rows(W, stored_scales<Sc>(W, 0), i0, n, p, t, y, units);
#endif
#if defined(TESSERA_TERNARY_HAVE_AVX2)
            if (k == kernel::avx2)
                return avx2::rows(W, stored_scales<Sc>(W, 0), i0, n, p, t, y, units);
#endif
            (void)k;
            // One scratch row per thread, reused across tiles and calls (no allocation per tile).
            thread_local std::vector<std::int32_t> local;
            if (!units)
            {
                if (local.size() < nu)
                    local.resize(nu);
                // unit_sums_scalar writes the first n_units; the padding reads as 0 as before.
                std::fill(local.begin() + static_cast<std::ptrdiff_t>(t.n_units),
                          local.begin() + static_cast<std::ptrdiff_t>(nu), 0);
            }
            for (std::size_t i = i0; i < i0 + n; ++i)
            {
                std::int32_t* u = units ? units + i * nu : local.data();
                unit_sums_scalar(W, i, X, b, t, u);
                y[i] = combine_scalar(u, stored_scales<Sc>(W, i), p, t);
            }
        }

        /// rows_product_as for W's scale storage.
        inline void rows_product(const packed_ternary& W, std::size_t i0, std::size_t n, const int8_activations& X,
                                 std::size_t b, const act_plan& p, const unit_tables& t, kernel k, float* y,
                                 std::int32_t* units)
        {
            if (W.scale_type == scale_storage::f16)
                rows_product_as<std::uint16_t>(W, i0, n, X, b, p, t, k, y, units);
            else
                rows_product_as<float>(W, i0, n, X, b, p, t, k, y, units);
        }

        /// All rows of W against every activation row; out [batch, rows]; units optional.
        inline xt::xtensor<float, 2> product(const packed_ternary& W, const int8_activations& X, kernel k,
                                             std::int32_t* units, const char* fn)
        {
            check_packed(W, fn);
            check_acts(W, X, fn);
            k = resolve_kernel(k, false, fn);
            const unit_tables t = make_tables(W);
            const plan_order order = order_for(k, W.layout);
            const std::size_t padded = W.layout == packed_layout::base3 ? W.row_stride * 5 : t.n_chunks * 256;
            std::vector<act_plan> plans(X.batch());
            for (std::size_t b = 0; b < X.batch(); ++b)
                plans[b] = make_plan(X, b, t, order, padded);
            xt::xtensor<float, 2> out = xt::xtensor<float, 2>::from_shape({X.batch(), W.rows});
            // Dynamic scheduling of 16-row tiles: on a shared machine a descheduled thread does not
            // hold back half of the rows (results do not depend on the schedule).
            constexpr std::size_t tile = 16;
            const auto n_tiles = static_cast<std::ptrdiff_t>((W.rows + tile - 1) / tile);
#if defined(TESSERA_TERNARY_HAVE_AVX512)
            if (k == kernel::avx512 && W.layout == packed_layout::two_bit && X.batch() > 1 && !units)
            {
                // GEMM: per 16-row tile (32 KB of packed weights for K = 8192, cache-resident), blocks
                // of 4 activations; each weight chunk is unpacked once per block, in registers
                tessera::detail::parallel_for_dynamic(0, n_tiles, 1, [&](std::ptrdiff_t ti) {
                    const std::size_t i0 = static_cast<std::size_t>(ti) * tile, n = std::min(tile, W.rows - i0);
                    if (W.scale_type == scale_storage::f16)
                        avx512::gemm_rows(W, stored_scales<std::uint16_t>(W, 0), i0, n, plans.data(), X.batch(), t, out.data());
                    else
                        avx512::gemm_rows(W, stored_scales<float>(W, 0), i0, n, plans.data(), X.batch(), t, out.data());
                });
                return out;
            }
#endif
            // GEMV streams rows: a thread takes 4 tiles (64 rows, 128 KB of 2-bit weights at K = 8192)
            // at a time, so the hardware prefetcher keeps a long stream (measured 5-10 % faster on 2
            // threads than single tiles, and as fast as a static split)
            tessera::detail::parallel_for_dynamic(0, n_tiles, 4, [&](std::ptrdiff_t ti) {
                const std::size_t i0 = static_cast<std::size_t>(ti) * tile, n = std::min(tile, W.rows - i0);
                for (std::size_t b = 0; b < X.batch(); ++b)
                    rows_product(W, i0, n, X, b, plans[b], t, k, out.data() + b * W.rows, units && b == 0 ? units : nullptr);
            });
            return out;
        }

        /// \f$y_i = \sum_u \mathrm{fma}\text{-accumulated } I_{iu} s_{i,g(u)} a_{b(u)}\f$: the product of
        /// packed W [rows, cols] (2-bit or base-3 layout, with scales) and one int8 activation row,
        /// with exact int32 sums over units of 64 weights (|I| <= 8128: int32 cannot overflow for
        /// any cols) and the float combination of detail/plan.hpp. O(rows*cols), OpenMP over rows.
        /// \param x int8 activations with batch 1 and cols = W.cols; blocks a multiple of 64 or per token.
        /// \return y [rows] (float).
        /// \throws tessera::invalid_argument on shape/buffer mismatch, missing scales, group or block
        ///         sizes that are not multiples of 64 (nor whole rows), or an unavailable kernel.
        inline xt::xtensor<float, 1> gemv(const packed_ternary& W, const int8_activations& x, const matmul_options& o = {})
        {
            require(x.batch() == 1, "ternary::gemv", "x must hold one activation row, got batch=", x.batch(), " (use gemm)");
            auto y = product(W, x, o.use, nullptr, "ternary::gemv");
            xt::xtensor<float, 1> out = xt::xtensor<float, 1>::from_shape({W.rows});
            std::copy(y.begin(), y.end(), out.begin());
            return out;
        }
        /// gemv restricted to the base-3 layout (pack_base3): bit-identical to gemv on the 2-bit
        /// packing of the same codes and scales.
        inline xt::xtensor<float, 1> gemv_base3(const packed_ternary& W, const int8_activations& x,
                                                const matmul_options& o = {})
        {
            require(W.layout == packed_layout::base3, "ternary::gemv_base3", "W must have the base-3 layout (pack_base3)");
            return gemv(W, x, o);
        }
        /// \f$Y = X W^T\f$ for int8 activations X [batch, cols]: row b of Y equals gemv(W, X_b) bit
        /// for bit. The AVX-512 kernel loads and unpacks each 256-weight chunk of a row once per block
        /// of four activations and reuses it, in registers, for all four. \return Y [batch, rows]. \throws as gemv.
        inline xt::xtensor<float, 2> gemm(const packed_ternary& W, const int8_activations& X, const matmul_options& o = {})
        {
            return product(W, X, o.use, nullptr, "ternary::gemm");
        }
        /// Exact int32 unit sums \f$I_{iu} = \sum_{k \in u} w_{ik} x_k\f$ [rows, n_units padded to 16]
        /// computed by kernel k for activation row 0 (testing the integer path of each kernel).
        inline xt::xtensor<std::int32_t, 2> unit_sums(const packed_ternary& W, const int8_activations& X, kernel k)
        {
            check_packed(W, "ternary::unit_sums");
            const unit_tables t = make_tables(W);
            xt::xtensor<std::int32_t, 2> u = xt::zeros<std::int32_t>({W.rows, t.n_units_pad});
            require(X.batch() >= 1, "ternary::unit_sums", "X must hold at least one activation row");
            int8_activations x1;
            x1.block_size = X.block_size;
            x1.values = xt::xtensor<std::int8_t, 2>::from_shape({std::size_t(1), X.cols()});
            x1.scales = xt::xtensor<float, 2>::from_shape({std::size_t(1), X.scales.shape(1)});
            std::copy(X.values.data(), X.values.data() + X.cols(), x1.values.data());
            std::copy(X.scales.data(), X.scales.data() + X.scales.shape(1), x1.scales.data());
            product(W, x1, k, u.data(), "ternary::unit_sums");
            return u;
        }

        /// \f$y = \hat W x\f$ for float activations, dequantizing W on the fly (no activation
        /// quantization): per unit of 64 weights, sixteen lanes add or subtract x (exact sign
        /// selection), then are scaled by the group scale with one fma (order in
        /// gemv_float_row_scalar; all kernels bit-identical). 2-bit layout. O(rows*cols).
        /// \param x real vector of length cols (converted to float). \return y [rows].
        /// \throws tessera::invalid_argument on a length or layout mismatch.
        template <class E>
        xt::xtensor<float, 1> gemv_float(const packed_ternary& W, const xt::xexpression<E>& xe, const matmul_options& o = {})
        {
            const char* fn = "ternary::gemv_float";
            const auto& xd = xe.derived_cast();
            check_packed(W, fn);
            require(W.layout == packed_layout::two_bit, fn, "W must have the 2-bit layout (pack_2bit)");
            require(xd.dimension() == 1 && xd.size() == W.cols, fn, "x must be a vector of length ", W.cols,
                    ", got shape ", shape_to_string(xd.shape()));
            const kernel k = resolve_kernel(o.use, true, fn);
            const unit_tables t = make_tables(W);
            std::vector<float> x(W.cols);
            std::size_t idx = 0;
            for (auto v : xd)
                x[idx++] = static_cast<float>(v);
            xt::xtensor<float, 1> y = xt::xtensor<float, 1>::from_shape({W.rows});
#if defined(TESSERA_TERNARY_HAVE_AVX512)
            if (k == kernel::avx512)
            {
                std::vector<float> xf(t.n_chunks * 256 + 16, 0.0f);
                float* xa = xf.data() + (16 - reinterpret_cast<std::uintptr_t>(xf.data()) / 4 % 16) % 16;
                for (std::size_t c = 0; c < W.cols; ++c)
                    xa[(c / 256) * 256 + (c % 4) * 64 + (c % 256) / 4] = x[c];
                constexpr std::size_t tile = 16;
                const auto n_tiles = static_cast<std::ptrdiff_t>((W.rows + tile - 1) / tile);
                tessera::detail::parallel_for_dynamic(0, n_tiles, 1, [&](std::ptrdiff_t ti) {
                    const std::size_t i0 = static_cast<std::size_t>(ti) * tile, n = std::min(tile, W.rows - i0);
                    if (W.scale_type == scale_storage::f16)
                        avx512::rows_float(W, W.row_scales_f16(0), i0, n, xa, t, y.data());
                    else
                        avx512::rows_float(W, W.row_scales(0), i0, n, xa, t, y.data());
                });
                return y;
            }
#endif
            (void)k;
            tessera::detail::parallel_for(0, static_cast<std::ptrdiff_t>(W.rows), [&](std::ptrdiff_t i) {
                const auto r = static_cast<std::size_t>(i);
                y(r) = gemv_float_row_scalar(W, r, x.data(), t);
            });
            return y;
        }
    }  // namespace detail

    using detail::gemm, detail::gemv, detail::gemv_base3, detail::gemv_float, detail::kernel_available;
}  // namespace tessera::ternary
