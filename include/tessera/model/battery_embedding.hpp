#pragma once
/// \file battery_embedding.hpp
/// The embedding part of the weight-terrain battery: row-norm and sampled-cosine distributions,
/// the covariance participation ratio, pentachoron (k = 4 simplex) volume statistics against
/// the Gaussian baseline, and whether the output head is tied to the embedding.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/detail/column_means.hpp"
#include "../core/errors.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"
#include "../simplex/statistics.hpp"
#include "../stats/norms.hpp"
#include "../stats/pairwise.hpp"
#include "../stats/spectrum.hpp"
#include "battery_ffn.hpp"
#include "detail/battery_spectrum.hpp"

namespace tessera::model
{
    /// Options of measure_embedding().
    struct embedding_options
    {
        std::size_t cosine_pairs = 100000;  ///< sampled row pairs for the cosine distribution
        std::size_t simplices = 20000;      ///< sampled simplices for the volume statistics (and as many Gaussian ones)
        std::size_t simplex_k = 4;          ///< simplex dimension (4: pentachora, 5 vertices)
        std::uint64_t seed = 0;             ///< seed of the pair and simplex samples
    };

    /// How the output head relates to the embedding.
    struct tie_metrics
    {
        bool compared = false;            ///< a head of the embedding's shape was given
        bool tied = false;                ///< same storage, or bitwise equal values
        double matched_row_cosine_mean = 0.0;  ///< mean over rows of cos(E_i, H_i) (1 when tied)
        double matched_row_cosine_min = 0.0;   ///< min over rows of cos(E_i, H_i)
        double relative_difference = 0.0;      ///< ||E - H||_F / ||E||_F (0 when tied)
    };

    /// Embedding terrain of E [vocab, d].
    struct embedding_metrics
    {
        stats::distribution_summary row_norms;  ///< summary of ||E_i||_2
        stats::distribution_summary cosine;     ///< summary of sampled pairwise cosines
        double covariance_participation_ratio = 0.0;  ///< (sum lambda)^2 / sum lambda^2 of cov(E)
        double covariance_participation_fraction = 0.0;  ///< the same divided by d
        double volume_cv = 0.0;                 ///< std / mean of sampled k-simplex volumes
        double gaussian_ratio = 0.0;            ///< mean volume / mean volume of matched-std Gaussian points
        tie_metrics tie;                        ///< the head comparison (compared = false without one)
        tessera::status status;                 ///< from the covariance eigensolver
    };

    namespace detail
    {
        /// tie_metrics of E and H (same shape): tied when they share storage or are bitwise equal;
        /// otherwise row cosines (stats::detail::cosine, double) and ||E - H||_F / ||E||_F.
        template <class T>
        tie_metrics compare_head(const xt::xtensor<T, 2>& E, const xt::xtensor<T, 2>& H)
        {
            tie_metrics t;
            t.compared = true;
            const std::size_t n = E.shape(0), d = E.shape(1);
            t.tied = E.data() == H.data() || std::memcmp(E.data(), H.data(), E.size() * sizeof(T)) == 0;
            if (t.tied)
            {
                t.matched_row_cosine_mean = t.matched_row_cosine_min = 1.0;
                return t;
            }
            std::vector<double> c(n), diff(n), norm(n);
            tessera::parallel_for(0, static_cast<std::ptrdiff_t>(n), [&](std::ptrdiff_t ii) {
                const auto i = static_cast<std::size_t>(ii);
                const T *e = E.data() + i * d, *h = H.data() + i * d;
                c[i] = tessera::stats::detail::cosine(e, h, d);
                diff[i] = tessera::stats::detail::distance2(e, h, d);
                const double en = tessera::stats::detail::norm2(e, d);
                norm[i] = en * en;
            }, 256);
            double cs = 0.0, cmin = c.empty() ? 0.0 : c[0], ds = 0.0, ns = 0.0;
            for (std::size_t i = 0; i < n; ++i)
            {
                cs += c[i];
                cmin = std::min(cmin, c[i]);
                ds += diff[i];
                ns += norm[i];
            }
            t.matched_row_cosine_mean = cs / static_cast<double>(n);
            t.matched_row_cosine_min = cmin;
            t.relative_difference = ns > 0.0 ? std::sqrt(ds / ns) : 0.0;
            return t;
        }

