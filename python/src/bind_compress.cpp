/// \file bind_compress.cpp
/// tessera.compress: one quality report for any approximation of an embedding matrix (a dense
/// array, or any compressed object of tessera's Python API with reconstruct() and
/// storage_bytes), and word-similarity benchmarks (read and evaluate).

#include <cstdint>
#include <string>
#include <vector>

#include <tessera/compress/report.hpp>
#include <tessera/compress/word_similarity.hpp>

#include "common.hpp"

namespace tessera_py
{
    namespace
    {
        namespace cp = tessera::compress;

        tessera::io::vocabulary make_vocabulary(const std::vector<std::string>& words)
        {
            tessera::io::vocabulary v;
            for (const auto& w : words)
                tessera::require(v.add(w), "compress::vocabulary", "words has the duplicate '", w, "'");
            return v;
        }

        /// A WordSimilaritySet as is, or one read from a path.
        cp::word_similarity_set as_set(const py::handle& x)
        {
            if (py::isinstance<py::str>(x))
                return cp::read_word_similarity(x.cast<std::string>());
            return x.cast<cp::word_similarity_set>();
        }

        py::dict ws_dict(const cp::word_similarity_result& r)
        {
            py::dict d;
            d["name"] = r.name;
            d["spearman"] = r.spearman;
            d["pearson"] = r.pearson;
            d["covered"] = r.covered;
            d["total"] = r.total;
            d["coverage"] = r.coverage;
            return d;
        }

        py::dict report_dict(const cp::quality_report& r)
        {
            py::dict d;
            d["rows"] = r.rows;
            d["cols"] = r.cols;
            d["relative_frobenius_error"] = r.relative_frobenius_error;
            d["row_cosine"] = py::cast(r.row_cosine);
            d["knn_recall"] = r.knn_recall;
            d["knn_recall_interval"] = py::cast(r.knn_recall_interval);
            d["relational_spearman_interval"] = py::cast(r.relational_spearman_interval);
            d["seeds"] = r.seeds;
            d["knn_k"] = r.knn_k;
            d["knn_queries"] = r.knn_queries;
            d["relational_spearman"] = r.relational_spearman;
            d["relational_pearson"] = r.relational_pearson;
            d["pairs"] = r.pairs;
            d["original_bytes"] = r.original_bytes;
            d["storage_bytes"] = r.storage_bytes;
            d["compression_ratio"] = r.compression_ratio;
            py::list ws;
            for (const auto& c : r.word_similarity)
            {
                py::dict e;
                e["before"] = ws_dict(c.before);
                e["after"] = ws_dict(c.after);
                ws.append(e);
            }
            d["word_similarity"] = ws;
            return d;
        }

        py::dict compression_report_py(const py::object& original, const py::object& approximation,
                                       const py::object& storage_bytes, std::size_t knn_k, std::size_t knn_queries,
                                       std::size_t pairs, std::uint64_t seed, std::size_t seeds, bool neighbours,
                                       const py::object& words,
                                       const py::object& benchmarks, bool fold_case)
        {
            const char* fn = "compression_report";
            // The approximation as a dense array and its storage: a compressed object of this
            // package (TernaryMatrix, TTMatrix, ... : reconstruct() and storage_bytes) or an array
            // (its own nbytes, so float16 or int8 approximations count their real size).
            py::object dense = approximation;
            std::uint64_t bytes = 0;
            if (py::hasattr(approximation, "reconstruct") && !py::isinstance<py::array>(approximation))
            {
                dense = approximation.attr("reconstruct")();
                py::object sb = approximation.attr("storage_bytes");
                if (PyCallable_Check(sb.ptr()))
                    sb = sb();
                bytes = sb.cast<std::uint64_t>();
            }
            else
                bytes = static_cast<std::uint64_t>(py::array::ensure(approximation).nbytes());
            if (!storage_bytes.is_none())
                bytes = storage_bytes.cast<std::uint64_t>();
            tessera::require(bytes > 0, fn, "storage_bytes=", bytes, " must be > 0");

            cp::report_options o;
            o.knn_k = knn_k;
            o.knn_queries = knn_queries;
            o.pairs = pairs;
            o.seed = seed;
            o.seeds = seeds;
            o.neighbours = neighbours;
            o.word_options.fold_case = fold_case;
            tessera::io::vocabulary vocab;
            if (!words.is_none())
            {
                vocab = make_vocabulary(words.cast<std::vector<std::string>>());
                o.words = &vocab;
                if (!benchmarks.is_none())
                    for (const auto& b : benchmarks)
                        o.benchmarks.push_back(as_set(b));
            }
            else
                tessera::require(benchmarks.is_none() || py::len(benchmarks) == 0, fn,
                                 "benchmarks need words (the vocabulary of the rows)");
            return dispatch(original, [&](auto tag) {
                       using T = decltype(tag);
                       const auto a = as_array<T>(original);
                       const auto b = as_array<T>(dense);
                       const auto av = view<T, 2>(a, fn, "original");
                       const auto bv = view<T, 2>(b, fn, "approximation");
                       return report_dict(without_gil([&] { return cp::compression_report(av, bv, bytes, o); }));
                   })
                .cast<py::dict>();
        }
    }  // namespace

