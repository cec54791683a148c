#include <algorithm>
#include <cmath>
#include <numeric>

#include <doctest/doctest.h>
#include <tessera/core/random.hpp>
#include <tessera/stats/knn.hpp>

#include "test_support.hpp"

namespace
{
    // Brute force in double: (score, index) sorted best first; higher score better.
    template <class T>
    std::vector<std::pair<double, std::uint64_t>> brute(const xt::xtensor<T, 2>& Q, std::size_t q, const xt::xtensor<T, 2>& B,
                                                        bool cosine, bool skip_self)
    {
        std::vector<std::pair<double, std::uint64_t>> all;
        const std::size_t d = Q.shape(1);
        for (std::size_t j = 0; j < B.shape(0); ++j)
        {
            if (skip_self && j == q)
                continue;
            double dot = 0, qq = 0, bb = 0, dd = 0;
            for (std::size_t c = 0; c < d; ++c)
            {
                const double a = Q(q, c), b = B(j, c);
                dot += a * b;
                qq += a * a;
                bb += b * b;
                dd += (a - b) * (a - b);
            }
            all.emplace_back(cosine ? dot / std::sqrt(qq * bb) : -std::sqrt(dd), j);
        }
        std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
        return all;
    }
}  // namespace

TEST_CASE_TEMPLATE("knn equals brute force for cosine and L2, across block boundaries", T, float, double)
{
    const auto B = tessera::random_normal<T>(1000, 24, 11);
    const auto Q = tessera::random_normal<T>(70, 24, 12);
    for (auto metric : {tessera::stats::knn_metric::cosine, tessera::stats::knn_metric::l2})
    {
        tessera::stats::knn_options o;
        o.k = 7;
        o.metric = metric;
        o.query_block = 16;  // several query and base blocks, with remainders
        o.base_block = 300;
        const auto r = tessera::stats::knn(Q, B, o);
        REQUIRE(r.indices.shape(0) == 70);
        REQUIRE(r.indices.shape(1) == 7);
        const bool cos = metric == tessera::stats::knn_metric::cosine;
        std::size_t exact = 0;
        for (std::size_t q = 0; q < 70; ++q)
        {
            const auto ref = brute(Q, q, B, cos, false);
            for (std::size_t j = 0; j < 7; ++j)
            {
                const double want = cos ? ref[j].first : -ref[j].first;
                CHECK(r.scores(q, j) == doctest::Approx(want).epsilon(1e-12));  // same scores (double recompute)
                exact += r.indices(q, j) == ref[j].second ? 1u : 0u;
            }
        }
        if constexpr (std::is_same_v<T, double>)
            CHECK(exact == 70 * 7);
        else
            CHECK(exact >= 70 * 7 - 2);  // float GEMM may swap a near-tie
    }
}

TEST_CASE_TEMPLATE("self knn excludes the row itself; recall between a space and itself is 1", T, float, double)
{
    auto X = tessera::random_normal<T>(300, 10, 21);
    tessera::stats::knn_options o;
    o.k = 5;
    o.base_block = 128;
    const auto r = tessera::stats::knn(X, o);
    for (std::size_t i = 0; i < 300; ++i)
    {
        const auto ref = brute(X, i, X, true, true);
        for (std::size_t j = 0; j < 5; ++j)
        {
            CHECK(r.indices(i, j) != i);
            CHECK(r.scores(i, j) == doctest::Approx(ref[j].first).epsilon(1e-12));
        }
    }
    const auto same = tessera::stats::recall_at_k(X, 3.0 * X);  // scaling preserves cosine neighbours
    CHECK(same.mean == 1.0);
    CHECK(same.per_query.size() == 300);
    tessera::stats::recall_options ro;
    ro.queries = 50;
    ro.seed = 4;
    ro.metric = tessera::stats::knn_metric::l2;
    const auto noise = tessera::random_normal<T>(300, 10, 22);
    const auto rnd = tessera::stats::recall_at_k(X, noise, ro);
    CHECK(rnd.per_query.size() == 50);
    CHECK(rnd.mean < 0.2);  // unrelated spaces: expected overlap k / n ~ 0.03
    // retrieval: queries are the base rows slightly perturbed -> P@1 = 1; unrelated -> low
    auto Qp = X;
    Qp += T(1e-3) * tessera::random_normal<T>(300, 10, 23);
    CHECK(tessera::stats::precision_at_k(Qp, X, 1) == 1.0);
    CHECK(tessera::stats::precision_at_k(noise, X, 1) < 0.05);
}

