#pragma once
/// \file knn.hpp
/// Exact k-nearest neighbours by cosine similarity or Euclidean distance via blocked GEMM
/// (never an n x n matrix), and neighbour recall between two spaces over the same rows.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/blas.hpp"
#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "../core/random.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"
#include "norms.hpp"

namespace tessera::stats
{
    /// Similarity used to rank neighbours.
    enum class knn_metric
    {
        cosine,  ///< largest cosine similarity first
        l2       ///< smallest Euclidean distance first
    };

    /// Options of knn(); defaults documented per member.
    struct knn_options
    {
        std::size_t k = 10;                    ///< neighbours per query (1 <= k <= candidates)
        knn_metric metric = knn_metric::cosine;  ///< ranking metric
        std::size_t query_block = 1024;        ///< queries per GEMM block
        std::size_t base_block = 4096;         ///< base rows per GEMM block (score buffer: query_block x base_block of T)
    };

    /// Neighbours of each query: row q lists its k neighbours best first (ties: smaller index first).
    struct knn_result
    {
        xt::xtensor<std::uint64_t, 2> indices;  ///< [queries, k] row indices into the base matrix
        xt::xtensor<double, 2> scores;          ///< [queries, k] cosine similarity (descending) or Euclidean distance (ascending), recomputed in double
    };

    /// Overlap of neighbour lists between two spaces.
    struct recall_result
    {
        double mean = 0.0;               ///< mean over queries of |N_A(i) intersect N_B(i)| / k
        xt::xtensor<double, 1> per_query;  ///< [queries] the per-query fraction
        xt::xtensor<std::uint64_t, 1> queries;  ///< [queries] row index of each query
    };

    /// Options of recall_at_k().
    struct recall_options
    {
        std::size_t k = 10;                      ///< neighbours compared per row
        knn_metric metric = knn_metric::cosine;  ///< metric in both spaces
        std::size_t queries = 0;                 ///< rows used as queries: 0 = every row, else a seeded sample
        std::uint64_t seed = 0;                  ///< seed of the query sample
    };

    namespace detail
    {
        using candidate = std::pair<double, std::uint64_t>;  // (score: higher is better, base index)
        // "a is better than b": higher score, then smaller index (deterministic ties).
        inline bool better(const candidate& a, const candidate& b) noexcept
        {
            return a.first > b.first || (a.first == b.first && a.second < b.second);
        }

