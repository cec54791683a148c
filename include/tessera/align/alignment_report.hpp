#pragma once
/// \file alignment_report.hpp
/// How well a fitted transform aligns held-out rows: per-row cosine and residual statistics,
/// relational correlation, Procrustes disparity, angular distance, retrieval precision and the
/// correlation of pentachoron (4-simplex) volumes between the mapped and the target rows.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include <xtensor/xmath.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "../stats/correlation.hpp"
#include "../stats/pairwise.hpp"
#include "../simplex/batch.hpp"
#include "procrustes.hpp"
#include "retrieval.hpp"
#include "similarity_transform.hpp"

namespace tessera::align
{
    /// Options of alignment_report().
    struct alignment_report_options
    {
        std::size_t worst_rows = 10;            ///< report this many lowest-cosine rows
        std::vector<std::size_t> ks{1, 5, 10};  ///< retrieval P@k
        bool retrieval = true;                  ///< compute retrieval (2 m^2 q flops)
        std::size_t pairs = 20000;              ///< row pairs for the relational correlation
        std::size_t pentachora = 2000;          ///< 5-row simplices for the volume correlation (0 = skip)
        std::uint64_t seed = 0;                 ///< seeds the pair and simplex samples
    };

    /// The metrics of alignment_report(). Cosines and residuals compare mapped row i with target row i.
    struct alignment_metrics
    {
        std::size_t rows = 0;                       ///< m held-out rows
        tessera::stats::distribution_summary cosine;  ///< per-row cosine(mapped_i, b_i): mean, min, percentiles
        double cosine_median = 0.0;                 ///< 50th percentile of the per-row cosines
        std::vector<std::size_t> worst_rows;        ///< rows with the lowest cosines, worst first
        std::vector<double> worst_cosines;          ///< their cosines
        tessera::stats::distribution_summary residual;  ///< per-row ||mapped_i - b_i||
        double relative_residual = 0.0;             ///< ||mapped - B||_F / ||B - mean(B)||_F
        double relational_pearson = 0.0;            ///< Pearson of cos(mapped_i, mapped_j) vs cos(b_i, b_j)
        double relational_spearman = 0.0;           ///< Spearman of the same pairs
        double disparity = 0.0;                     ///< scipy.spatial.procrustes(B, mapped) disparity (refits a similarity)
        double mapped_disparity = 0.0;              ///< ||std(B) - std(mapped)||_F^2, no refit (std: centred, unit Frobenius)
        double angular_distance = 0.0;              ///< mean_i arccos(cos_i) / pi, in [0, 1]
        retrieval_result retrieval;                 ///< P@k of each mapped row among all target rows
        double volume_pearson = std::numeric_limits<double>::quiet_NaN();   ///< Pearson of pentachoron volumes
        double volume_spearman = std::numeric_limits<double>::quiet_NaN();  ///< Spearman of the same
        std::size_t pentachora = 0;                 ///< simplices used (0 when skipped)
        tessera::status status;                     ///< degenerate when a metric is undefined (see message)
    };

    namespace detail
    {
        inline double row_cosine(const double* a, const double* b, std::size_t d, double& residual)
        {
            double dot = 0.0, na = 0.0, nb = 0.0, r = 0.0;
            for (std::size_t j = 0; j < d; ++j)
            {
                dot += a[j] * b[j];
                na += a[j] * a[j];
                nb += b[j] * b[j];
                r += (a[j] - b[j]) * (a[j] - b[j]);
            }
            residual = std::sqrt(r);
            return na > 0.0 && nb > 0.0 ? std::clamp(dot / std::sqrt(na * nb), -1.0, 1.0) : 0.0;
        }

        /// Centred copy scaled to unit Frobenius norm (scipy.spatial.procrustes' standardisation).
        inline xt::xtensor<double, 2> standardized(const xt::xtensor<double, 2>& X)
        {
            xt::xtensor<double, 2> out = X - xt::view(xt::mean(X, {0}), xt::newaxis(), xt::all());
            double ss = 0.0;
            for (const double v : out)
                ss += v * v;
            if (ss > 0.0)
                out /= std::sqrt(ss);
            return out;
        }