TEST_CASE("knn rejects bad input")
{
    xt::xtensor<double, 2> A = xt::zeros<double>({5, 3}), B = xt::zeros<double>({6, 4});
    tessera::stats::knn_options o;
    o.k = 3;
    CHECK_THROWS_WITH_AS(tessera::stats::knn(A, B, o),
                         "stats::knn: queries and base must have the same number of columns, got [5, 3] and [6, 4]",
                         tessera::invalid_argument);
    o.k = 5;
    CHECK_THROWS_WITH_AS(tessera::stats::knn(A, o),
                         "stats::knn: k=5 must be in [1, 4] (base rows minus the query itself)", tessera::invalid_argument);
    tessera::stats::recall_options ro;
    ro.queries = 9;
    CHECK_THROWS_WITH_AS(tessera::stats::recall_at_k(A, A, ro), "stats::recall_at_k: queries=9 exceeds the 5 rows",
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("knn, recall_at_k and precision_at_k reject NaN / Inf input, naming the entry", T, float, double)
{
    auto X = tessera::random_normal<T>(40, 6, 3);
    auto Y = X;
    X(7, 2) = std::numeric_limits<T>::quiet_NaN();
    Y(39, 5) = std::numeric_limits<T>::infinity();
    const tessera::stats::knn_options o{3};
    CHECK_THROWS_WITH_AS(tessera::stats::knn(X, o), "stats::knn: X must be finite, got nan at [7, 2]", tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::stats::knn(Y, Y, o), "stats::knn: queries must be finite, got inf at [39, 5]",
                         tessera::invalid_argument);
    const auto G = tessera::random_normal<T>(40, 6, 4);
    CHECK_THROWS_WITH_AS(tessera::stats::knn(G, Y, o), "stats::knn: base must be finite, got inf at [39, 5]",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::stats::recall_at_k(G, X), "stats::recall_at_k: B must be finite, got nan at [7, 2]",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::stats::precision_at_k(X, G), "stats::precision_at_k: queries must be finite, got nan at [7, 2]",
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("precision_at_k counts ties in the query's favour and zero rows as misses", T, float, double)
{
    // base rows: e0, e0 (an exact duplicate), e1, 2 e2; the queries are the base rows. Every
    // product is exact, so query 1's partner (row 1) ties with row 0 at the first place.
    xt::xtensor<T, 2> B = {{1, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 2}};
    using tessera::stats::knn_metric;
    using tessera::stats::precision_at_k;
    CHECK(precision_at_k(B, B, 1) == 1.0);  // the knn tie rule (smaller index first) gave 0.75
    CHECK(precision_at_k(B, B, 1, knn_metric::l2) == 1.0);
    xt::xtensor<T, 2> Q = B;
    Q(3, 2) = T(1);  // l2: (0, 0, 1) is nearer its partner 2 e2 (distance 1) than e0 (sqrt 2)
    CHECK(precision_at_k(Q, B, 1, knn_metric::l2) == 1.0);
    // query 2 = (1, 1, 0) has cosine 1/sqrt 2 with rows 0, 1 and its partner 2: a three-way tie
    xt::xtensor<T, 2> Q2 = {{1, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 0, 1}};
    xt::xtensor<T, 2> B2 = {{1, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    CHECK(precision_at_k(Q2, B2, 1) == 1.0);  // the knn tie rule gave 0.5
    // a partner strictly behind one better row: rank 1, a miss at k = 1, a hit at k = 2
    xt::xtensor<T, 2> Q3 = {{1, 0, 0}, {1, 0, 0}};
    xt::xtensor<T, 2> B3 = {{1, 0, 0}, {1, 1, 0}};
    CHECK(precision_at_k(Q3, B3, 1) == 0.5);
    CHECK(precision_at_k(Q3, B3, 2) == 1.0);
    // a zero partner has no direction: a miss, never a hit by index order
    xt::xtensor<T, 2> Z = xt::zeros<T>({4, 3});
    CHECK(precision_at_k(Z, Z, 1) == 0.0);  // the knn tie rule gave 0.25 (row 0 "found" first)
    Z(0, 0) = T(1);
    CHECK(precision_at_k(Z, Z, 1) == 0.25);
}
