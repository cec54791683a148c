#pragma once
/// \file quantize.hpp
/// Absmean ternary quantization (BitNet b1.58): codes in {-1, 0, +1} and one float scale per
/// group of consecutive weights of a row, plus the quality report of a quantized matrix.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/memory.hpp"
#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"

namespace tessera::ternary
{
    /// How the scale of a group is chosen.
    enum class scale_rule
    {
        absmean,     ///< \f$\gamma = \mathrm{mean}|W_g|\f$ (BitNet b1.58)
        mse_optimal  ///< the \f$\gamma\f$ among absmean and the top-n means that minimises \f$\|W_g-\gamma Q\|^2\f$
    };

    /// Which weights share one scale.
    enum class scale_granularity
    {
        per_group,  ///< groups of `group_size` consecutive weights of a row (the last may be shorter)
        per_row,    ///< one scale per row
        per_tensor  ///< one scale for the whole matrix (the original BitNet b1.58 recipe)
    };

    /// Options of quantize_absmean.
    struct quantize_options
    {
        std::size_t group_size = 128;                                  ///< weights per group (per_group only), >= 1
        double eps = 1e-5;                                             ///< codes use W/(gamma+eps); >= 0
        scale_rule scale = scale_rule::absmean;                        ///< how gamma is chosen
        scale_granularity granularity = scale_granularity::per_group;  ///< which weights share gamma
    };

    /// Quality of a ternary approximation (see ternary_matrix::error_report).
    struct error_report_result
    {
        double relative_frobenius = 0;  ///< \f$\|W-\hat W\|_F / \|W\|_F\f$ (0 when W = 0)
        double zero_fraction = 0;       ///< fraction of codes equal to 0
        double scale_min = 0;           ///< smallest group scale
        double scale_max = 0;           ///< largest group scale
        double scale_mean = 0;          ///< mean group scale
        double mean_row_cosine = 0;     ///< mean over rows of cos(W_i, \f$\hat W_i\f$) (rows with a zero side count as 1 if both are zero, else 0)
        double min_row_cosine = 0;      ///< smallest row cosine
    };

    /// A ternary matrix: codes in {-1,0,1} [rows, cols] and float scales [rows, n_groups].
    /// Weight (i, k) is approximated by scales(i, k / group_size) * codes(i, k).
    template <class T>
    class ternary_matrix
    {
        static_assert(is_real_v<T>, "tessera::ternary::ternary_matrix<T>: T must be float or double");

    public:
        using value_type = T;
        ternary_matrix() = default;
        /// Wraps codes and scales; group_size is the number of columns that share a scale.
        ternary_matrix(xt::xtensor<std::int8_t, 2> codes, xt::xtensor<float, 2> scales, std::size_t group_size,
                       scale_granularity granularity)
            : m_codes(std::move(codes)), m_scales(std::move(scales)), m_group_size(group_size), m_granularity(granularity)
        {
            const std::size_t c = m_codes.shape(1);
            require(group_size >= 1, "ternary::ternary_matrix", "group_size=", group_size, " must be >= 1");
            const std::size_t ng = c == 0 ? 0 : (c + group_size - 1) / group_size;
            require(m_scales.shape(0) == m_codes.shape(0) && m_scales.shape(1) == ng, "ternary::ternary_matrix",
                    "scales must have shape [", m_codes.shape(0), ", ", ng, "], got ", shape_to_string(m_scales.shape()));
        }
        std::size_t rows() const noexcept { return m_codes.shape(0); }
        std::size_t cols() const noexcept { return m_codes.shape(1); }
        std::size_t group_size() const noexcept { return m_group_size; }
        std::size_t n_groups() const noexcept { return m_scales.shape(1); }
        scale_granularity granularity() const noexcept { return m_granularity; }
        /// Codes in {-1, 0, 1}, shape [rows, cols].
        const xt::xtensor<std::int8_t, 2>& codes() const noexcept { return m_codes; }
        /// Scales, shape [rows, n_groups] (per_tensor repeats the one scale).
        const xt::xtensor<float, 2>& scales() const noexcept { return m_scales; }