        /// Core search: Q [nq, d] against B [nb, d]; query q excludes base row self[q] when self != nullptr.
        template <class T>
        knn_result knn_search(const xt::xtensor<T, 2>& Q, const xt::xtensor<T, 2>& B, const knn_options& o,
                              const std::uint64_t* self, const char* fn)
        {
            const std::size_t nq = Q.shape(0), nb = B.shape(0), d = Q.shape(1);
            require(Q.shape(1) == B.shape(1), fn, "queries and base must have the same number of columns, got ",
                    shape_to_string(Q.shape()), " and ", shape_to_string(B.shape()));
            const std::size_t candidates = self ? (nb > 0 ? nb - 1 : 0) : nb;
            require(o.k >= 1 && o.k <= candidates, fn, "k=", o.k, " must be in [1, ", candidates, "] (base rows",
                    self ? " minus the query itself" : "", ")");
            require(o.query_block >= 1 && o.base_block >= 1, fn, "query_block and base_block must be positive");
            const bool cos = o.metric == knn_metric::cosine;
            xt::xtensor<T, 2> Qn, Bn;
            if (cos)
            {
                Qn = normalize_rows(Q);
                Bn = normalize_rows(B);
            }
            const xt::xtensor<T, 2>& QQ = cos ? Qn : Q;
            const xt::xtensor<T, 2>& BB = cos ? Bn : B;
            std::vector<double> bnorm2(cos ? 0 : nb);
            for (std::size_t j = 0; j < bnorm2.size(); ++j)
            {
                const double r = norm2(B.data() + j * d, d);
                bnorm2[j] = r * r;
            }
            const std::size_t qb = std::min(o.query_block, nq), bb = std::min(o.base_block, nb);
            std::vector<T> S(qb * bb);
            std::vector<std::vector<candidate>> heaps(qb);
            knn_result out{xt::xtensor<std::uint64_t, 2>::from_shape({nq, o.k}), xt::xtensor<double, 2>::from_shape({nq, o.k})};
            const auto worse_on_top = [](const candidate& a, const candidate& b) { return better(a, b); };
            for (std::size_t q0 = 0; q0 < nq; q0 += qb)
            {
                const std::size_t qn = std::min(qb, nq - q0);
                for (auto& h : heaps)
                {
                    h.clear();
                    h.reserve(o.k);
                }
                for (std::size_t b0 = 0; b0 < nb; b0 += bb)
                {
                    const std::size_t bn = std::min(bb, nb - b0);
                    blas::detail::gemm_raw(blas::op::none, blas::op::transpose, qn, bn, d, T(1), QQ.data() + q0 * d, d,
                                           BB.data() + b0 * d, d, T(0), S.data(), bn);
                    tessera::parallel_for(0, static_cast<std::ptrdiff_t>(qn), [&](std::ptrdiff_t qi) {
                        const auto i = static_cast<std::size_t>(qi);
                        auto& h = heaps[i];
                        const std::uint64_t skip = self ? self[q0 + i] : std::numeric_limits<std::uint64_t>::max();
                        const T* row = S.data() + i * bn;
                        for (std::size_t j = 0; j < bn; ++j)
                        {
                            const std::uint64_t idx = b0 + j;
                            if (idx == skip)
                                continue;
                            const double s = cos ? static_cast<double>(row[j]) : 2.0 * static_cast<double>(row[j]) - bnorm2[idx];
                            const candidate c{s, idx};
                            if (h.size() < o.k)
                            {
                                h.push_back(c);
                                std::push_heap(h.begin(), h.end(), worse_on_top);
                            }
                            else if (better(c, h.front()))
                            {
                                std::pop_heap(h.begin(), h.end(), worse_on_top);
                                h.back() = c;
                                std::push_heap(h.begin(), h.end(), worse_on_top);
                            }
                        }
                    });
                }
                tessera::parallel_for(0, static_cast<std::ptrdiff_t>(qn), [&](std::ptrdiff_t qi) {
                    const auto i = static_cast<std::size_t>(qi);
                    auto& h = heaps[i];
                    const T* qrow = Q.data() + (q0 + i) * d;
                    for (auto& c : h)  // exact score in double; higher is better
                    {
                        const T* brow = B.data() + c.second * d;
                        c.first = cos ? cosine(qrow, brow, d) : -std::sqrt(distance2(qrow, brow, d));
                    }
                    std::sort(h.begin(), h.end(), better);
                    for (std::size_t r = 0; r < o.k; ++r)
                    {
                        out.indices(q0 + i, r) = h[r].second;
                        out.scores(q0 + i, r) = cos ? h[r].first : -h[r].first;
                    }
                });
            }
            return out;
        }

        /// Exact k nearest rows of `base` [nb, d] for every row of `queries` [nq, d], by cosine
        /// similarity or Euclidean distance (knn_options::metric). Scores come from blocked GEMMs
        /// (query_block x base_block at a time, never nq x nb) in T, candidates are kept in per-query
        /// heaps, and the final k scores are recomputed in double. Cost 2 nq nb d flops.
        /// \note For cross-space retrieval, pass the mapped queries and the target space as base.
        ///       Near-ties closer than the rounding of T in the GEMM may be ordered either way.
        /// \throws tessera::invalid_argument if column counts differ, k is not in [1, nb], or an input holds NaN / Inf.
        template <class E1, class E2,
                  requires_t<is_real_expression_v<E1> && std::is_same_v<value_type_t<E1>, value_type_t<E2>>> = true>
        knn_result knn(const xt::xexpression<E1>& queries, const xt::xexpression<E2>& base, const knn_options& options = {})
        {
            using T = value_type_t<E1>;
            const auto eq = tessera::detail::evaluate_finite<T, 2>(queries, "stats::knn", "queries");
            const auto eb = tessera::detail::evaluate_finite<T, 2>(base, "stats::knn", "base");
            return knn_search(eq.get(), eb.get(), options, nullptr, "stats::knn");
        }

