#pragma once
/// \file report.hpp
/// One quality report for any approximation of an embedding matrix: reconstruction error,
/// per-row cosine, neighbour recall, relational (pairwise-cosine) preservation, storage, and
/// word-similarity scores before and after. Compressed forms plug in through `reconstruct()`
/// and `storage_bytes()`; a plain matrix is an uncompressed approximation.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "../core/traits.hpp"
#include "../stats/interval.hpp"
#include "../stats/knn.hpp"
#include "../stats/pairwise.hpp"
#include "word_similarity.hpp"

namespace tessera::compress
{
    /// Options of compression_report(); every member has a documented default.
    struct report_options
    {
        std::size_t knn_k = 10;          ///< neighbours compared per query row (recall@k)
        std::size_t knn_queries = 1000;  ///< query rows sampled for recall@k (0 = every row; capped at rows)
        std::size_t pairs = 20000;       ///< row pairs sampled for the relational Spearman (0 = skip)
        std::uint64_t seed = 0;          ///< seed of the query and pair samples
        /// Independent sample sets for the sampled metrics (recall@k queries, relational pairs):
        /// with seeds = N > 1 both are measured N times (recall on seeds seed + 2s, pairs on
        /// seed + 2s + 1, s = 0..N-1; s = 0 is the single-draw report) and reported as the mean
        /// with a Student-t 95 % interval over the draws. Cost: N times the sampled part.
        std::size_t seeds = 1;
        bool neighbours = true;          ///< compute recall@k (the costly part: 2 q n d flops per space)
        /// Vocabulary of the rows (row i is word i), for word-similarity scores; must outlive
        /// the call. nullptr (default) skips the word-similarity part.
        const io::vocabulary* words = nullptr;
        word_similarity_options word_options;  ///< case folding of benchmark words
        std::vector<word_similarity_set> benchmarks;  ///< benchmarks scored before and after
    };

    /// A word-similarity benchmark scored on the original and on the approximation.
    struct word_similarity_change
    {
        word_similarity_result before;  ///< on the original matrix
        word_similarity_result after;   ///< on the approximation
    };

    /// The report of compression_report(). Correlations are NaN when not computed.
    struct quality_report
    {
        std::size_t rows = 0;                  ///< rows of the matrix
        std::size_t cols = 0;                  ///< columns of the matrix
        double relative_frobenius_error = 0;   ///< \f$\|A - \hat A\|_F / \|A\|_F\f$ (0 when A = 0 = \f$\hat A\f$)
        stats::distribution_summary row_cosine;  ///< per-row \f$\cos(a_i, \hat a_i)\f$: mean, min, max, percentiles
        double knn_recall = std::numeric_limits<double>::quiet_NaN();  ///< mean recall@k of cosine neighbours (mean over seeds)
        stats::mean_interval knn_recall_interval;  ///< recall@k over the options.seeds draws (count 0 when not computed)
        std::size_t knn_k = 0;                 ///< k used
        std::size_t knn_queries = 0;           ///< query rows used
        double relational_spearman = std::numeric_limits<double>::quiet_NaN();  ///< Spearman of pairwise cosines (mean over seeds)
        double relational_pearson = std::numeric_limits<double>::quiet_NaN();   ///< Pearson of pairwise cosines (mean over seeds)
        stats::mean_interval relational_spearman_interval;  ///< Spearman over the options.seeds draws (count 0 when not computed)
        std::size_t seeds = 0;                 ///< draws of the sampled metrics (options.seeds)
        std::size_t pairs = 0;                 ///< row pairs used
        std::uint64_t original_bytes = 0;      ///< rows * cols * sizeof(original element)
        std::uint64_t storage_bytes = 0;       ///< bytes of the compressed form (or of the dense approximation)
        double compression_ratio = 1.0;        ///< original_bytes / storage_bytes
        std::vector<word_similarity_change> word_similarity;  ///< one entry per benchmark
    };

    namespace detail
    {
        /// True when C has `reconstruct()` and `storage_bytes()` (a compressed form).
        template <class C, class = void>
        struct is_compressed_form : std::false_type
        {
        };
        template <class C>
        struct is_compressed_form<C, std::void_t<decltype(std::declval<const C&>().reconstruct()),
                                                 decltype(std::declval<const C&>().storage_bytes())>>
            : std::true_type
        {
        };
        /// is_compressed_form<C>::value (C decayed).
        template <class C>
        inline constexpr bool is_compressed_form_v
            = is_compressed_form<std::decay_t<C>>::value;