        /// \f$\hat W_{ik} = s_{i, \lfloor k/G \rfloor} q_{ik}\f$, shape [rows, cols]. O(rows*cols).
        xt::xtensor<T, 2> dequantize() const
        {
            xt::xtensor<T, 2> out = tessera::detail::fresh_tensor<T, 2>({rows(), cols()});
            for (std::size_t i = 0; i < rows(); ++i)
                for (std::size_t k = 0; k < cols(); ++k)
                    out(i, k) = static_cast<T>(m_scales(i, k / m_group_size)) * static_cast<T>(m_codes(i, k));
            return out;
        }
        /// Alias of dequantize() (every compressed form in tessera knows reconstruct()).
        xt::xtensor<T, 2> reconstruct() const { return dequantize(); }
        /// Bytes of the 2-bit packed form: rows * ceil(cols/4) code bytes + 4 bytes per distinct scale.
        std::size_t storage_bytes() const noexcept
        {
            const std::size_t scales = m_granularity == scale_granularity::per_tensor ? 1 : m_scales.size();
            return rows() * ((cols() + 3) / 4) + 4 * scales;
        }
        /// rows*cols*sizeof(T) / storage_bytes().
        double compression_ratio() const noexcept
        {
            const std::size_t b = storage_bytes();
            return b == 0 ? 0.0 : static_cast<double>(rows() * cols() * sizeof(T)) / static_cast<double>(b);
        }

        /// Relative Frobenius error, zero fraction, scale statistics and row cosines against the
        /// original `W` (accumulated in double). \throws invalid_argument if W's shape differs.
        template <class E>
        error_report_result error_report(const xt::xexpression<E>& W) const
        {
            auto ev = tessera::detail::evaluate<value_type_t<E>, 2>(W, "ternary::ternary_matrix::error_report", "W");
            const auto& w = ev.get();
            require(w.shape(0) == rows() && w.shape(1) == cols(), "ternary::ternary_matrix::error_report",
                    "W must have shape [", rows(), ", ", cols(), "], got ", shape_to_string(w.shape()));
            error_report_result r;
            double num = 0, den = 0, cos_sum = 0, cos_min = std::numeric_limits<double>::infinity();
            std::size_t zeros = 0;
            for (std::size_t i = 0; i < rows(); ++i)
            {
                double dot = 0, na = 0, nb = 0;
                for (std::size_t k = 0; k < cols(); ++k)
                {
                    const double a = static_cast<double>(w(i, k));
                    const double b = static_cast<double>(m_scales(i, k / m_group_size)) * m_codes(i, k);
                    num += (a - b) * (a - b);
                    den += a * a;
                    dot += a * b;
                    na += a * a;
                    nb += b * b;
                    zeros += m_codes(i, k) == 0 ? 1u : 0u;
                }
                const double c = (na > 0 && nb > 0) ? dot / std::sqrt(na * nb) : (na == 0 && nb == 0 ? 1.0 : 0.0);
                cos_sum += c;
                cos_min = std::min(cos_min, c);
            }
            r.relative_frobenius = den > 0 ? std::sqrt(num / den) : 0.0;
            const double n = static_cast<double>(rows() * cols());
            r.zero_fraction = n > 0 ? static_cast<double>(zeros) / n : 0.0;
            r.mean_row_cosine = rows() > 0 ? cos_sum / static_cast<double>(rows()) : 0.0;
            r.min_row_cosine = rows() > 0 ? cos_min : 0.0;
            if (m_scales.size() > 0)
            {
                double smin = std::numeric_limits<double>::infinity(), smax = -smin, ssum = 0;
                for (float s : m_scales)
                {
                    smin = std::min(smin, static_cast<double>(s));
                    smax = std::max(smax, static_cast<double>(s));
                    ssum += s;
                }
                r.scale_min = smin;
                r.scale_max = smax;
                r.scale_mean = ssum / static_cast<double>(m_scales.size());
            }
            return r;
        }

    private:
        xt::xtensor<std::int8_t, 2> m_codes;
        xt::xtensor<float, 2> m_scales;
        std::size_t m_group_size = 1;
        scale_granularity m_granularity = scale_granularity::per_group;
    };

    namespace detail
    {
        /// Squared error of gamma * clip(round(a/(gamma+eps))) against |w| sorted descending
        /// (prefix sums `pre`, total square `sq`): nonzero iff |w| >= (gamma+eps)/2.
        inline double ternary_group_error(const std::vector<double>& sorted_abs, const std::vector<double>& pre,
                                          double sq, double gamma, double eps)
        {
            const double thr = 0.5 * (gamma + eps);
            // count of entries >= thr in a descending array
            const auto it = std::partition_point(sorted_abs.begin(), sorted_abs.end(), [&](double a) { return a >= thr; });
            const auto m = static_cast<std::size_t>(it - sorted_abs.begin());
            return sq - 2.0 * gamma * pre[m] + static_cast<double>(m) * gamma * gamma;
        }