        /// Self k-nearest neighbours of every row of X [n, d], excluding the row itself.
        /// \throws tessera::invalid_argument if k is not in [1, n - 1] or X holds NaN / Inf.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        knn_result knn(const xt::xexpression<E>& X, const knn_options& options = {})
        {
            using T = value_type_t<E>;
            const auto ev = tessera::detail::evaluate_finite<T, 2>(X, "stats::knn", "X");
            std::vector<std::uint64_t> self(ev.get().shape(0));
            for (std::size_t i = 0; i < self.size(); ++i)
                self[i] = i;
            return knn_search(ev.get(), ev.get(), options, self.data(), "stats::knn");
        }

        template <class T>
        knn_result self_knn_rows(const xt::xtensor<T, 2>& X, const std::vector<std::uint64_t>& rows,
                                 const knn_options& o, const char* fn)
        {
            const std::size_t d = X.shape(1);
            xt::xtensor<T, 2> Q = xt::xtensor<T, 2>::from_shape({rows.size(), d});
            for (std::size_t i = 0; i < rows.size(); ++i)
                std::copy(X.data() + rows[i] * d, X.data() + (rows[i] + 1) * d, Q.data() + i * d);
            return knn_search(Q, X, o, rows.data(), fn);
        }

        /// Neighbour recall between two spaces over the same rows: for each query row i, the
        /// fraction of its k nearest rows in A (excluding i) that are also among its k nearest in B.
        /// A [n, dA], B [n, dB] (dimensions may differ, e.g. a compressed space). Queries are every
        /// row, or options.queries rows sampled with options.seed. Cost 2 q n (dA + dB) flops.
        /// \throws tessera::invalid_argument if row counts differ, k or queries is out of range, or A or B holds NaN / Inf.
        template <class E1, class E2, requires_t<is_real_expression_v<E1> && is_real_expression_v<E2>> = true>
        recall_result recall_at_k(const xt::xexpression<E1>& A, const xt::xexpression<E2>& B,
                                  const recall_options& options = {})
        {
            const char* fn = "stats::recall_at_k";
            const auto ea = tessera::detail::evaluate_finite<value_type_t<E1>, 2>(A, fn, "A");
            const auto eb = tessera::detail::evaluate_finite<value_type_t<E2>, 2>(B, fn, "B");
            const std::size_t n = ea.get().shape(0);
            require(n == eb.get().shape(0), fn, "A and B must have the same number of rows, got ",
                    shape_to_string(ea.get().shape()), " and ", shape_to_string(eb.get().shape()));
            require(options.queries <= n, fn, "queries=", options.queries, " exceeds the ", n, " rows");
            std::vector<std::uint64_t> rows;
            if (options.queries == 0)
            {
                rows.resize(n);
                for (std::size_t i = 0; i < n; ++i)
                    rows[i] = i;
            }
            else
            {
                rows = tessera::sample_without_replacement(n, options.queries, options.seed, 2);
                std::sort(rows.begin(), rows.end());
            }
            const knn_options ko{options.k, options.metric};
            const auto na = self_knn_rows(ea.get(), rows, ko, fn);
            const auto nb = self_knn_rows(eb.get(), rows, ko, fn);
            recall_result r;
            r.per_query = xt::xtensor<double, 1>::from_shape({rows.size()});
            r.queries = xt::xtensor<std::uint64_t, 1>::from_shape({rows.size()});
            double sum = 0.0;
            for (std::size_t q = 0; q < rows.size(); ++q)
            {
                std::vector<std::uint64_t> a(na.indices.data() + q * options.k, na.indices.data() + (q + 1) * options.k);
                std::vector<std::uint64_t> b(nb.indices.data() + q * options.k, nb.indices.data() + (q + 1) * options.k);
                std::sort(a.begin(), a.end());
                std::sort(b.begin(), b.end());
                std::vector<std::uint64_t> both;
                std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
                r.per_query(q) = static_cast<double>(both.size()) / static_cast<double>(options.k);
                r.queries(q) = rows[q];
                sum += r.per_query(q);
            }
            r.mean = sum / static_cast<double>(rows.size());
            return r;
        }

