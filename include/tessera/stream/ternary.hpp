#pragma once
/// \file ternary.hpp
/// Ternary (absmean, BitNet b1.58) quantization and 2-bit packing of a matrix read in blocks:
/// the packed result (cols / 4 bytes per row plus the scales, 1/16 of float32) is built row
/// block by row block with the kernel of ternary::quantize_pack_2bit, so it equals that routine
/// on the loaded matrix, while the float rows are never all in memory.

#include <cmath>
#include <cstddef>
#include <vector>

#include "../core/errors.hpp"
#include "../ternary/pack.hpp"
#include "../ternary/quantize.hpp"
#include "pass.hpp"
#include "source.hpp"

namespace tessera::stream
{
    /// A packed ternary matrix and what reading its source cost.
    struct packed_ternary_result
    {
        ternary::packed_ternary packed;  ///< as ternary::quantize_pack_2bit
        pass_report report;              ///< passes (per_tensor takes two), bytes, time, memory
    };

    /// ternary::quantize_pack_2bit of the rows of `src`, one block of rows at a time (float
    /// arithmetic, as quantize_pack_2bit on a float matrix). per_group and per_row: one pass,
    /// bit-identical to the in-memory routine; per_tensor: a first pass sums |w| for the tensor
    /// scale (absmean only; equal to the in-memory scale to rounding). The budget covers the
    /// block buffers; the packed result (rows ceil(cols / 256) 64 bytes plus the scales) is held
    /// in addition.
    /// \throws tessera::invalid_argument for an empty source, the options quantize_pack_2bit
    ///         refuses, per_tensor with scale_rule::mse_optimal (it needs every weight at once), a
    ///         non-finite weight (row and column named), f16 storage of a scale outside float16's
    ///         range; io_error when a read fails.
    inline packed_ternary_result quantize_pack_2bit(const row_source& src, const ternary::quantize_options& opts = {},
                                                    ternary::scale_storage storage = ternary::scale_storage::f32,
                                                    const stream_options& stream = {})
    {
        const char* fn = "stream::quantize_pack_2bit";
        const std::size_t R = src.rows(), C = src.cols();
        require(R > 0 && C > 0, fn, "the source must be non-empty, got ", src.description());
        require(opts.group_size >= 1 || opts.granularity != ternary::scale_granularity::per_group, fn, "group_size=",
                opts.group_size, " must be >= 1");
        require(opts.eps >= 0 && std::isfinite(opts.eps), fn, "eps=", opts.eps, " must be finite and >= 0");
        const bool per_tensor = opts.granularity == ternary::scale_granularity::per_tensor;
        require(!per_tensor || opts.scale == ternary::scale_rule::absmean, fn,
                "per_tensor scales need scale_rule::absmean when streaming (mse_optimal needs every weight at once)");
        const std::size_t G = opts.granularity == ternary::scale_granularity::per_group ? std::min(opts.group_size, C) : C;
        packed_ternary_result out;
        const std::size_t rows = detail::block_rows_for(src, stream, 0, detail::bytes_per_block_row<float>(src, stream), fn);
        auto nonfinite = [&](const float* B, std::size_t cnt, std::size_t first) {
            detail::require_finite_rows(B, cnt, C, first, src, fn, "; ternary quantization needs finite weights");
        };
        double tensor_gamma = 0;
        const std::size_t passes = per_tensor ? 2 : 1;
        if (per_tensor)
        {
            double sum = 0;
            detail::for_each_block<float>(src, stream, rows, passes, 0, out.report, [&](const float* B, std::size_t cnt, std::size_t first) {
                double s = 0;
                for (std::size_t i = 0; i < cnt * C; ++i)
                    s += std::abs(static_cast<double>(B[i]));
                if (!std::isfinite(s))
                    nonfinite(B, cnt, first);
                sum += s;
            });
            tensor_gamma = sum / (static_cast<double>(R) * static_cast<double>(C));
        }
        out.packed = ternary::detail::empty_2bit(R, C, G);
        detail::for_each_block<float>(src, stream, rows, passes, 0, out.report, [&](const float* B, std::size_t cnt, std::size_t first) {
            if (!ternary::detail::quantize_pack_rows_2bit(B, cnt, first, opts, tensor_gamma, out.packed))
                nonfinite(B, cnt, first);
        });
        if (storage == ternary::scale_storage::f16)
            ternary::detail::store_scales_f16(out.packed, fn);
        return out;
    }
}  // namespace tessera::stream