        /// \f$\sum_k |w_k|\f$ in double with eight partial sums (vectorizable). Not finite if some w is.
        template <class T>
        double abs_sum(const T* w, std::size_t n) noexcept
        {
            double acc[8] = {};
            std::size_t k = 0;
            for (; k + 8 <= n; k += 8)
                for (std::size_t j = 0; j < 8; ++j)
                    acc[j] += std::fabs(static_cast<double>(w[k + j]));
            double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
            for (; k < n; ++k)
                s += std::fabs(static_cast<double>(w[k]));
            return s;
        }

        /// The smallest T not below t (so that |w| >= result <=> |w| >= t exactly, for T-valued w).
        template <class T>
        T threshold_as(double t) noexcept
        {
            T f = static_cast<T>(t);
            if (static_cast<double>(f) < t)
                f = std::nextafter(f, std::numeric_limits<T>::infinity());
            return f;
        }

        /// Codes of one group: clip(round(w/div)) with halves away from zero, i.e. sign(w) where
        /// |w| >= div/2 (compared exactly) and 0 elsewhere; all 0 when div = 0.
        template <class T>
        void group_codes(const T* w, std::size_t n, double div, std::int8_t* out) noexcept
        {
            if (!(div > 0))
            {
                for (std::size_t k = 0; k < n; ++k)
                    out[k] = 0;
                return;
            }
            const T thr = threshold_as<T>(0.5 * div);
            for (std::size_t k = 0; k < n; ++k)
                out[k] = static_cast<std::int8_t>(static_cast<int>(w[k] >= thr) - static_cast<int>(w[k] <= -thr));
        }

        /// The scale of one group of n weights w[0..n) with stride 1.
        template <class T>
        double group_scale(const T* w, std::size_t n, scale_rule rule, double eps, std::vector<double>& buf,
                           std::vector<double>& pre)
        {
            const double absmean = abs_sum(w, n) / static_cast<double>(n);
            if (rule == scale_rule::absmean || absmean == 0)
                return absmean;
            buf.resize(n);
            pre.assign(n + 1, 0.0);
            double sq = 0;
            for (std::size_t k = 0; k < n; ++k)
            {
                buf[k] = std::fabs(static_cast<double>(w[k]));
                sq += buf[k] * buf[k];
            }
            std::sort(buf.begin(), buf.end(), [](double a, double b) { return a > b; });
            for (std::size_t k = 0; k < n; ++k)
                pre[k + 1] = pre[k] + buf[k];
            double best = absmean, best_err = ternary_group_error(buf, pre, sq, absmean, eps);
            for (std::size_t m = 1; m <= n; ++m)
            {
                const double g = pre[m] / static_cast<double>(m);
                const double e = ternary_group_error(buf, pre, sq, g, eps);
                if (e < best_err)
                {
                    best_err = e;
                    best = g;
                }
            }
            return best;
        }

        /// Quantizes row `row` [C] into codes[C] and scales[ng]; returns false if a weight is not finite.
        template <class T>
        bool quantize_row(const T* row, std::size_t C, std::size_t G, const quantize_options& opts, double tensor_gamma,
                          float* scales, std::int8_t* codes, std::vector<double>& buf, std::vector<double>& pre)
        {
            const std::size_t ng = (C + G - 1) / G;
            bool finite = true;
            for (std::size_t g = 0; g < ng; ++g)
            {
                const std::size_t k0 = g * G, n = std::min(G, C - k0);
                double gamma = tensor_gamma;
                if (opts.granularity != scale_granularity::per_tensor)
                {
                    gamma = group_scale(row + k0, n, opts.scale, opts.eps, buf, pre);
                    finite = finite && std::isfinite(gamma);
                }
                scales[g] = static_cast<float>(gamma);
                group_codes(row + k0, n, gamma + opts.eps, codes + k0);
            }
            return finite;
        }

        /// The weights of a quantization, evaluated once, with what the options make of them.
        template <class T>
        struct quantization_input
        {
            tessera::detail::evaluated<T, 2> w;  ///< W [rows, cols]
            std::size_t group = 0;               ///< effective group size (cols unless per_group)
            double tensor_gamma = 0;             ///< the per_tensor scale (0 otherwise)
        };

