/// \file bind_stats.cpp
/// tessera.stats: k nearest neighbours and recall, sampled pairwise cosine / distance,
/// row norms, correlations and the covariance spectrum (docs/python.md). A second array
/// argument is converted to the first one's dtype.

#include <tessera/stats.hpp>

#include "common.hpp"

namespace tessera_py
{
    namespace
    {
        namespace st = tessera::stats;

        st::knn_metric parse_metric(const std::string& m, const char* fn)
        {
            return choice<st::knn_metric>(m, {{"cosine", st::knn_metric::cosine}, {"l2", st::knn_metric::l2}}, fn, "metric");
        }

        /// f(view of a, view of b), b converted to a's element type.
        template <std::size_t N, class F>
        py::object with2(const py::object& a, const py::object& b, const char* fn, const char* pa, const char* pb, F&& f)
        {
            return dispatch(a, [&](auto tag) {
                using T = decltype(tag);
                const auto x = as_array<T>(a);
                const auto y = as_array<T>(b);
                return to_object(f(view<T, N>(x, fn, pa), view<T, N>(y, fn, pb)));
            });
        }
    }  // namespace

    void bind_stats(py::module_& m)
    {
        m.doc() = "Neighbours, pairwise similarity samples, norms, correlations and the covariance spectrum.";

        py::class_<st::knn_result> kr(m, "KNNResult", "k nearest neighbours: indices [q, k] (uint64) and scores [q, k].\n"
                                                      "Unpacks as indices, scores = knn(...).");
        def_array(kr, "indices", &st::knn_result::indices, "[q, k] row indices into the base, best first");
        def_array(kr, "scores", &st::knn_result::scores,
                  "[q, k] cosine similarity (descending) or Euclidean distance (ascending), in double");
        kr.def("__iter__", [](py::object self) {
              return py::iter(py::make_tuple(self.attr("indices"), self.attr("scores")));
          }).def("__repr__", [](const st::knn_result& r) {
            return "KNNResult(queries=" + std::to_string(r.indices.shape(0)) + ", k=" + std::to_string(r.indices.shape(1)) + ")";
        });
        m.def(
            "knn",
            [](const py::object& queries, const py::object& base, std::size_t k, const std::string& metric) {
                st::knn_options o;
                o.k = k;
                o.metric = parse_metric(metric, "stats::knn");
                if (base.is_none())
                    return with_view<2>(queries, "stats::knn", "X", [&](const auto& x) {
                        return without_gil([&] { return st::knn(x, o); });
                    });
                return with2<2>(queries, base, "stats::knn", "queries", "base", [&](const auto& q, const auto& b) {
                    return without_gil([&] { return st::knn(q, b, o); });
                });
            },
            py::arg("queries"), py::arg("base") = py::none(), py::arg("k") = 10, py::arg("metric") = "cosine",
            "Exact k nearest neighbours of each query row among the base rows (blocked GEMM). base=None: self\n"
            "search over queries excluding each row itself. metric 'cosine' or 'l2'. Releases the GIL.");

        py::class_<st::recall_result> rr(m, "RecallResult", "Neighbourhood overlap between two spaces.");
        rr.def_readonly("mean", &st::recall_result::mean, "mean over queries of |N_A(i) & N_B(i)| / k");
        def_array(rr, "per_query", &st::recall_result::per_query, "[queries] per-query fraction");
        def_array(rr, "queries", &st::recall_result::queries, "[queries] row index of each query");
        rr.def("__repr__", [](const st::recall_result& r) {
            return "RecallResult(mean=" + py::repr(py::float_(r.mean)).cast<std::string>() + ")";
        });
        m.def(
            "recall_at_k",
            [](const py::object& A, const py::object& B, std::size_t k, const std::string& metric, std::size_t queries,
               std::uint64_t seed) {
                st::recall_options o;
                o.k = k;
                o.metric = parse_metric(metric, "stats::recall_at_k");
                o.queries = queries;
                o.seed = seed;
                return with2<2>(A, B, "stats::recall_at_k", "A", "B", [&](const auto& a, const auto& b) {
                    return without_gil([&] { return st::recall_at_k(a, b, o); });
                });
            },
            py::arg("A"), py::arg("B"), py::arg("k") = 10, py::arg("metric") = "cosine", py::arg("queries") = 0,
            py::arg("seed") = 0,
            "Overlap of row i's k neighbours in A [n, da] and in B [n, db] (same rows, two spaces);\n"
            "queries=0 uses every row, else a seeded sample. Releases the GIL.");
        m.def(
            "precision_at_k",
            [](const py::object& queries, const py::object& base, std::size_t k, const std::string& metric) {
                const auto met = parse_metric(metric, "stats::precision_at_k");
                return with2<2>(queries, base, "stats::precision_at_k", "queries", "base", [&](const auto& q, const auto& b) {
                    return without_gil([&] { return st::precision_at_k(q, b, k, met); });
                });
            },
            py::arg("queries"), py::arg("base"), py::arg("k") = 1, py::arg("metric") = "cosine",
            "Fraction of query rows i whose own row i of base is among their k nearest base rows.");

        py::class_<st::mean_interval>(m, "MeanInterval",
                                      "A sample mean with its spread and a two-sided Student-t confidence interval.")
            .def_readonly("count", &st::mean_interval::count, "n")
            .def_readonly("mean", &st::mean_interval::mean, "sample mean (NaN when n = 0)")
            .def_readonly("std", &st::mean_interval::stddev, "sample standard deviation, ddof=1 (NaN when n < 2)")
            .def_readonly("sem", &st::mean_interval::sem, "standard error std / sqrt(n)")
            .def_readonly("low", &st::mean_interval::low, "lower bound (NaN when n < 2)")
            .def_readonly("high", &st::mean_interval::high, "upper bound (NaN when n < 2)")
            .def_readonly("min", &st::mean_interval::min, "")
            .def_readonly("max", &st::mean_interval::max, "")
            .def_readonly("confidence", &st::mean_interval::confidence, "coverage of [low, high]")
            .def("__repr__", [](const st::mean_interval& v) {
                return "MeanInterval(count=" + std::to_string(v.count) + ", mean=" +
                       py::repr(py::float_(v.mean)).cast<std::string>() + ", low=" +
                       py::repr(py::float_(v.low)).cast<std::string>() + ", high=" +
                       py::repr(py::float_(v.high)).cast<std::string>() + ")";
            });
        m.def("interval_of_mean", [](const std::vector<double>& x, double confidence) {
                  return st::interval_of_mean(x, confidence);
              },
              py::arg("x"), py::arg("confidence") = 0.95,
              "Mean, std (ddof=1), min, max and the Student-t interval mean +- t((1+c)/2, n-1) std/sqrt(n) of x,\n"
              "as scipy.stats.t.interval(c, n-1, loc=mean, scale=sem). Values must be finite.");
        m.def("student_t_quantile", &st::student_t_quantile, py::arg("p"), py::arg("df"),
              "scipy.stats.t.ppf(p, df), to ~1e-15 relative for df <= 1000 (scipy's own is off by up to ~3e-11).");
        m.def("student_t_sf", &st::student_t_sf, py::arg("t"), py::arg("df"), "scipy.stats.t.sf(t, df).");

        py::class_<st::distribution_summary> ds(m, "DistributionSummary", "count, mean, std, min, max and percentiles 1..99.");
        ds.def_readonly("count", &st::distribution_summary::count, "values")
            .def_readonly("mean", &st::distribution_summary::mean, "")
            .def_readonly("std", &st::distribution_summary::stddev, "population (ddof=0)")
            .def_readonly("min", &st::distribution_summary::min, "")
            .def_readonly("max", &st::distribution_summary::max, "")
            .def("percentile", &st::distribution_summary::percentile, py::arg("p"), "p-th percentile, p in 1..99 (numpy 'linear')")
            .def("median", &st::distribution_summary::median, "the 50th percentile")
            .def("__repr__", [](const st::distribution_summary& s) {
                return "DistributionSummary(count=" + std::to_string(s.count) + ", mean=" +
                       py::repr(py::float_(s.mean)).cast<std::string>() + ", std=" +
                       py::repr(py::float_(s.stddev)).cast<std::string>() + ")";
            });
        def_array(ds, "percentiles", &st::distribution_summary::percentiles, "[99] entry p-1 is the p-th percentile");
        py::class_<st::pairwise_sample> ps(m, "PairwiseSample", "Sampled pairs with their values and summary.");
        def_array(ps, "pairs", &st::pairwise_sample::pairs, "[count, 2] uint64 row indices, i != j");
        def_array(ps, "values", &st::pairwise_sample::values, "[count] cosine similarity or Euclidean distance");
        ps.def_readonly("summary", &st::pairwise_sample::summary, "DistributionSummary of values")
            .def("__repr__", [](const st::pairwise_sample& s) { return "PairwiseSample(count=" + std::to_string(s.values.size()) + ")"; });
        m.def(
            "pairwise_cosine",
            [](const py::object& X, std::size_t count, std::uint64_t seed) {
                return with_view<2>(X, "stats::pairwise_cosine", "X", [&](const auto& x) {
                    return without_gil([&] { return st::pairwise_cosine(x, count, seed); });
                });
            },
            py::arg("X"), py::arg("count") = 100000, py::arg("seed") = 0,
            "Cosine similarity of `count` seeded random row pairs (i != j) of X. Releases the GIL.");
        m.def(
            "pairwise_distance",
            [](const py::object& X, std::size_t count, std::uint64_t seed) {
                return with_view<2>(X, "stats::pairwise_distance", "X", [&](const auto& x) {
                    return without_gil([&] { return st::pairwise_distance(x, count, seed); });
                });
            },
            py::arg("X"), py::arg("count") = 100000, py::arg("seed") = 0,
            "Euclidean distance of `count` seeded random row pairs (i != j) of X. Releases the GIL.");
        m.def(
            "sample_pairs", [](std::uint64_t n, std::size_t count, std::uint64_t seed) { return to_numpy(st::sample_pairs(n, count, seed)); },
            py::arg("n"), py::arg("count"), py::arg("seed") = 0, "[count, 2] uint64 seeded pairs i != j of range(n).");
        m.def(
            "summarize", [](const py::object& v) { return with_view<1>(v, "stats::summarize", "x", [](const auto& x) { return st::summarize(x); }); },
            py::arg("x"), "DistributionSummary of the values x.");

        py::class_<st::relational_result>(m, "RelationalResult", "Correlation of cos_A(i, j) and cos_B(i, j) over pairs.")
            .def_readonly("pearson", &st::relational_result::pearson, "Pearson r")
            .def_readonly("spearman", &st::relational_result::spearman, "Spearman rho")
            .def_readonly("pairs", &st::relational_result::pairs, "pairs used")
            .def("__repr__", [](const st::relational_result& r) {
                return "RelationalResult(pearson=" + py::repr(py::float_(r.pearson)).cast<std::string>() + ", spearman=" +
                       py::repr(py::float_(r.spearman)).cast<std::string>() + ")";
            });
        m.def(
            "relational_correlation",
            [](const py::object& A, const py::object& B, std::size_t sample, std::uint64_t seed) {
                return with2<2>(A, B, "stats::relational_correlation", "A", "B", [&](const auto& a, const auto& b) {
                    return without_gil([&] { return st::relational_correlation(a, b, sample, seed); });
                });
            },
            py::arg("A"), py::arg("B"), py::arg("sample") = 100000, py::arg("seed") = 0,
            "Whether two spaces over the same rows agree on which pairs are similar. Releases the GIL.");

        m.def(
            "row_norms", [](const py::object& X) { return with_view<2>(X, "stats::row_norms", "X", [](const auto& x) { return to_numpy(st::row_norms(x)); }); },
            py::arg("X"), "[n] Euclidean norms of the rows of X (accumulated in double), X's dtype.");
        m.def(
            "normalize_rows",
            [](const py::object& X) { return with_view<2>(X, "stats::normalize_rows", "X", [](const auto& x) { return to_numpy(st::normalize_rows(x)); }); },
            py::arg("X"), "Rows of X scaled to unit norm (zero rows stay zero); a new array.");
        m.def(
            "pearson",
            [](const py::object& x, const py::object& y) {
                return with2<1>(x, y, "stats::pearson", "x", "y", [](const auto& a, const auto& b) { return st::pearson(a, b); });
            },
            py::arg("x"), py::arg("y"), "Pearson correlation (scipy.stats.pearsonr's statistic).");
        m.def(
            "spearman",
            [](const py::object& x, const py::object& y) {
                return with2<1>(x, y, "stats::spearman", "x", "y", [](const auto& a, const auto& b) { return st::spearman(a, b); });
            },
            py::arg("x"), py::arg("y"), "Spearman rank correlation with average ranks for ties (scipy.stats.spearmanr).");
        m.def(
            "average_ranks",
            [](const py::object& x) { return with_view<1>(x, "stats::average_ranks", "x", [](const auto& a) { return to_numpy(st::average_ranks(a)); }); },
            py::arg("x"), "1-based ranks with ties averaged (scipy.stats.rankdata).");

        py::class_<st::covariance_spectrum_result> cs(m, "CovarianceSpectrum", "Eigenvalues of cov(X) (ddof=1) and what they say.");
        def_array(cs, "eigenvalues", &st::covariance_spectrum_result::eigenvalues, "[d] descending, >= 0");
        def_array(cs, "explained", &st::covariance_spectrum_result::explained, "[d] cumulative fraction of variance");
        cs.def_readonly("total_variance", &st::covariance_spectrum_result::total_variance, "trace of the covariance")
            .def_readonly("participation_ratio", &st::covariance_spectrum_result::participation_ratio, "(sum l)^2 / sum l^2")
            .def_readonly("participation_ratio_fraction", &st::covariance_spectrum_result::participation_ratio_fraction, "/ d")
            .def_readonly("dims_80", &st::covariance_spectrum_result::dims_80, "dims for 80% of the variance")
            .def_readonly("dims_90", &st::covariance_spectrum_result::dims_90, "... 90%")
            .def_readonly("dims_95", &st::covariance_spectrum_result::dims_95, "... 95%")
            .def_readonly("dims_99", &st::covariance_spectrum_result::dims_99, "... 99%")
            .def_readonly("status", &st::covariance_spectrum_result::status, "not_converged if syevd failed")
            .def("__repr__", [](const st::covariance_spectrum_result& r) {
                return "CovarianceSpectrum(participation_ratio=" + py::repr(py::float_(r.participation_ratio)).cast<std::string>() +
                       ", dims_90=" + std::to_string(r.dims_90) + ", status=" + tessera::to_string(r.status.code) + ")";
            });
        m.def(
            "covariance_spectrum",
            [](const py::object& X) {
                return with_view<2>(X, "stats::covariance_spectrum", "X", [](const auto& x) {
                    return without_gil([&] { return st::covariance_spectrum(x); });
                });
            },
            py::arg("X"), "Eigen-decomposition of the covariance of X [n, d] (ddof=1). Releases the GIL.");
    }
}  // namespace tessera_py