    void bind_compress(py::module_& m)
    {
        m.doc() = "Quality of compressed embedding matrices and word-similarity benchmarks (docs/compress.md).";

        m.def("compression_report", &compression_report_py,
              py::arg("original"), py::arg("approximation"), py::arg("storage_bytes") = py::none(),
              py::arg("knn_k") = cp::report_options{}.knn_k, py::arg("knn_queries") = cp::report_options{}.knn_queries,
              py::arg("pairs") = cp::report_options{}.pairs, py::arg("seed") = 0, py::arg("seeds") = 1,
              py::arg("neighbours") = true,
              py::arg("words") = py::none(), py::arg("benchmarks") = py::none(), py::arg("fold_case") = true,
              "Quality of `approximation` as a stand-in for `original` A [n, d] (n >= 2).\n\n"
              "approximation: a dense [n, d] array (storage = its nbytes) or any compressed object of this package\n"
              "with reconstruct() and storage_bytes (tessera.ternary.TernaryMatrix, tessera.tt.TTMatrix, spectral /\n"
              "projection results); storage_bytes overrides the count. words: the vocabulary of the rows (list of str)\n"
              "to score `benchmarks` (WordSimilaritySet objects or paths) before and after.\n"
              "Returns a dict: rows, cols, relative_frobenius_error, row_cosine (tessera.stats.DistributionSummary),\n"
              "knn_recall, knn_k, knn_queries, relational_spearman, relational_pearson, pairs,\n"
              "knn_recall_interval and relational_spearman_interval (tessera.stats.MeanInterval over `seeds`\n"
              "independent query/pair samples; the values above are their means), seeds,\n"
              "original_bytes, storage_bytes, compression_ratio, word_similarity (list of {before, after}).\n"
              "Deterministic in seed; releases the GIL.");

        py::class_<cp::word_similarity_set>(m, "WordSimilaritySet", "A named word-similarity benchmark: (word1, word2, score) pairs.")
            .def(py::init([](const std::string& name, const std::vector<std::tuple<std::string, std::string, double>>& pairs) {
                     cp::word_similarity_set s;
                     s.name = name;
                     for (const auto& [a, b, score] : pairs)
                         s.pairs.push_back({a, b, score});
                     return s;
                 }),
                 py::arg("name"), py::arg("pairs"), "From a name and a list of (word1, word2, score).")
            .def_readonly("name", &cp::word_similarity_set::name, "benchmark name (the file stem when read)")
            .def_property_readonly("pairs", [](const cp::word_similarity_set& s) {
                py::list out;
                for (const auto& p : s.pairs)
                    out.append(py::make_tuple(p.first, p.second, p.score));
                return out;
            }, "list of (word1, word2, score) in file order")
            .def("__len__", [](const cp::word_similarity_set& s) { return s.pairs.size(); })
            .def("__repr__", [](const cp::word_similarity_set& s) {
                return "WordSimilaritySet('" + s.name + "', " + std::to_string(s.pairs.size()) + " pairs)";
            });

        m.def("read_word_similarity", &cp::read_word_similarity, py::arg("path"),
              "Reads a benchmark file (word1 word2 score per line, tab or space separated; the name is the file stem).\n"
              "Raises OSError naming the file for a missing or malformed file.");

        m.def("evaluate_word_similarity",
              [](const py::object& embeddings, const std::vector<std::string>& words, const py::object& benchmark,
                 bool fold_case) {
                  const auto vocab = make_vocabulary(words);
                  const auto set = as_set(benchmark);
                  cp::word_similarity_options o;
                  o.fold_case = fold_case;
                  return dispatch(embeddings, [&](auto tag) {
                      using T = decltype(tag);
                      const auto a = as_array<T>(embeddings);
                      const auto e = view<T, 2>(a, "evaluate_word_similarity", "embeddings");
                      return ws_dict(without_gil([&] { return cp::evaluate_word_similarity(e, vocab, set, o); }));
                  });
              },
              py::arg("embeddings"), py::arg("words"), py::arg("benchmark"), py::arg("fold_case") = true,
              "Spearman (ties averaged, as scipy.stats.spearmanr) and Pearson correlation between the human scores and\n"
              "cos(E[w1], E[w2]) over the pairs whose words are in `words` (row i of embeddings is words[i]; with\n"
              "fold_case a word absent as written is looked up lower-cased). benchmark: a WordSimilaritySet or a path.\n"
              "Returns a dict: name, spearman, pearson (NaN when < 2 pairs covered), covered, total, coverage.");
    }
}  // namespace tessera_py
