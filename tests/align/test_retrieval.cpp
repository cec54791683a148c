#include <algorithm>
#include <numeric>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/align/retrieval.hpp>
#include <tessera/stats/knn.hpp>
#include <tessera/core/random.hpp>
#include <xtensor/xview.hpp>

#include "test_support.hpp"

using tessera::align::retrieval_options;
using tessera::align::retrieval_precision;

namespace
{
    // Brute-force reference: sort every query's cosine scores (double) and find the partner.
    template <class T>
    std::vector<std::size_t> brute_ranks(const xt::xtensor<T, 2>& Q, const xt::xtensor<T, 2>& Tg)
    {
        const std::size_t m = Q.shape(0), t = Tg.shape(0), d = Q.shape(1);
        auto cosine = [&](std::size_t i, std::size_t j) {
            double dot = 0, nq = 0, nt = 0;
            for (std::size_t c = 0; c < d; ++c)
            {
                dot += double(Q(i, c)) * double(Tg(j, c));
                nq += double(Q(i, c)) * double(Q(i, c));
                nt += double(Tg(j, c)) * double(Tg(j, c));
            }
            return dot / std::sqrt(nq * nt);
        };
        std::vector<std::size_t> ranks(m);
        for (std::size_t i = 0; i < m; ++i)
        {
            std::vector<std::size_t> order(t);
            std::iota(order.begin(), order.end(), 0);
            std::vector<double> s(t);
            for (std::size_t j = 0; j < t; ++j)
                s[j] = cosine(i, j);
            std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return s[a] > s[b]; });
            ranks[i] = std::size_t(std::find(order.begin(), order.end(), i) - order.begin());
        }
        return ranks;
    }
}  // namespace

TEST_CASE_TEMPLATE("retrieval ranks equal a brute-force sort; P@k and MRR follow from them", T, float, double)
{
    const std::size_t m = 300, t = 420, d = 16;
    const auto Tg = tessera::random_normal<T>(t, d, 5);
    // Queries: noisy copies of their partners (noise 0.9 gives a spread of ranks).
    xt::xtensor<T, 2> Q = xt::view(Tg, xt::range(0, m), xt::all());
    Q += tessera::random_normal<T>(m, d, 6, 0, T(0.9));
    retrieval_options o;
    o.ks = {1, 5, 10, 50};
    o.max_block_values = 37 * t;  // several blocks, the last one partial
    const auto r = retrieval_precision(Q, Tg, o);
    const auto ref = brute_ranks(Q, Tg);
    REQUIRE(r.rank.size() == m);
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < m; ++i)
        mismatches += r.rank[i] != ref[i];
    CHECK(mismatches == 0);
    for (std::size_t j = 0; j < o.ks.size(); ++j)
    {
        const auto hits = std::count_if(ref.begin(), ref.end(), [&](std::size_t x) { return x < o.ks[j]; });
        CHECK(r.precision[j] == doctest::Approx(double(hits) / double(m)));
    }
    CHECK(r.at(1) > 0.2);
    CHECK(r.at(1) < r.at(50));
    double mrr = 0;
    for (auto x : ref)
        mrr += 1.0 / double(x + 1);
    CHECK(r.mean_reciprocal_rank == doctest::Approx(mrr / double(m)));
    CHECK_THROWS_WITH_AS(r.at(3), "align::retrieval_result::at: k=3 was not among the requested ks",
                         tessera::invalid_argument);
}

