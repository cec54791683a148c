#include <cmath>
#include <fstream>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <tessera/compress/report.hpp>
#include <tessera/core/random.hpp>

#include "test_support.hpp"

namespace tc = tessera::compress;

namespace
{
    template <class T>
    xt::xtensor<T, 2> from_json(const nlohmann::json& v, std::size_t rows, std::size_t cols)
    {
        xt::xtensor<T, 2> M = xt::xtensor<T, 2>::from_shape({rows, cols});
        for (std::size_t i = 0; i < rows * cols; ++i)
            M.data()[i] = static_cast<T>(v[i].get<double>());
        return M;
    }

    // A compressed form as the library's modules expose it.
    template <class T>
    struct fake_compressed
    {
        xt::xtensor<T, 2> matrix;
        std::size_t bytes;
        xt::xtensor<T, 2> reconstruct() const { return matrix; }
        std::size_t storage_bytes() const { return bytes; }
        std::size_t rows() const { return matrix.shape(0); }
        std::size_t cols() const { return matrix.shape(1); }
    };
}  // namespace

static_assert(tc::is_compressed_form_v<fake_compressed<float>>);
static_assert(!tc::is_compressed_form_v<xt::xtensor<float, 2>>);

TEST_CASE_TEMPLATE("compression_report matches numpy/scipy references", T, float, double)
{
    const auto ref = nlohmann::json::parse(std::ifstream(tessera_test::fixture("compress/report_reference.json")));
    const std::size_t n = ref["rows"], d = ref["cols"];
    const auto A = from_json<T>(ref["A"], n, d);
    const auto B = from_json<T>(ref["B"], n, d);
    tc::report_options o;
    o.knn_k = ref["knn_k"];
    o.knn_queries = 0;  // every row
    o.pairs = 400000;   // sampled with replacement from the 1770 distinct pairs
    const auto r = tc::compression_report(A, B, o);
    const double tol = tessera_test::tol<T>();
    CHECK(r.rows == n);
    CHECK(r.cols == d);
    CHECK(r.relative_frobenius_error == doctest::Approx(ref["relative_frobenius_error"].get<double>()).epsilon(tol));
    CHECK(r.row_cosine.mean == doctest::Approx(ref["row_cosine_mean"].get<double>()).epsilon(tol));
    CHECK(r.row_cosine.min == doctest::Approx(ref["row_cosine_min"].get<double>()).epsilon(tol));
    CHECK(r.row_cosine.percentile(50) == doctest::Approx(ref["row_cosine_median"].get<double>()).epsilon(tol));
    CHECK(r.row_cosine.percentile(5) == doctest::Approx(ref["row_cosine_p05"].get<double>()).epsilon(tol));
    CHECK(r.knn_k == o.knn_k);
    CHECK(r.knn_queries == n);
    CHECK(r.knn_recall == doctest::Approx(ref["knn_recall_all"].get<double>()).epsilon(1e-12));
    CHECK(r.pairs == 400000);
    CHECK(r.relational_spearman == doctest::Approx(ref["pairwise_spearman_all"].get<double>()).epsilon(0.01));
    CHECK(r.original_bytes == n * d * sizeof(T));
    CHECK(r.storage_bytes == n * d * sizeof(T));
    CHECK(r.compression_ratio == 1.0);
}