        /// How partner_ranks scores a target for a query: cosine (rows normalized first), raw dot
        /// product, or -||q - t||^2 / 2 (ranked as q.t - ||t||^2 / 2, the same order as l2 distance).
        enum class partner_score
        {
            cosine,
            dot,
            l2
        };

        /// The one retrieval rank of tessera (stats::precision_at_k, align::retrieval_precision):
        /// rank_i = #{ j : score(q_i, t_j) > score(q_i, t_{p_i}) }, the number of targets strictly
        /// better than query i's partner p_i (p_i = i when partners is null). Ties count in the
        /// query's favour (scipy.stats.rankdata(method="min") - 1): a partner tied with others at
        /// the k-th place is retrieved in P@k. Scores come from blocked GEMMs (at most
        /// max_block_values at once), so the partner's score is the same rounded value it is
        /// compared with. cosine and dot: a zero row has no direction: a zero target outranks
        /// nothing, and a query that is zero or whose partner is zero gets rank t (a miss).
        /// Inputs are finite and shapes checked by the caller. Cost 2 m t d flops + m t compares.
        template <class T>
        std::vector<std::size_t> partner_ranks(const xt::xtensor<T, 2>& queries, const xt::xtensor<T, 2>& targets,
                                               const std::vector<std::size_t>* partners, partner_score how,
                                               std::size_t max_block_values = std::size_t(1) << 24)
        {
            const std::size_t m = queries.shape(0), d = queries.shape(1), t = targets.shape(0);
            xt::xtensor<T, 2> Qn, Tn;
            if (how == partner_score::cosine)
            {
                Qn = normalize_rows(queries);
                Tn = normalize_rows(targets);
            }
            const xt::xtensor<T, 2>& Q = how == partner_score::cosine ? Qn : queries;
            const xt::xtensor<T, 2>& Tg = how == partner_score::cosine ? Tn : targets;
            auto zero_rows = [](const xt::xtensor<T, 2>& X) {  // exact zeros (and norm underflow)
                const std::size_t n = X.shape(0), c = X.shape(1);
                std::vector<char> zero(n, 0);
                for (std::size_t i = 0; i < n; ++i)
                    zero[i] = std::all_of(X.data() + i * c, X.data() + (i + 1) * c, [](T v) { return v == T(0); });
                return zero;
            };
            const bool directions = how != partner_score::l2;
            const std::vector<char> qzero = directions ? zero_rows(Q) : std::vector<char>(m, 0);
            const std::vector<char> tzero = directions ? zero_rows(Tg) : std::vector<char>(t, 0);
            const bool any_zero_target = std::find(tzero.begin(), tzero.end(), 1) != tzero.end();
            std::vector<double> half_norm2(how == partner_score::l2 ? t : 0);
            for (std::size_t j = 0; j < half_norm2.size(); ++j)
                half_norm2[j] = 0.5 * dot(Tg.data() + j * d, Tg.data() + j * d, d);
            std::vector<std::size_t> rank(m, 0);
            const std::size_t block = std::clamp<std::size_t>(max_block_values / std::max<std::size_t>(t, 1), 1, 4096);
            std::vector<T> scores(std::min(block, std::max<std::size_t>(m, 1)) * t);
            for (std::size_t r0 = 0; r0 < m; r0 += block)
            {
                const std::size_t rows = std::min(block, m - r0);
                tessera::blas::detail::gemm_raw(tessera::blas::op::none, tessera::blas::op::transpose, rows, t, d, T(1),
                                                Q.data() + r0 * d, d, Tg.data(), d, T(0), scores.data(), t);
                tessera::parallel_for(0, static_cast<std::ptrdiff_t>(rows), [&](std::ptrdiff_t rr) {
                    const std::size_t i = r0 + static_cast<std::size_t>(rr);
                    const T* s = scores.data() + static_cast<std::size_t>(rr) * t;
                    const std::size_t own_j = partners ? (*partners)[i] : i;
                    std::size_t above = 0;
                    if (qzero[i] || tzero[own_j])
                        above = t;  // no direction to compare: a miss
                    else if (!half_norm2.empty())
                    {
                        const double own = static_cast<double>(s[own_j]) - half_norm2[own_j];
                        for (std::size_t j = 0; j < t; ++j)
                            above += static_cast<double>(s[j]) - half_norm2[j] > own ? 1u : 0u;
                    }
                    else if (any_zero_target)  // zero targets (score 0) never outrank the partner
                        for (std::size_t j = 0; j < t; ++j)
                            above += (s[j] > s[own_j] && !tzero[j]) ? 1u : 0u;
                    else
                        for (std::size_t j = 0; j < t; ++j)
                            above += s[j] > s[own_j] ? 1u : 0u;
                    rank[i] = above;
                }, 8);
            }
            return rank;
        }

