#pragma once
/// \file retrieval.hpp
/// Retrieval precision of an alignment: for each mapped row, the rank of its true partner among
/// all target rows by cosine similarity, computed with blocked GEMMs (no m x t score matrix).
/// A zero row has no direction (its cosine is undefined): it is never retrieved, and a query that
/// is zero or whose partner is zero counts as a miss (rank = t) with a `degenerate` status.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/blas.hpp"
#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "../stats/knn.hpp"
#include "detail/moments.hpp"

namespace tessera::align
{
    /// Options of retrieval_precision().
    struct retrieval_options
    {
        std::vector<std::size_t> ks{1, 5, 10};  ///< report P@k for each k (each >= 1)
        bool cosine = true;  ///< rank by cosine (rows unit-normalised first); false: by raw dot product
        /// Scores held at once: a block of queries x all targets of at most this many values.
        std::size_t max_block_values = std::size_t(1) << 24;
    };

    /// Retrieval quality of queries against targets where query i's partner is target i.
    struct retrieval_result
    {
        std::vector<std::size_t> ks;    ///< as requested
        std::vector<double> precision;  ///< precision[j] = fraction of queries whose partner ranks < ks[j]
        /// [m] 0-based rank of each partner (0 = retrieved first); t (the number of targets) for a
        /// miss: the query or its partner is a zero row.
        std::vector<std::size_t> rank;
        double mean_reciprocal_rank = 0.0;  ///< mean of 1 / (rank + 1) over the queries, 0 for a miss
        std::size_t zero_rows = 0;          ///< queries that are misses because they or their partner are zero
        tessera::status status;             ///< degenerate when zero_rows > 0 (the message counts them)

        /// P@k for one of the requested k. \throws tessera::invalid_argument if k was not requested.
        double at(std::size_t k) const
        {
            for (std::size_t j = 0; j < ks.size(); ++j)
                if (ks[j] == k)
                    return precision[j];
            require(false, "align::retrieval_result::at", "k=", k, " was not among the requested ks");
            return 0.0;
        }
    };

    namespace detail
    {
        template <class T>
        retrieval_result rank_partners(const xt::xtensor<T, 2>& queries, const xt::xtensor<T, 2>& targets,
                                       const std::vector<std::size_t>* partners, const retrieval_options& opts)
        {
            const char* fn = "align::retrieval_precision";
            const std::size_t m = queries.shape(0), d = queries.shape(1), t = targets.shape(0);
            require(targets.shape(1) == d, fn, "queries and targets must have the same number of columns, got ",
                    shape_to_string(queries.shape()), " and ", shape_to_string(targets.shape()));
            if (partners == nullptr)
                require(t >= m, fn, "targets must have at least as many rows as queries (", m, "), got ", t);
            else
            {
                require(partners->size() == m, fn, "partners must have one entry per query (", m, "), got ",
                        partners->size());
                for (std::size_t i = 0; i < m; ++i)
                    require((*partners)[i] < t, fn, "partners[", i, "]=", (*partners)[i],
                            " is out of range for targets ", shape_to_string(targets.shape()));
            }
            for (const std::size_t k : opts.ks)
                require(k >= 1, fn, "options.ks must be >= 1, got 0");
            require_finite(queries, fn, "queries");
            require_finite(targets, fn, "targets");
            retrieval_result r;
            r.ks = opts.ks;
            r.rank = stats::detail::partner_ranks(queries, targets, partners,
                                                  opts.cosine ? stats::detail::partner_score::cosine
                                                              : stats::detail::partner_score::dot,
                                                  opts.max_block_values);
            r.precision.assign(opts.ks.size(), 0.0);
            double mrr = 0.0;
            for (const std::size_t rank : r.rank)
            {
                if (rank == t)
                {
                    ++r.zero_rows;
                    continue;
                }
                mrr += 1.0 / static_cast<double>(rank + 1);
                for (std::size_t j = 0; j < opts.ks.size(); ++j)
                    r.precision[j] += rank < opts.ks[j] ? 1.0 : 0.0;
            }
            for (double& p : r.precision)
                p = m > 0 ? p / static_cast<double>(m) : 0.0;
            r.mean_reciprocal_rank = m > 0 ? mrr / static_cast<double>(m) : 0.0;
            if (r.zero_rows > 0)
                r.status = tessera::status{status_code::degenerate,
                                           concat(r.zero_rows, " of ", m, " queries are zero rows or have a zero "
                                                  "partner: no direction to compare, counted as misses (rank ", t, ")")};
            return r;
        }

        /// Rank of target i among all targets for query i, by cosine (or dot) score.
        ///
        /// rank_i = #{ j : score(q_i, t_j) > score(q_i, t_i), t_j != 0 } (ties resolved in the query's
        /// favour; the ranks are stats::detail::partner_ranks, the same as stats::precision_at_k); P@k = #{ i : rank_i < k } / m. Scores come from GEMMs of blocks of queries against
        /// all targets, so the partner's score is the same rounded value it is compared with.
        /// Zero rows (cosine undefined; same rule for the dot product): a zero target is never
        /// retrieved (it outranks nothing); a query that is zero or whose partner is zero is a miss
        /// (rank_i = t, in no P@k, 0 in the MRR) and the result's status is degenerate.
        /// \param queries [m, d] (e.g. mapped source rows), \param targets [t, d] with t >= m; rows
        ///   m..t-1 of targets are distractors without a query.
        /// \return retrieval_result with P@k, per-query ranks [m], the mean reciprocal rank, the
        ///   number of zero-row misses and a status (degenerate when there are any).
        /// \throws tessera::invalid_argument when shapes disagree, t < m, some k is 0 or an entry is
        ///   not finite.
        /// \note Cost 2 m t d flops plus m t comparisons; memory max_block_values scores.
        template <class EQ, class ET, requires_t<is_real_expression_v<EQ> && is_real_expression_v<ET>> = true>
        retrieval_result retrieval_precision(const xt::xexpression<EQ>& queries, const xt::xexpression<ET>& targets,
                                             const retrieval_options& opts = {})
        {
            using T = std::common_type_t<value_type_t<EQ>, value_type_t<ET>>;
            auto eq = tessera::detail::evaluate<T, 2>(queries, "align::retrieval_precision", "queries");
            auto et = tessera::detail::evaluate<T, 2>(targets, "align::retrieval_precision", "targets");
            return rank_partners(eq.get(), et.get(), nullptr, opts);
        }

        /// As above, with query i's partner at row partners[i] of targets (any t >= 1): e.g. held-out
        /// words retrieved among all shared words.
        /// \throws tessera::invalid_argument also when partners.size() != m or an index is >= t.
        template <class EQ, class ET, requires_t<is_real_expression_v<EQ> && is_real_expression_v<ET>> = true>
        retrieval_result retrieval_precision(const xt::xexpression<EQ>& queries, const xt::xexpression<ET>& targets,
                                             const std::vector<std::size_t>& partners,
                                             const retrieval_options& opts = {})
        {
            using T = std::common_type_t<value_type_t<EQ>, value_type_t<ET>>;
            auto eq = tessera::detail::evaluate<T, 2>(queries, "align::retrieval_precision", "queries");
            auto et = tessera::detail::evaluate<T, 2>(targets, "align::retrieval_precision", "targets");
            return rank_partners(eq.get(), et.get(), &partners, opts);
        }
    }  // namespace detail

    using detail::retrieval_precision;
}  // namespace tessera::align