TEST_CASE("retrieval: identical spaces give P@1 = 1, a random map ~ chance; bad input")
{
    const auto X = tessera::random_normal<double>(200, 8, 1);
    CHECK(retrieval_precision(X, X).at(1) == 1.0);
    const auto Y = tessera::random_normal<double>(200, 8, 2);
    CHECK(retrieval_precision(Y, X).at(10) < 0.15);  // chance is 10/200
    CHECK_THROWS_WITH_AS(retrieval_precision(X, xt::xtensor<double, 2>(xt::zeros<double>({100, 8}))),
                         "align::retrieval_precision: targets must have at least as many rows as queries (200), got 100",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(retrieval_precision(X, xt::xtensor<double, 2>(xt::zeros<double>({200, 7}))),
                         "align::retrieval_precision: queries and targets must have the same number of columns, got [200, 8] "
                         "and [200, 7]",
                         tessera::invalid_argument);
    retrieval_options o;
    o.ks = {0};
    CHECK_THROWS_WITH_AS(retrieval_precision(X, X, o), "align::retrieval_precision: options.ks must be >= 1, got 0",
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("retrieval with explicit partners equals the permuted problem", T, float, double)
{
    const std::size_t t = 150, m = 40, d = 10;
    const auto Tg = tessera::random_normal<T>(t, d, 11);
    std::vector<std::size_t> partners;
    for (std::size_t i = 0; i < m; ++i)
        partners.push_back((7 * i + 3) % t);
    xt::xtensor<T, 2> Q = xt::view(Tg, xt::keep(partners), xt::all());
    Q += tessera::random_normal<T>(m, d, 12, 0, T(0.8));
    const auto r = retrieval_precision(Q, Tg, partners);
    // Reorder the targets so partner i sits at row i, then use the implicit form.
    std::vector<std::size_t> order = partners;
    for (std::size_t j = 0; j < t; ++j)
        if (std::find(partners.begin(), partners.end(), j) == partners.end())
            order.push_back(j);
    xt::xtensor<T, 2> Tp = xt::view(Tg, xt::keep(order), xt::all());
    const auto ref = retrieval_precision(Q, Tp);
    CHECK(r.rank == ref.rank);
    CHECK(r.at(10) == ref.at(10));
    CHECK_THROWS_WITH_AS(retrieval_precision(Q, Tg, std::vector<std::size_t>(m, t)),
                         "align::retrieval_precision: partners[0]=150 is out of range for targets [150, 10]",
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("zero rows have no direction: never retrieved, a zero query or partner is a miss", T, float, double)
{
    const std::size_t m = 30, d = 6;
    const auto X = tessera::random_normal<T>(m, d, 21);
    for (const bool cosine : {true, false})
    {
        CAPTURE(cosine);
        retrieval_options o;
        o.cosine = cosine;
        // An all-zero target set: nothing can be retrieved (it used to score P@1 = MRR = 1).
        const xt::xtensor<T, 2> Z = xt::zeros<T>({m, d});
        const auto all_zero = retrieval_precision(X, Z, o);
        CHECK(all_zero.at(1) == 0.0);
        CHECK(all_zero.at(10) == 0.0);
        CHECK(all_zero.mean_reciprocal_rank == 0.0);
        CHECK(all_zero.zero_rows == m);
        CHECK(all_zero.rank == std::vector<std::size_t>(m, m));
        CHECK(all_zero.status.code == tessera::status_code::degenerate);
        CHECK(all_zero.status.message ==
              "30 of 30 queries are zero rows or have a zero partner: no direction to compare, counted as misses "
              "(rank 30)");
        CHECK(retrieval_precision(Z, X, o).at(1) == 0.0);  // zero queries too

        // One zero target among others (the partner of query 4) and a zero distractor: the zero
        // rows are never ranked above a partner, whatever the partner's score.
        xt::xtensor<T, 2> Tg = xt::zeros<T>({m + 1, d});
        xt::view(Tg, xt::range(0, m), xt::all()) = -X;  // every partner scores -1 (cosine) / -|x|^2 (dot)
        xt::view(Tg, 4, xt::all()) = xt::zeros<T>({d});
        const auto r = retrieval_precision(X, Tg, o);
        CHECK(r.rank[4] == m + 1);
        CHECK(r.zero_rows == 1);
        CHECK(r.status.code == tessera::status_code::degenerate);
        for (std::size_t i = 0; i < m; ++i)
            if (i != 4)
                CHECK(r.rank[i] < m - 1);  // only the other partners can outrank it, never rows 4 or m
        // with the zero rows removed from the targets, every other rank is the same
        std::vector<std::size_t> keep, partners;
        for (std::size_t i = 0; i < m; ++i)
            if (i != 4)
            {
                partners.push_back(keep.size());
                keep.push_back(i);
            }
        const xt::xtensor<T, 2> Xk = xt::view(X, xt::keep(keep), xt::all());
        const xt::xtensor<T, 2> Tk = xt::view(Tg, xt::keep(keep), xt::all());
        const auto ref = retrieval_precision(Xk, Tk, partners, o);
        CHECK(ref.status.ok());
        for (std::size_t k = 0; k < keep.size(); ++k)
            CHECK(r.rank[keep[k]] == ref.rank[k]);
    }
}

TEST_CASE_TEMPLATE("retrieval_precision and stats::precision_at_k share one rank and one tie rule", T, float, double)
{
    // Exact ties: row 1 duplicates row 0; both count as retrieved first (ties in the query's favour).
    xt::xtensor<T, 2> B = {{1, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 2}};
    const auto r = retrieval_precision(B, B);
    CHECK(r.rank == std::vector<std::size_t>{0, 0, 0, 0});
    CHECK(r.at(1) == tessera::stats::precision_at_k(B, B, 1));
    const auto X = tessera::random_normal<T>(120, 6, 31);
    const auto Y = tessera::random_normal<T>(120, 6, 32);
    const auto Qm = xt::xtensor<T, 2>(X + T(0.7) * Y);
    for (std::size_t k : {1, 5, 10})
    {
        retrieval_options o;
        o.ks = {k};
        CHECK(retrieval_precision(Qm, X, o).at(k) == tessera::stats::precision_at_k(Qm, X, k));
    }
}