        /// Evaluates W and checks it and the options of a quantization for `fn`.
        template <class E>
        quantization_input<value_type_t<E>> prepare_quantization(const xt::xexpression<E>& W,
                                                                 const quantize_options& opts, const char* fn)
        {
            using T = value_type_t<E>;
            quantization_input<T> in{tessera::detail::evaluate<T, 2>(W, fn, "W")};
            const auto& w = in.w.get();
            const std::size_t R = w.shape(0), C = w.shape(1);
            require(R > 0 && C > 0, fn, "W must be non-empty, got shape ", shape_to_string(w.shape()));
            require(opts.group_size >= 1 || opts.granularity != scale_granularity::per_group, fn,
                    "group_size=", opts.group_size, " must be >= 1");
            require(opts.eps >= 0 && std::isfinite(opts.eps), fn, "eps=", opts.eps, " must be finite and >= 0");
            if (opts.granularity == scale_granularity::per_tensor)
            {
                std::vector<double> buf, pre;
                in.tensor_gamma = group_scale(w.data(), R * C, opts.scale, opts.eps, buf, pre);
                if (!std::isfinite(in.tensor_gamma))
                    require_finite(w, fn, "W");
            }
            in.group = opts.granularity == scale_granularity::per_group ? std::min(opts.group_size, C) : C;
            return in;
        }

        /// Absmean ternary quantization of W [rows, cols].
        ///
        /// \f$q_{ik} = \mathrm{clip}(\mathrm{round}(W_{ik}/(\gamma_g+\epsilon)), -1, 1)\f$ with
        /// \f$\gamma_g = \frac{1}{|g|}\sum_{k\in g}|W_{ik}|\f$ (double accumulation; halves round away
        /// from zero, decided exactly as \f$|W| \ge (\gamma_g+\epsilon)/2\f$) over groups g of `group_size`
        /// consecutive weights of a row (the last group of a row may be shorter), one row, or the whole
        /// matrix. The stored scale is \f$\gamma_g\f$ rounded to float. With `mse_optimal`,
        /// \f$\gamma_g\f$ is the candidate among absmean and the means of the n largest |W| that
        /// minimises the group's squared error, so its error never exceeds absmean's.
        /// O(rows*cols) (absmean), O(rows*cols*log G) (mse_optimal); OpenMP over rows.
        /// \param W a real matrix [rows, cols], rows, cols >= 1, all entries finite.
        /// \return ternary_matrix<T> with scales [rows, ceil(cols/G)] (G = cols for per_row and per_tensor).
        /// \throws tessera::invalid_argument for an empty W, group_size = 0 (per_group), eps < 0 or not
        ///         finite, or a NaN/inf weight (its position is named: NaN is never propagated).
        template <class E, requires_t<is_real_expression_v<E>> = true>
        ternary_matrix<value_type_t<E>> quantize_absmean(const xt::xexpression<E>& W, const quantize_options& opts = {})
        {
            using T = value_type_t<E>;
            const char* fn = "ternary::quantize_absmean";
            const auto in = prepare_quantization(W, opts, fn);
            const auto& w = in.w.get();
            const std::size_t G = in.group, R = w.shape(0), C = w.shape(1), ng = (C + G - 1) / G;
            xt::xtensor<std::int8_t, 2> codes = xt::xtensor<std::int8_t, 2>::from_shape({R, C});
            xt::xtensor<float, 2> scales = xt::xtensor<float, 2>::from_shape({R, ng});
            std::vector<char> ok(R, 1);
            tessera::detail::parallel_for(0, static_cast<std::ptrdiff_t>(R), [&](std::ptrdiff_t ii) {
                const auto i = static_cast<std::size_t>(ii);
                std::vector<double> buf, pre;
                ok[i] = quantize_row(w.data() + i * C, C, G, opts, in.tensor_gamma, scales.data() + i * ng,
                                     codes.data() + i * C, buf, pre);
            });
            if (std::find(ok.begin(), ok.end(), 0) != ok.end())
                require_finite(w, fn, "W");
            return ternary_matrix<T>(std::move(codes), std::move(scales), G, opts.granularity);
        }
    }  // namespace detail

    using detail::quantize_absmean;
}  // namespace tessera::ternary