        /// Per-row cosine of a_i and b_i in double; 1 when both rows are zero, 0 when one is.
        template <class TA, class TB>
        std::vector<double> row_cosines(const xt::xtensor<TA, 2>& A, const xt::xtensor<TB, 2>& B)
        {
            const std::size_t n = A.shape(0), d = A.shape(1);
            std::vector<double> out(n);
            tessera::detail::parallel_for(0, static_cast<std::ptrdiff_t>(n), [&](std::ptrdiff_t ii) {
                const std::size_t i = static_cast<std::size_t>(ii);
                const TA* a = A.data() + i * d;
                const TB* b = B.data() + i * d;
                double ab = 0.0, aa = 0.0, bb = 0.0;
                for (std::size_t k = 0; k < d; ++k)
                {
                    const double x = static_cast<double>(a[k]), y = static_cast<double>(b[k]);
                    ab += x * y;
                    aa += x * x;
                    bb += y * y;
                }
                out[i] = (aa == 0.0 && bb == 0.0) ? 1.0 : (aa == 0.0 || bb == 0.0) ? 0.0 : ab / std::sqrt(aa * bb);
            }, 1024);
            return out;
        }

        template <class TA, class TB>
        quality_report make_report(const xt::xtensor<TA, 2>& A, const xt::xtensor<TB, 2>& B, std::uint64_t storage,
                                   const report_options& o)
        {
            const char* fn = "compress::compression_report";
            require(A.shape(0) == B.shape(0) && A.shape(1) == B.shape(1), fn,
                    "the approximation must have the original's shape ", shape_to_string(A.shape()), ", got ",
                    shape_to_string(B.shape()));
            require(A.shape(0) >= 2 && A.shape(1) >= 1, fn, "original must have at least 2 rows and 1 column, got ",
                    shape_to_string(A.shape()));
            require(storage > 0, fn, "storage_bytes must be positive, got ", storage);
            require(!o.words || o.words->size() == A.shape(0), fn, "options.words has ",
                    o.words ? o.words->size() : 0, " words but the matrix has ", A.shape(0), " rows");
            require(!o.neighbours || (o.knn_k >= 1 && o.knn_k < A.shape(0)), fn, "options.knn_k=", o.knn_k,
                    " must be in [1, rows - 1 = ", A.shape(0) - 1, "]");
            require(o.seeds >= 1 && o.seeds <= 1000, fn, "options.seeds must be in [1, 1000], got ", o.seeds);
            quality_report r;
            r.rows = A.shape(0);
            r.cols = A.shape(1);
            double diff = 0.0, norm = 0.0;
            for (std::size_t i = 0; i < A.size(); ++i)
            {
                const double a = static_cast<double>(A.data()[i]), e = a - static_cast<double>(B.data()[i]);
                diff += e * e;
                norm += a * a;
            }
            r.relative_frobenius_error = norm > 0.0 ? std::sqrt(diff / norm) : (diff > 0.0 ? 1.0 : 0.0);
            const auto cos = row_cosines(A, B);
            r.row_cosine = stats::summarize(xt::adapt(cos, {cos.size()}));
            r.seeds = o.seeds;
            if (o.neighbours)
            {
                stats::recall_options ro;
                ro.k = o.knn_k;
                ro.queries = o.knn_queries >= r.rows ? 0 : o.knn_queries;
                std::vector<double> draws;
                for (std::size_t s = 0; s < o.seeds; ++s)
                {
                    ro.seed = o.seed + 2 * s;
                    const auto rec = stats::recall_at_k(A, B, ro);
                    draws.push_back(rec.mean);
                    r.knn_queries = rec.per_query.size();
                }
                r.knn_recall_interval = stats::interval_of_mean(draws);
                r.knn_recall = r.knn_recall_interval.mean;
                r.knn_k = o.knn_k;
            }
            if (o.pairs > 0)
            {
                std::vector<double> rho;
                double pearson = 0.0;
                for (std::size_t s = 0; s < o.seeds; ++s)
                {
                    const auto rel = stats::relational_correlation(A, B, std::max<std::size_t>(o.pairs, 2),
                                                                   o.seed + 2 * s + 1);
                    rho.push_back(rel.spearman);
                    pearson += rel.pearson;
                    r.pairs = rel.pairs;
                }
                // A constant space gives an undefined (NaN) correlation: keep it NaN, no interval.
                bool finite = true;
                for (const double v : rho)
                    finite = finite && std::isfinite(v);
                if (finite)
                    r.relational_spearman_interval = stats::interval_of_mean(rho);
                r.relational_spearman = finite ? r.relational_spearman_interval.mean
                                               : std::numeric_limits<double>::quiet_NaN();
                r.relational_pearson = pearson / static_cast<double>(o.seeds);
            }
            r.original_bytes = static_cast<std::uint64_t>(A.size()) * sizeof(TA);
            r.storage_bytes = storage;
            r.compression_ratio = static_cast<double>(r.original_bytes) / static_cast<double>(storage);
            if (o.words)
                for (const auto& set : o.benchmarks)
                    r.word_similarity.push_back(
                        {evaluate_word_similarity(A, *o.words, set, o.word_options),
                         evaluate_word_similarity(B, *o.words, set, o.word_options)});
            return r;
        }

