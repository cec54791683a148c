#pragma once
/// \file baselines.hpp
/// The formats people ship, as compressed forms the quality report scores beside tessera's
/// methods: IEEE binary16 (fp16), int8 with one absmax scale per row, and int4 with one scale per
/// group of weights (ggml's Q4_0 rule). Each knows `reconstruct()`, `storage_bytes()`,
/// `bits_per_weight()` and a `tessera::status`.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/memory.hpp"
#include "../core/errors.hpp"
#include "../core/half.hpp"
#include "../core/parallel.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"
#include "../ternary/activations.hpp"

namespace tessera::compress
{
    /// Options of quantize_int4_per_group().
    struct int4_options
    {
        std::size_t group_size = 32;  ///< weights per scale along a row (ggml Q4_0: 32); the last group of a row may be shorter
    };

    namespace detail
    {
        /// Largest finite binary16 value.
        inline constexpr double half_max = 65504.0;

        /// Rounds to binary16 and saturates at +-65504 (instead of infinity); counts saturations.
        inline std::uint16_t saturating_half(double x, std::size_t& saturated) noexcept
        {
            if (std::abs(x) > half_max)
            {
                ++saturated;
                x = x > 0 ? half_max : -half_max;
            }
            return tessera::detail::double_to_half(x);
        }

        /// Bytes of a rows x cols form divided into bits per original weight.
        inline double bits_per(std::size_t bytes, std::size_t rows, std::size_t cols) noexcept
        {
            return rows * cols == 0 ? 0.0 : 8.0 * static_cast<double>(bytes) / static_cast<double>(rows * cols);
        }
    }  // namespace detail

    /// A [rows, cols] matrix stored as binary16 (round to nearest even), 2 bytes per weight.
    template <class T>
    struct fp16_matrix
    {
        static_assert(std::is_floating_point_v<T>, "tessera::fp16_matrix<T>: T must be float or double");
        std::size_t rows = 0, cols = 0;    ///< shape of the original
        std::vector<std::uint16_t> bits;   ///< row-major binary16 bit patterns
        tessera::status status;            ///< accuracy_limited when values beyond +-65504 were saturated
        /// The widened matrix [rows, cols].
        xt::xtensor<T, 2> reconstruct() const
        {
            xt::xtensor<T, 2> out = tessera::detail::fresh_tensor<T, 2>({rows, cols});
            tessera::detail::half_to(bits.data(), out.data(), bits.size());
            return out;
        }
        /// 2 * rows * cols.
        std::size_t storage_bytes() const noexcept { return 2 * bits.size(); }
        /// 16.
        double bits_per_weight() const noexcept { return detail::bits_per(storage_bytes(), rows, cols); }
    };

    /// int8 codes with one float32 scale per row, \f$\hat a_{ij} = s_i q_{ij}\f$: the per-token
    /// case of ternary::quantize_activations_int8 (the one int8 absmax rule of the library).
    template <class T>
    struct int8_row_matrix
    {
        static_assert(std::is_floating_point_v<T>, "tessera::int8_row_matrix<T>: T must be float or double");
        std::size_t rows = 0, cols = 0;     ///< shape of the original
        ternary::int8_activations codes;    ///< values [rows, cols] in [-127, 127], scales [rows, 1] = max_j |a_ij| / 127
        tessera::status status;             ///< always ok (float32 scales cover every finite input)
        /// \f$s_i q_{ij}\f$ as [rows, cols], products in double.
        xt::xtensor<T, 2> reconstruct() const
        {
            xt::xtensor<T, 2> out = tessera::detail::fresh_tensor<T, 2>({rows, cols});
            for (std::size_t i = 0; i < rows; ++i)
                for (std::size_t j = 0; j < cols; ++j)
                    out(i, j) = static_cast<T>(static_cast<double>(codes.values(i, j)) *
                                               static_cast<double>(codes.scales(i, 0)));
            return out;
        }
        /// rows * cols (codes) + 4 * rows (scales).
        std::size_t storage_bytes() const noexcept { return codes.values.size() + 4 * codes.scales.size(); }
        /// 8 + 32 / cols.
        double bits_per_weight() const noexcept { return detail::bits_per(storage_bytes(), rows, cols); }
    };