        /// Participation ratio of cov(E) from the uncentred double Gram G = E^T E [d, d] that
        /// run_battery already built for E's singular values: C = (G - n mu mu^T) / (n - 1) with
        /// the column means mu (one read of E), eigenvalues only. Centring after the product
        /// cancels: C's entries carry an absolute error ~ eps tr(G) / (n - 1), so when
        /// tr(G) / ((n - 1) tr(C)) exceeds 1e4 (a mean 100x the spread) the exact centred path
        /// stats::covariance_spectrum(E) is used instead. Sets r's ratio, fraction and status.
        template <class T>
        void covariance_from_gram(const xt::xtensor<T, 2>& E, const xt::xtensor<double, 2>& G, embedding_metrics& r)
        {
            const std::size_t n = E.shape(0), d = E.shape(1);
            const std::vector<double> mu = tessera::detail::column_means(E);
            xt::xtensor<double, 2> C = xt::xtensor<double, 2>::from_shape({d, d});
            const double nd = static_cast<double>(n), inv = 1.0 / (nd - 1.0);
            double trace_g = 0.0, trace_c = 0.0;
            for (std::size_t i = 0; i < d; ++i)
                for (std::size_t j = 0; j < d; ++j)
                    C(i, j) = (G(i, j) - nd * mu[i] * mu[j]) * inv;
            for (std::size_t i = 0; i < d; ++i)
            {
                trace_g += G(i, i) * inv;
                trace_c += C(i, i);
            }
            if (!(trace_c > 0.0) || trace_g > 1e4 * trace_c)
            {
                const auto cov = stats::covariance_spectrum(E);
                r.status = cov.status;
                r.covariance_participation_ratio = cov.participation_ratio;
                r.covariance_participation_fraction = cov.participation_ratio_fraction;
                return;
            }
            const auto lam = eigvalsh_desc(C, r.status);
            xt::xtensor<double, 1> ev = xt::xtensor<double, 1>::from_shape({d});
            std::copy(lam.begin(), lam.end(), ev.begin());
            r.covariance_participation_ratio = stats::detail::participation_ratio(ev);
            r.covariance_participation_fraction = r.covariance_participation_ratio / static_cast<double>(d);
        }

        /// The embedding terrain; `gram` (optional, E^T E in double) replaces the covariance's own
        /// pass over E (covariance_from_gram); `checked` skips the finiteness scans (the caller
        /// measured E with measure_weight, which rejects non-finite values).
        template <class T>
        embedding_metrics embedding_metrics_of(const xt::xtensor<T, 2>& E, const xt::xtensor<T, 2>* head,
                                               const embedding_options& o, const xt::xtensor<double, 2>* gram = nullptr,
                                               bool checked = false)
        {
            const char* fn = "model::measure_embedding";
            require(E.shape(0) >= o.simplex_k + 1 && E.shape(0) >= 2 && E.shape(1) >= o.simplex_k, fn,
                    "E must have at least max(2, simplex_k + 1) rows and simplex_k columns (simplex_k=", o.simplex_k,
                    "), got shape ", shape_to_string(E.shape()));
            require(head == nullptr || head->shape() == E.shape(), fn, "head must have the shape of E ",
                    shape_to_string(E.shape()), ", got ", head ? shape_to_string(head->shape()) : std::string());
            if (!checked)
                require_finite(E, fn, "E");
            if (head)
                require_finite(*head, fn, "head");
            embedding_metrics r;
            r.row_norms = stats::summarize(row_norms_double(E));
            r.cosine = stats::pairwise_cosine(E, o.cosine_pairs, o.seed).summary;
            if (gram && gram->shape(0) == E.shape(1) && E.shape(0) >= E.shape(1))
                covariance_from_gram(E, *gram, r);
            else
            {
                const auto cov = stats::covariance_spectrum(E);
                r.status = cov.status;
                r.covariance_participation_ratio = cov.participation_ratio;
                r.covariance_participation_fraction = cov.participation_ratio_fraction;
            }
            const auto vol = simplex::volume_statistics(E, o.simplex_k, o.simplices, o.seed);
            r.volume_cv = vol.data.cv;
            r.gaussian_ratio = vol.mean_ratio;
            if (head)
                r.tie = compare_head(E, *head);
            return r;
        }

        /// Embedding terrain of E [vocab, d]: row-norm summary, summary of options.cosine_pairs
        /// sampled pairwise cosines (stats::pairwise_cosine), participation ratio of the covariance
        /// spectrum (stats::covariance_spectrum: vocab d^2 flops in double), and volume CV and
        /// Gaussian ratio of options.simplices random k-simplices (simplex::volume_statistics).
        /// Deterministic per options.seed. \throws tessera::invalid_argument for non-finite E or
        /// fewer than max(2, k + 1) rows or k columns.
        template <class E1, requires_t<is_real_expression_v<E1>> = true>
        embedding_metrics measure_embedding(const xt::xexpression<E1>& E, const embedding_options& options = {})
        {
            using T = value_type_t<E1>;
            const auto e = tessera::detail::evaluate<T, 2>(E, "model::measure_embedding", "E");
            return embedding_metrics_of<T>(e.get(), nullptr, options);
        }

        /// measure_embedding plus the tie to an output head H [vocab, d]: tied when H shares E's
        /// storage or equals it bitwise; otherwise the mean and min cosine of matched rows
        /// cos(E_i, H_i) and ||E - H||_F / ||E||_F. \throws as measure_embedding, or when H's
        /// shape differs from E's.
        template <class E1, class E2, requires_t<is_real_expression_v<E1> && is_real_expression_v<E2>> = true>
        embedding_metrics measure_embedding(const xt::xexpression<E1>& E, const xt::xexpression<E2>& head,
                                            const embedding_options& options = {})
        {
            using T = value_type_t<E1>;
            const auto e = tessera::detail::evaluate<T, 2>(E, "model::measure_embedding", "E");  // E first, then head
            return embedding_metrics_of<T>(
                e.get(), &tessera::detail::evaluate<T, 2>(head, "model::measure_embedding", "head").get(), options);
        }
    }  // namespace detail

    using detail::measure_embedding;
}  // namespace tessera::model