        /// Quality of `approximation` as a stand-in for `original` A [n, d]:
        /// relative Frobenius error, per-row cosine summary, recall@k of cosine neighbours on
        /// sampled query rows (stats::recall_at_k), Pearson/Spearman between the cosines of
        /// sampled row pairs in both spaces (stats::relational_correlation), bytes and ratio,
        /// and word-similarity scores before/after when options.words is set.
        /// \param original A [n, d], n >= 2 (float or double).
        /// \param approximation either a compressed form (anything with `reconstruct()` returning
        ///        an [n, d] matrix and `storage_bytes()`: low_rank, projection codes, tt_matrix,
        ///        ternary_matrix, the baselines fp16_matrix / int8_row_matrix / int4_group_matrix,
        ///        noisy_matrix) or a dense [n, d] matrix, counted as n * d elements of its type.
        /// \return a quality_report. Deterministic in options.seed.
        /// \throws tessera::invalid_argument if shapes differ, n < 2, k is not in [1, n-1], or the
        ///         vocabulary size differs from n.
        /// \note Cost: O(n d) plus 2 * queries * n * d flops per space for recall@k (turn it off
        ///       with options.neighbours = false on very large matrices) plus O(pairs * d).
        template <class E, class C, requires_t<is_real_expression_v<E>> = true>
        quality_report compression_report(const xt::xexpression<E>& original, const C& approximation,
                                          const report_options& options = {})
        {
            const auto ea = tessera::detail::evaluate<value_type_t<E>, 2>(original, "compress::compression_report", "original");
            if constexpr (is_compressed_form_v<C>)
            {
                const auto rec = approximation.reconstruct();
                using R = std::decay_t<decltype(rec)>;
                const auto eb = tessera::detail::evaluate<typename R::value_type, 2>(rec, "compress::compression_report",
                                                                                   "approximation.reconstruct()");
                return make_report(ea.get(), eb.get(), static_cast<std::uint64_t>(approximation.storage_bytes()),
                                   options);
            }
            else
            {
                static_assert(is_real_expression_v<C>,
                              "tessera::compression_report: approximation must be a real matrix expression or a "
                              "compressed form with reconstruct() and storage_bytes()");
                using TB = value_type_t<C>;
                const auto eb = tessera::detail::evaluate<TB, 2>(approximation, "compress::compression_report", "approximation");
                const auto& B = eb.get();
                return make_report(ea.get(), B, static_cast<std::uint64_t>(B.size() * sizeof(TB)), options);
            }
        }

        /// compression_report for a dense approximation whose storage is counted elsewhere
        /// (e.g. a reconstruction from factors kept on disk): `storage_bytes` is used as is.
        /// \throws tessera::invalid_argument as compression_report, or if storage_bytes == 0.
        template <class E1, class E2, requires_t<is_real_expression_v<E1> && is_real_expression_v<E2>> = true>
        quality_report compression_report(const xt::xexpression<E1>& original, const xt::xexpression<E2>& approximation,
                                          std::uint64_t storage_bytes, const report_options& options = {})
        {
            const auto ea = tessera::detail::evaluate<value_type_t<E1>, 2>(original, "compress::compression_report", "original");
            const auto eb =
                tessera::detail::evaluate<value_type_t<E2>, 2>(approximation, "compress::compression_report", "approximation");
            return make_report(ea.get(), eb.get(), storage_bytes, options);
        }
    }  // namespace detail

    using detail::compression_report, detail::is_compressed_form, detail::is_compressed_form_v;
}  // namespace tessera::compress