TEST_CASE_TEMPLATE("compression_report invariants: exact copy, scaled copy, compressed forms", T, float, double)
{
    const auto A = tessera::random_normal<T>(300, 16, 11);
    tc::report_options o;
    o.knn_queries = 50;
    const auto same = tc::compression_report(A, A, o);
    CHECK(same.relative_frobenius_error == 0.0);
    CHECK(same.row_cosine.min == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(same.knn_recall == 1.0);
    CHECK(same.knn_queries == 50);
    CHECK(same.relational_spearman == doctest::Approx(1.0).epsilon(1e-12));
    // A scaled copy keeps every cosine: only the error moves, to |1 - c|.
    xt::xtensor<T, 2> half = A * T(0.5);
    const auto scaled = tc::compression_report(A, half, o);
    CHECK(scaled.relative_frobenius_error == doctest::Approx(0.5).epsilon(tessera_test::tol<T>()));
    CHECK(scaled.row_cosine.mean == doctest::Approx(1.0).epsilon(1e-6));
    CHECK(scaled.knn_recall == 1.0);
    CHECK(scaled.relational_spearman == doctest::Approx(1.0).epsilon(1e-9));
    // Noise lowers every preservation measure; a compressed form reports its own bytes.
    xt::xtensor<T, 2> noisy = A + tessera::random_normal<T>(300, 16, 12, 0, T(0.8));
    const fake_compressed<T> c{noisy, 1200};
    const auto r = tc::compression_report(A, c, o);
    CHECK(r.relative_frobenius_error > 0.5);
    CHECK(r.knn_recall < 1.0);
    CHECK(r.relational_spearman < 0.95);
    CHECK(r.row_cosine.min < r.row_cosine.mean);
    CHECK(r.storage_bytes == 1200);
    CHECK(r.compression_ratio == doctest::Approx(300.0 * 16 * sizeof(T) / 1200));
    // Same seed, same report; explicit storage overload.
    const auto again = tc::compression_report(A, noisy, std::uint64_t(1200), o);
    CHECK(again.knn_recall == r.knn_recall);
    CHECK(again.relational_spearman == r.relational_spearman);
    o.neighbours = false;
    o.pairs = 0;
    const auto cheap = tc::compression_report(A, noisy, o);
    CHECK(std::isnan(cheap.knn_recall));
    CHECK(std::isnan(cheap.relational_spearman));
}

TEST_CASE("compression_report: zero rows and bad arguments")
{
    xt::xtensor<double, 2> A = {{0, 0}, {1, 0}, {0, 1}};
    xt::xtensor<double, 2> B = {{0, 0}, {0, 0}, {0, 2}};
    tc::report_options o;
    o.knn_k = 1;
    o.pairs = 0;
    const auto r = tc::compression_report(A, B, o);
    CHECK(r.row_cosine.min == 0.0);  // row 1 vanished
    CHECK(r.row_cosine.max == 1.0);  // rows 0 (both zero) and 2 (parallel)
    CHECK(r.row_cosine.mean == doctest::Approx(2.0 / 3));
    xt::xtensor<double, 2> wrong = xt::zeros<double>({3, 3});
    CHECK_THROWS_WITH_AS(tc::compression_report(A, wrong, o),
                         "compress::compression_report: the approximation must have the original's shape [3, 2], got [3, 3]",
                         tessera::invalid_argument);
    o.knn_k = 3;
    CHECK_THROWS_WITH_AS(tc::compression_report(A, B, o),
                         "compress::compression_report: options.knn_k=3 must be in [1, rows - 1 = 2]", tessera::invalid_argument);
    o.knn_k = 1;
    tessera::io::vocabulary v;
    v.add("a");
    v.add("b");
    o.words = &v;
    CHECK_THROWS_WITH_AS(tc::compression_report(A, B, o),
                         "compress::compression_report: options.words has 2 words but the matrix has 3 rows",
                         tessera::invalid_argument);
    CHECK_THROWS_AS(tc::compression_report(A, B, std::uint64_t(0)), tessera::invalid_argument);
}

TEST_CASE("compression_report scores word similarity before and after")
{
    const auto ref = nlohmann::json::parse(std::ifstream(tessera_test::fixture("compress/report_reference.json")));
    const auto& ws = ref["wordsim"];
    const std::vector<std::string> words = ws["words"];
    const auto E = from_json<double>(ws["vectors"], words.size(), ws["dim"]);
    tc::word_similarity_set set{"small", {}};
    for (const auto& p : ws["pairs"])
        set.pairs.push_back({p[0], p[1], p[2]});
    tessera::io::vocabulary v;
    for (const auto& w : words)
        v.add(w);
    tc::report_options o;
    o.knn_k = 2;
    o.words = &v;
    o.benchmarks = {set};
    xt::xtensor<double, 2> flipped = -E;  // every cosine between rows unchanged
    const auto r = tc::compression_report(E, flipped, o);
    REQUIRE(r.word_similarity.size() == 1);
    CHECK(r.word_similarity[0].before.spearman == doctest::Approx(ws["spearman"].get<double>()).epsilon(1e-12));
    CHECK(r.word_similarity[0].after.spearman == doctest::Approx(ws["spearman"].get<double>()).epsilon(1e-12));
    CHECK(r.word_similarity[0].after.covered == ws["covered"].get<std::size_t>());
    CHECK(r.row_cosine.max == doctest::Approx(-1.0));
}

TEST_CASE_TEMPLATE("compression_report over seeds: mean and Student-t interval of independent draws", T, float, double)
{
    // A noisy copy: recall and pair Spearman vary with the sample, so draws differ.
    const auto A = tessera::random_normal<T>(600, 24, 5);
    xt::xtensor<T, 2> B = A + T(0.6) * tessera::random_normal<T>(600, 24, 6);
    tc::report_options o;
    o.knn_k = 5;
    o.knn_queries = 60;
    o.pairs = 400;
    o.seed = 11;
    const auto single = tc::compression_report(A, B, o);
    CHECK(single.seeds == 1);
    CHECK(single.knn_recall_interval.count == 1);
    CHECK(single.knn_recall_interval.mean == single.knn_recall);
    CHECK(std::isnan(single.knn_recall_interval.low));  // one draw: no interval
    o.seeds = 4;
    const auto r = tc::compression_report(A, B, o);
    CHECK(r.seeds == 4);
    // Draw s is the single-draw report at seed + 2s (recall) / seed + 2s + 1 (pairs).
    std::vector<double> recall, rho;
    double pearson = 0;
    for (std::size_t s = 0; s < 4; ++s)
    {
        tc::report_options one = o;
        one.seeds = 1;
        one.seed = o.seed + 2 * s;
        const auto q = tc::compression_report(A, B, one);
        recall.push_back(q.knn_recall), rho.push_back(q.relational_spearman), pearson += q.relational_pearson;
    }
    CHECK(recall[0] == single.knn_recall);  // s = 0 is the single-draw report
    CHECK(recall[1] != recall[0]);            // draws are independent samples
    const auto ri = tessera::stats::interval_of_mean(recall), si = tessera::stats::interval_of_mean(rho);
    CHECK(r.knn_recall == doctest::Approx(ri.mean).epsilon(1e-15));
    CHECK(r.knn_recall_interval.count == 4);
    CHECK(r.knn_recall_interval.low == doctest::Approx(ri.low).epsilon(1e-14));
    CHECK(r.knn_recall_interval.high == doctest::Approx(ri.high).epsilon(1e-14));
    CHECK(r.knn_recall_interval.low < r.knn_recall);
    CHECK(r.relational_spearman == doctest::Approx(si.mean).epsilon(1e-15));
    CHECK(r.relational_spearman_interval.high == doctest::Approx(si.high).epsilon(1e-14));
    CHECK(r.relational_pearson == doctest::Approx(pearson / 4).epsilon(1e-14));
    // Unsampled parts do not change.
    CHECK(r.relative_frobenius_error == single.relative_frobenius_error);
    o.seeds = 0;
    CHECK_THROWS_WITH_AS(tc::compression_report(A, B, o), "compress::compression_report: options.seeds must be in [1, 1000], got 0",
                         tessera::invalid_argument);
}