        /// Cross-space retrieval precision@k: the fraction of queries i whose own row i of `base`
        /// ranks among the first k rows of base for queries(i) (queries [n, d] already mapped into
        /// base's space, base [n, d], row i of each describing the same item), by partner_ranks:
        /// P@k = #{ i : rank_i < k } / n, ties counted in the query's favour (a partner tied at the
        /// k-th place is a hit); for cosine, a zero query or a zero partner is a miss.
        /// align::retrieval_precision uses the same ranks and adds MRR and a status.
        /// \throws tessera::invalid_argument if shapes differ, k is not in [1, n], or an input holds NaN / Inf.
        template <class E1, class E2, requires_t<is_real_v<value_type_t<E1>> && std::is_same_v<value_type_t<E1>, value_type_t<E2>>> = true>
        double precision_at_k(const xt::xexpression<E1>& queries, const xt::xexpression<E2>& base, std::size_t k = 1,
                              knn_metric metric = knn_metric::cosine)
        {
            using T = value_type_t<E1>;
            const char* fn = "stats::precision_at_k";
            const auto eq = tessera::detail::evaluate_finite<T, 2>(queries, fn, "queries");
            const auto eb = tessera::detail::evaluate_finite<T, 2>(base, fn, "base");
            const std::size_t n = eq.get().shape(0);
            require(n == eb.get().shape(0), fn, "queries and base must have the same number of rows, got ",
                    shape_to_string(eq.get().shape()), " and ", shape_to_string(eb.get().shape()));
            require(eq.get().shape(1) == eb.get().shape(1), fn, "queries and base must have the same number of columns, got ",
                    shape_to_string(eq.get().shape()), " and ", shape_to_string(eb.get().shape()));
            require(k >= 1 && k <= n, fn, "k=", k, " must be in [1, ", n, "] (base rows)");
            const auto rank = partner_ranks(eq.get(), eb.get(), nullptr,
                                            metric == knn_metric::cosine ? partner_score::cosine : partner_score::l2);
            std::size_t hits = 0;
            for (const std::size_t r : rank)
                hits += r < k ? 1u : 0u;
            return static_cast<double>(hits) / static_cast<double>(n);
        }
    }  // namespace detail

    using detail::knn, detail::precision_at_k, detail::recall_at_k;
}  // namespace tessera::stats