        /// Evaluates `transform` on held-out pairs: maps A_test and compares with B_test.
        ///
        /// With \f$y_i\f$ = transform.apply(a_i): cosine \f$c_i = y_i \cdot b_i / (\|y_i\| \|b_i\|)\f$ (raw
        /// coordinates of B's space), residual \f$\|y_i - b_i\|\f$, angular distance mean \f$\arccos(c_i)/\pi\f$,
        /// relational correlation of \f$\cos(y_i, y_j)\f$ vs \f$\cos(b_i, b_j)\f$ over sampled pairs
        /// (tessera::stats), disparity as scipy.spatial.procrustes, retrieval rank of \f$b_i\f$ among all
        /// rows of B_test for query \f$y_i\f$, and Pearson/Spearman of the volumes of the same sampled
        /// pentachora (5 rows) in mapped and target coordinates.
        /// \param transform fitted map p -> q. \param A_test [m, p], B_test [m, q], finite, m >= 5 for
        ///   volumes (else skipped), m >= 2 otherwise.
        /// \return alignment_metrics (doubles).
        /// \throws tessera::invalid_argument for shape mismatches, m < 2 or non-finite entries.
        /// \note Cost: one GEMM for the map (2 m p q), retrieval 2 m^2 q, pairs 6 q per pair, pentachora
        ///   (tessera::simplex::simplex_volumes, QR of the 4 edges) 32 q flops per simplex, and one
        ///   Procrustes fit on [m, q] for the disparity.
        template <class T, class EA, class EB, requires_t<is_real_expression_v<EA> && is_real_expression_v<EB>> = true>
        alignment_metrics alignment_report(const similarity_transform<T>& transform, const xt::xexpression<EA>& A_test,
                                           const xt::xexpression<EB>& B_test,
                                           const alignment_report_options& opts = {})
        {
            const char* fn = "align::alignment_report";
            auto eb = tessera::detail::evaluate<T, 2>(B_test, fn, "B_test");
            const auto& b = eb.get();
            const xt::xtensor<T, 2> mapped = transform.apply(A_test);
            const std::size_t m = mapped.shape(0), q = mapped.shape(1);
            require(b.shape(0) == m && b.shape(1) == q, fn, "B_test must have shape [", m, ", ", q,
                    "] (rows of A_test, output dimension of the transform), got ", shape_to_string(b.shape()));
            require(m >= 2, fn, "A_test must have at least 2 rows, got ", m);
            require_finite(mapped, fn, "transform.apply(A_test)");
            require_finite(b, fn, "B_test");

            alignment_metrics r;
            r.rows = m;
            const xt::xtensor<double, 2> Y = xt::cast<double>(mapped);
            const xt::xtensor<double, 2> Bd = xt::cast<double>(b);
            xt::xtensor<double, 1> cosines = xt::zeros<double>({m}), residuals = xt::zeros<double>({m});
            tessera::parallel_for(0, static_cast<std::ptrdiff_t>(m), [&](std::ptrdiff_t ii) {
                const auto i = static_cast<std::size_t>(ii);
                cosines(i) = row_cosine(Y.data() + i * q, Bd.data() + i * q, q, residuals(i));
            }, 256);
            r.cosine = tessera::stats::summarize(cosines);
            r.cosine_median = r.cosine.percentile(50);
            r.residual = tessera::stats::summarize(residuals);
            double angle = 0.0, res2 = 0.0;
            for (std::size_t i = 0; i < m; ++i)
            {
                angle += std::acos(cosines(i));
                res2 += residuals(i) * residuals(i);
            }
            r.angular_distance = angle / (static_cast<double>(m) * 3.14159265358979323846);
            const xt::xtensor<double, 2> Bs = standardized(Bd), Ys = standardized(Y);
            double bss = 0.0, md = 0.0;
            const xt::xtensor<double, 2> Bc = Bd - xt::view(xt::mean(Bd, {0}), xt::newaxis(), xt::all());
            for (const double v : Bc)
                bss += v * v;
            for (std::size_t i = 0; i < Bs.size(); ++i)
                md += (Bs.data()[i] - Ys.data()[i]) * (Bs.data()[i] - Ys.data()[i]);
            r.relative_residual = bss > 0.0 ? std::sqrt(res2 / bss) : std::numeric_limits<double>::infinity();
            r.mapped_disparity = md;

            std::vector<std::size_t> order(m);
            std::iota(order.begin(), order.end(), std::size_t(0));
            const std::size_t w = std::min(opts.worst_rows, m);
            std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(w), order.end(),
                              [&](std::size_t x, std::size_t y) { return cosines(x) < cosines(y) || (cosines(x) == cosines(y) && x < y); });
            for (std::size_t i = 0; i < w; ++i)
            {
                r.worst_rows.push_back(order[i]);
                r.worst_cosines.push_back(cosines(order[i]));
            }

            const auto rel = tessera::stats::relational_correlation(Y, Bd, std::max<std::size_t>(opts.pairs, 2), opts.seed);
            r.relational_pearson = rel.pearson;
            r.relational_spearman = rel.spearman;
            if (bss > 0.0 && xt::amax(xt::abs(Ys))() > 0.0)
                r.disparity = procrustes_disparity(Bd, Y);
            else
            {
                r.disparity = std::numeric_limits<double>::quiet_NaN();
                add_status(r.status, status_code::degenerate, "B_test or the mapped rows are constant: no disparity");
            }
            if (opts.retrieval)
            {
                retrieval_options ro;
                ro.ks = opts.ks;
                r.retrieval = retrieval_precision(mapped, b, ro);
                if (!r.retrieval.status.ok())
                    add_status(r.status, r.retrieval.status.code, "retrieval: " + r.retrieval.status.message);
            }
            if (opts.pentachora > 0 && m >= 5 && q >= 4)
            {
                // The same 4-simplices (5 rows each) in mapped and in target coordinates.
                const auto idx = tessera::simplex::sample_simplices(m, 4, opts.pentachora, opts.seed);
                const auto vy = tessera::simplex::simplex_volumes(Y, idx);
                const auto vb = tessera::simplex::simplex_volumes(Bd, idx);
                r.volume_pearson = tessera::stats::pearson(vy.volume, vb.volume);
                r.volume_spearman = tessera::stats::spearman(vy.volume, vb.volume);
                r.pentachora = opts.pentachora;
            }
            else if (opts.pentachora > 0)
                add_status(r.status, status_code::degenerate,
                           concat("pentachoron volumes need >= 5 rows and >= 4 dimensions, got [", m, ", ", q, "]"));
            return r;
        }
    }  // namespace detail

    using detail::alignment_report;
}  // namespace tessera::align