    /// 4-bit codes, two per byte, with one binary16 scale per group of a row (ggml Q4_0):
    /// \f$\hat a = d\,(q - 8)\f$, q in [0, 15]. A group of L weights takes ceil(L/2) bytes in
    /// ggml's order: weight t < ceil(L/2) in the low nibble of byte t, weight t >= ceil(L/2) in the
    /// high nibble of byte t - ceil(L/2); at L = 32 a group's scale and bytes are a Q4_0 block.
    template <class T>
    struct int4_group_matrix
    {
        static_assert(std::is_floating_point_v<T>, "tessera::int4_group_matrix<T>: T must be float or double");
        std::size_t rows = 0, cols = 0;  ///< shape of the original
        std::size_t group_size = 32;     ///< weights per scale along a row
        std::vector<std::uint8_t> packed;  ///< per row bytes_per_row(): each group's ceil(L/2) bytes, ggml's nibble order
        std::vector<std::uint16_t> scales;  ///< per row ceil(cols/group_size) binary16 d
        tessera::status status;  ///< accuracy_limited when a scale beyond +-65504 was saturated
        /// Groups per row.
        std::size_t groups_per_row() const noexcept { return (cols + group_size - 1) / group_size; }
        /// Packed bytes of a row: ceil(L/2) per group of L weights.
        std::size_t bytes_per_row() const noexcept
        {
            const std::size_t full = cols / group_size, last = cols % group_size;
            return full * ((group_size + 1) / 2) + (last + 1) / 2;
        }
        /// Byte index within a row and nibble (0 low, 1 high) of column j.
        std::pair<std::size_t, unsigned> locate(std::size_t j) const noexcept
        {
            const std::size_t b = j / group_size, t = j - b * group_size;
            const std::size_t half = (std::min(group_size, cols - b * group_size) + 1) / 2;
            const std::size_t base = b * ((group_size + 1) / 2);
            return t < half ? std::pair<std::size_t, unsigned>{base + t, 0u}
                            : std::pair<std::size_t, unsigned>{base + t - half, 1u};
        }
        /// Code q in [0, 15] of weight (i, j).
        unsigned code(std::size_t i, std::size_t j) const noexcept
        {
            const auto [byte, high] = locate(j);
            const std::uint8_t b = packed[i * bytes_per_row() + byte];
            return high ? static_cast<unsigned>(b >> 4u) : static_cast<unsigned>(b & 0x0fu);
        }
        /// \f$d_g (q - 8)\f$ as [rows, cols].
        xt::xtensor<T, 2> reconstruct() const
        {
            xt::xtensor<T, 2> out = tessera::detail::fresh_tensor<T, 2>({rows, cols});
            const std::size_t gpr = groups_per_row();
            for (std::size_t i = 0; i < rows; ++i)
                for (std::size_t j = 0; j < cols; ++j)
                    out.data()[i * cols + j] = static_cast<T>(
                        (static_cast<double>(code(i, j)) - 8.0) *
                        static_cast<double>(tessera::detail::half_to_float(scales[i * gpr + j / group_size])));
            return out;
        }
        /// rows * (bytes_per_row() + 2 * groups_per_row()); Q4_0 at cols % 32 == 0: 4.5 bits per weight.
        std::size_t storage_bytes() const noexcept { return packed.size() + 2 * scales.size(); }
        /// 8 * storage_bytes() / (rows * cols).
        double bits_per_weight() const noexcept { return detail::bits_per(storage_bytes(), rows, cols); }
    };

    namespace detail
    {
        /// The frame of every baseline format: A evaluated once (finite; `fn` names it in the
        /// messages), a Result<T> with A's rows and cols, filled by fill(M, result) from A as M.
        template <template <class> class Result, class E, class Fill>
        Result<value_type_t<E>> encode(const xt::xexpression<E>& A, const char* fn, const Fill& fill)
        {
            const auto ev = tessera::detail::evaluate_finite<value_type_t<E>, 2>(A, fn, "A");
            const auto& M = ev.get();
            Result<value_type_t<E>> r;
            r.rows = M.shape(0);
            r.cols = M.shape(1);
            fill(M, r);
            return r;
        }

        /// Rounds A [n, d] to binary16 (nearest, ties to even, as numpy's astype(float16)).
        /// \return fp16_matrix<T>; 2 bytes per weight. Values beyond +-65504 saturate and set
        ///         status accuracy_limited (a plain cast would give infinity).
        /// \throws tessera::invalid_argument if A holds NaN or Inf.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        fp16_matrix<value_type_t<E>> to_fp16(const xt::xexpression<E>& A)
        {
            return encode<fp16_matrix>(A, "compress::to_fp16", [](const auto& M, auto& f) {
                f.bits.resize(M.size());
                std::size_t saturated = 0;
                for (std::size_t i = 0; i < M.size(); ++i)
                    f.bits[i] = saturating_half(static_cast<double>(M.data()[i]), saturated);
                if (saturated > 0)
                    f.status = {status_code::accuracy_limited,
                                concat(saturated, " values beyond the binary16 range were saturated to +-65504")};
            });
        }

        /// Symmetric absmax int8 per row (ternary::quantize_activations_int8 per token):
        /// \f$s_i = \max_j |a_{ij}| / 127\f$, \f$q_{ij} = \mathrm{round}(a_{ij} \cdot 127 / \max_j |a_{ij}|)\f$
        /// (in float, halves away from zero) in [-127, 127].
        /// \param A [n, d], n, d >= 1, finite. \return int8_row_matrix<T>: 8 + 32/d bits per weight.
        /// \throws tessera::invalid_argument if A is empty or holds NaN or Inf.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        int8_row_matrix<value_type_t<E>> quantize_int8_per_row(const xt::xexpression<E>& A)
        {
            return encode<int8_row_matrix>(A, "compress::quantize_int8_per_row", [](const auto& M, auto& q) {
                ternary::activation_options o;
                o.per_token = true;
                q.codes = ternary::quantize_activations_int8(M, o);
            });
        }

        /// int4 per group with ggml's Q4_0 rule (symmetric, the signed value m of largest |a| in
        /// the group maps to -8): \f$d = m / (-8)\f$ stored as binary16,
        /// \f$q = \min(15, \lfloor a / d + 8.5 \rfloor)\f$, \f$\hat a = d_{16} (q - 8)\f$.
        /// \param A [n, d], finite. \param options group_size >= 1 (Q4_0: 32).
        /// \return int4_group_matrix<T>: 4 + 16/group_size bits per weight when group_size divides d
        ///         (Q4_0's 4.5 at 32); a shorter last group per row otherwise.
        /// \throws tessera::invalid_argument if A holds NaN or Inf or group_size == 0.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        int4_group_matrix<value_type_t<E>> quantize_int4_per_group(const xt::xexpression<E>& A,
                                                                   const int4_options& options = {})
        {
            using T = value_type_t<E>;
            const char* fn = "compress::quantize_int4_per_group";
            require(options.group_size >= 1, fn, "options.group_size=", options.group_size, " must be >= 1");
            return encode<int4_group_matrix>(A, fn, [&](const xt::xtensor<T, 2>& M, int4_group_matrix<T>& q) {
                q.group_size = options.group_size;
                const std::size_t d = q.cols, g = q.group_size, gpr = q.groups_per_row(), bpr = q.bytes_per_row();
                q.packed.assign(q.rows * bpr, 0);
                q.scales.resize(q.rows * gpr);
                std::vector<std::size_t> saturated(q.rows, 0);
                tessera::detail::parallel_for(0, static_cast<std::ptrdiff_t>(q.rows), [&](std::ptrdiff_t ii) {
                    const std::size_t i = static_cast<std::size_t>(ii);
                    const T* a = M.data() + i * d;
                    for (std::size_t b = 0; b < gpr; ++b)
                    {
                        const std::size_t j0 = b * g, j1 = std::min(d, j0 + g);
                        double amax = 0.0, m = 0.0;  // first value of largest magnitude, as ggml
                        for (std::size_t j = j0; j < j1; ++j)
                            if (std::abs(static_cast<double>(a[j])) > amax)
                                amax = std::abs(static_cast<double>(a[j])), m = static_cast<double>(a[j]);
                        const double scale = m / -8.0, inv = scale != 0.0 ? 1.0 / scale : 0.0;
                        q.scales[i * gpr + b] = saturating_half(scale, saturated[i]);
                        for (std::size_t j = j0; j < j1; ++j)
                        {
                            const double c = std::min(15.0, std::floor(static_cast<double>(a[j]) * inv + 8.5));
                            const auto code = static_cast<unsigned>(std::max(0.0, c));
                            const auto [byte, high] = q.locate(j);
                            q.packed[i * bpr + byte] |= static_cast<std::uint8_t>(high ? code << 4u : code);
                        }
                    }
                }, 256);
                std::size_t total = 0;
                for (std::size_t s : saturated)
                    total += s;
                if (total > 0)
                    q.status = {status_code::accuracy_limited,
                                concat(total, " group scales beyond the binary16 range were saturated to +-65504")};
            });
        }
    }  // namespace detail

    using detail::quantize_int4_per_group, detail::quantize_int8_per_row, detail::to_fp16;
}  // namespace tessera::compress
