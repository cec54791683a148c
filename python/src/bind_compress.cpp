/// \file bind_compress.cpp
/// tessera.compress: one quality report for any approximation of an embedding matrix (a dense
/// array, or any compressed object of tessera's Python API with reconstruct() and
/// storage_bytes), word-similarity benchmarks (read and evaluate), and the export of compressed
/// forms (compress/export.hpp, export_gguf.hpp): LowRank, SVDResult, TTMatrix and PackedTernary
/// objects into one safetensors file (save_compressed / CompressedFile, bit for bit), ternary
/// matrices into GGUF TQ1_0 / TQ2_0 (save_ternary_gguf / load_ternary_gguf). The objects are the
/// other modules' own wrappers (common.hpp: either_dtype<...>, py_svd); file I/O releases the GIL.

#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <tessera/compress/export.hpp>
#include <tessera/compress/export_gguf.hpp>
#include <tessera/compress/report.hpp>
#include <tessera/compress/word_similarity.hpp>
#include <tessera/spectral/low_rank.hpp>
#include <tessera/spectral/svd_result.hpp>
#include <tessera/ternary/pack.hpp>
#include <tessera/ternary/quantize.hpp>
#include <tessera/tt/tt_matrix.hpp>

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
            const char* fn = "compress::compression_report";
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

        // ---- export: the Python objects of the other modules, as C++ references ----------------

        namespace sp = tessera::spectral;
        namespace tn = tessera::ternary;
        namespace tt = tessera::tt;

        /// tessera.compress.LowRank: spectral::low_rank<float> or <double>.
        using py_low_rank = either_dtype<sp::low_rank>;
        /// tessera.tt.TTMatrix and tessera.ternary.TernaryMatrix (bound in bind_tt / bind_ternary).
        using py_tt_matrix = either_dtype<tt::tt_matrix>;
        using py_ternary = either_dtype<tn::ternary_matrix>;

        template <class T>
        sp::svd_result<T> svd_of(const py_svd& s, const char* fn)
        {
            sp::svd_result<T> r;
            r.U = to_xtensor<T, 2>(as_array<T>(s.U), fn, "SVDResult.U");
            r.S = to_xtensor<T, 1>(as_array<T>(s.S), fn, "SVDResult.S");
            r.Vt = to_xtensor<T, 2>(as_array<T>(s.Vt), fn, "SVDResult.Vt");
            return r;
        }

        /// A float32 SVDResult.U -> float, anything else -> double.
        bool is_f32(const py::object& a)
        {
            const py::array x = py::array::ensure(a);
            return x && x.dtype().kind() == 'f' && x.dtype().itemsize() == 4;
        }

        /// The (name, object) pairs of a dict (any mapping with items()) or of a sequence of pairs.
        std::vector<std::pair<std::string, py::object>> named(const py::handle& objs, const char* what)
        {
            std::vector<std::pair<std::string, py::object>> out;
            const py::object it = py::hasattr(objs, "items") ? objs.attr("items")() : py::reinterpret_borrow<py::object>(objs);
            for (const py::handle e : py::iter(it))
            {
                const py::tuple t = py::tuple(py::reinterpret_borrow<py::object>(e));
                if (t.size() != 2 || !py::isinstance<py::str>(t[0]))
                    throw py::type_error(std::string(what) + " must be a dict {name: object} or a sequence of (name, object) pairs");
                out.emplace_back(t[0].cast<std::string>(), t[1]);
            }
            return out;
        }

        std::string type_name(const py::handle& o) { return py::str(py::type::handle_of(o).attr("__qualname__")); }

        /// The save list of save_compressed: export_items pointing into the Python objects (kept
        /// alive in `keep`) or into SVD copies (`svd_f`, `svd_d`: deques, so references stay valid).
        struct export_list
        {
            std::vector<cp::export_item> items;
            std::deque<sp::svd_result<float>> svd_f;
            std::deque<sp::svd_result<double>> svd_d;
            py::list keep;
        };

        void add_item(export_list& l, const std::string& name, const py::object& obj)
        {
            const char* fn = "compress::save_compressed";
            l.keep.append(obj);
            if (py::isinstance<py_low_rank>(obj))
                visit(obj.cast<const py_low_rank&>(), [&](const auto& x) { l.items.emplace_back(name, x); });
            else if (py::isinstance<py_tt_matrix>(obj))
                visit(obj.cast<const py_tt_matrix&>(), [&](const auto& x) { l.items.emplace_back(name, x); });
            else if (py::isinstance<tn::packed_ternary>(obj))
                l.items.emplace_back(name, obj.cast<const tn::packed_ternary&>());
            else if (py::isinstance<py_svd>(obj))
            {
                const auto& s = obj.cast<const py_svd&>();
                if (is_f32(s.U))
                    l.items.emplace_back(name, l.svd_f.emplace_back(svd_of<float>(s, fn)));
                else
                    l.items.emplace_back(name, l.svd_d.emplace_back(svd_of<double>(s, fn)));
            }
            else if (py::isinstance<py_ternary>(obj))
                throw py::type_error(std::string(fn) + ": object '" + name +
                                     "' is a TernaryMatrix: pack it first (tessera.ternary.pack_2bit(m) or pack_base3(m), "
                                     "scale_storage 'f32' or 'f16') and save the PackedTernary");
            else
                throw py::type_error(std::string(fn) + ": object '" + name + "' is a " + type_name(obj) +
                                     "; expected tessera.compress.LowRank, tessera.spectral.SVDResult, "
                                     "tessera.tt.TTMatrix or tessera.ternary.PackedTernary");
        }

        /// tessera.compress.CompressedFile: the file shared with the loads running without the GIL,
        /// so close() during a load in another thread cannot unmap it under that load.
        struct py_compressed_file
        {
            std::shared_ptr<const cp::compressed_file> f;
            std::string path;

            std::shared_ptr<const cp::compressed_file> get(const char* fn) const
            {
                tessera::require(f != nullptr, fn, "I/O operation on the closed file ", path);
                return f;
            }
        };

        const char* layout_name(tn::packed_layout l) { return l == tn::packed_layout::two_bit ? "two_bit" : "base3"; }

        py::dict object_dict(const cp::export_object& o)
        {
            py::dict d;
            d["kind"] = cp::detail::to_string(o.kind);
            d["dtype"] = o.dtype;
            d["shape"] = py::make_tuple(o.rows, o.cols);
            switch (o.kind)
            {
                case cp::export_kind::low_rank:
                case cp::export_kind::svd: d["rank"] = o.rank; break;
                case cp::export_kind::tt_matrix:
                    d["row_modes"] = o.row_modes;
                    d["col_modes"] = o.col_modes;
                    d["ranks"] = o.ranks;
                    break;
                case cp::export_kind::packed_ternary:
                    d["layout"] = layout_name(o.layout);
                    d["row_stride"] = o.row_stride;
                    d["group_size"] = o.group_size;
                    d["n_groups"] = o.n_groups;
                    d["scale_storage"] = o.scale_storage;
                    break;
            }
            d["tensors"] = o.tensors;
            return d;
        }

        /// The stored object `name` as float (F32) or double (F64); double when absent or not a
        /// float kind (the C++ load then names what is wrong).
        bool stored_f32(const cp::compressed_file& f, const std::string& name)
        {
            const auto it = f.objects().find(name);
            return it != f.objects().end() && it->second.dtype == "F32";
        }

        py::object load_low_rank_py(const py_compressed_file& h, const std::string& name)
        {
            const auto f = h.get("compress::compressed_file::load_low_rank");
            if (stored_f32(*f, name))
                return py::cast(py_low_rank{without_gil([&] { return f->load_low_rank<float>(name); })});
            return py::cast(py_low_rank{without_gil([&] { return f->load_low_rank<double>(name); })});
        }
        py::object load_svd_py(const py_compressed_file& h, const std::string& name)
        {
            const auto f = h.get("compress::compressed_file::load_svd");
            if (stored_f32(*f, name))
                return py::cast(svd_to_py(without_gil([&] { return f->load_svd<float>(name); })));
            return py::cast(svd_to_py(without_gil([&] { return f->load_svd<double>(name); })));
        }
        py::object load_tt_matrix_py(const py_compressed_file& h, const std::string& name)
        {
            const auto f = h.get("compress::compressed_file::load_tt_matrix");
            if (stored_f32(*f, name))
                return py::cast(py_tt_matrix{without_gil([&] { return f->load_tt_matrix<float>(name); })});
            return py::cast(py_tt_matrix{without_gil([&] { return f->load_tt_matrix<double>(name); })});
        }
        py::object load_packed_py(const py_compressed_file& h, const std::string& name)
        {
            const auto f = h.get("compress::compressed_file::load_packed_ternary");
            return py::cast(without_gil([&] { return f->load_packed_ternary(name); }));
        }
        py::object load_py(const py_compressed_file& h, const std::string& name)
        {
            const char* fn = "compress::compressed_file::load";
            const auto f = h.get(fn);
            const auto it = f->objects().find(name);
            if (it == f->objects().end())
            {
                std::string names;
                for (const auto& [n, o] : f->objects())
                    names += (names.empty() ? "'" : ", '") + n + "' (" + cp::detail::to_string(o.kind) + ")";
                throw tessera::invalid_argument(tessera::concat(fn, ": name='", name, "' is not an object of ", f->path(),
                                                                "; it holds ", names.empty() ? std::string("none") : names));
            }
            switch (it->second.kind)
            {
                case cp::export_kind::low_rank: return load_low_rank_py(h, name);
                case cp::export_kind::svd: return load_svd_py(h, name);
                case cp::export_kind::tt_matrix: return load_tt_matrix_py(h, name);
                case cp::export_kind::packed_ternary: break;
            }
            return load_packed_py(h, name);
        }

        /// A Python metadata value as GGUF's: bool, str, int (int32, or int64 / uint64 when it does
        /// not fit), float (float32, as gguf-py), numpy scalars with their own type, lists / tuples
        /// as arrays (element type of the first element; all alike).
        tessera::io::gguf_value to_gguf_value(const py::handle& v, const std::string& key)
        {
            namespace tio = tessera::io;
            const char* fn = "compress::save_ternary_gguf";
            if (py::isinstance<py::bool_>(v))
                return tio::gguf_value(v.cast<bool>());
            if (py::isinstance<py::str>(v))
                return tio::gguf_value(v.cast<std::string>());
            if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v))
            {
                tio::gguf_array a;
                std::size_t i = 0;
                for (const py::handle e : v)
                {
                    a.values.push_back(to_gguf_value(e, tessera::concat(key, "[", i++, "]")));
                    tessera::require(a.values.back().type() == a.values.front().type(), fn, "metadata['", key,
                                     "']: array elements must all have one GGUF type; element ", i - 1, " is ",
                                     tio::gguf_value_type_name(a.values.back().type()), ", element 0 is ",
                                     tio::gguf_value_type_name(a.values.front().type()));
                }
                if (!a.values.empty())
                    a.type = a.values.front().type();
                return tio::gguf_value(std::move(a));
            }
            const py::object np_generic = py::module_::import("numpy").attr("generic");
            if (py::isinstance(v, np_generic))
            {
                const py::dtype dt = py::reinterpret_borrow<py::object>(v).attr("dtype").cast<py::dtype>();
                const char k = dt.kind();
                const auto n = dt.itemsize();
                if (k == 'b')
                    return tio::gguf_value(v.cast<bool>());
                if (k == 'f' && (n == 4 || n == 8))
                    return n == 4 ? tio::gguf_value(v.cast<float>()) : tio::gguf_value(v.cast<double>());
                if (k == 'u' || k == 'i')
                {
                    const py::int_ x(py::reinterpret_borrow<py::object>(v));
                    if (k == 'u')
                    {
                        const auto u = x.cast<std::uint64_t>();
                        switch (n)
                        {
                            case 1: return tio::gguf_value(static_cast<std::uint8_t>(u));
                            case 2: return tio::gguf_value(static_cast<std::uint16_t>(u));
                            case 4: return tio::gguf_value(static_cast<std::uint32_t>(u));
                            default: return tio::gguf_value(u);
                        }
                    }
                    const auto s = x.cast<std::int64_t>();
                    switch (n)
                    {
                        case 1: return tio::gguf_value(static_cast<std::int8_t>(s));
                        case 2: return tio::gguf_value(static_cast<std::int16_t>(s));
                        case 4: return tio::gguf_value(static_cast<std::int32_t>(s));
                        default: return tio::gguf_value(s);
                    }
                }
            }
            else if (py::isinstance<py::int_>(v))
            {
                int overflow = 0;
                const long long x = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
                if (overflow == 0)
                {
                    if (x >= std::numeric_limits<std::int32_t>::min() && x <= std::numeric_limits<std::int32_t>::max())
                        return tio::gguf_value(static_cast<std::int32_t>(x));
                    return tio::gguf_value(static_cast<std::int64_t>(x));
                }
                const unsigned long long u = overflow > 0 ? PyLong_AsUnsignedLongLong(v.ptr()) : 0;
                const bool fits = overflow > 0 && !PyErr_Occurred();
                PyErr_Clear();
                tessera::require(fits, fn, "metadata['", key, "']=", py::repr(v).cast<std::string>(),
                                 " does not fit a GGUF integer (int64 or uint64)");
                return tio::gguf_value(static_cast<std::uint64_t>(u));
            }
            else if (py::isinstance<py::float_>(v))
                return tio::gguf_value(v.cast<float>());
            tessera::require(false, fn, "metadata['", key, "'] is a ", type_name(v),
                             "; GGUF values are bool, int, float, str, numpy scalars or lists of them");
            return {};
        }
    }  // namespace

    void bind_compress(py::module_& m)
    {
        m.doc() = "Quality of compressed embedding matrices, word-similarity benchmarks, and the export of compressed forms\n"
                  "to safetensors (save_compressed, CompressedFile) and GGUF TQ1_0 / TQ2_0 (docs/compress.md).";

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
                      const auto e = view<T, 2>(a, "compress::evaluate_word_similarity", "embeddings");
                      return ws_dict(without_gil([&] { return cp::evaluate_word_similarity(e, vocab, set, o); }));
                  });
              },
              py::arg("embeddings"), py::arg("words"), py::arg("benchmark"), py::arg("fold_case") = true,
              "Spearman (ties averaged, as scipy.stats.spearmanr) and Pearson correlation between the human scores and\n"
              "cos(E[w1], E[w2]) over the pairs whose words are in `words` (row i of embeddings is words[i]; with\n"
              "fold_case a word absent as written is looked up lower-cased). benchmark: a WordSimilaritySet or a path.\n"
              "Returns a dict: name, spearman, pearson (NaN when < 2 pairs covered), covered, total, coverage.");

        // ---- export (docs/compress.md, "Export") ------------------------------------------------

        py::class_<py_low_rank> lr(m, "LowRank",
                                   "A rank-r matrix A ~ left @ right, left = U diag(S) [m, r], right = Vt [r, n]\n"
                                   "(tessera::spectral::low_rank<T>, float32 or float64): what save_compressed stores as\n"
                                   "kind 'low_rank' (2 factors instead of the SVD's 3).");
        lr.def(py::init([](const py_svd& s) {
                   if (is_f32(s.U))
                       return py_low_rank{sp::low_rank<float>(svd_of<float>(s, "spectral::low_rank"))};
                   return py_low_rank{sp::low_rank<double>(svd_of<double>(s, "spectral::low_rank"))};
               }),
               py::arg("svd"),
               "From a tessera.spectral.SVDResult: left = U * S (in the SVD's dtype), right = Vt.")
            .def(py::init([](const py::object& left, const py::object& right) {
                     return dispatch(left, [&](auto tag) {
                                return py_low_rank{sp::low_rank<decltype(tag)>(
                                    to_xtensor<decltype(tag), 2>(as_array<decltype(tag)>(left), "spectral::low_rank", "left"),
                                    to_xtensor<decltype(tag), 2>(as_array<decltype(tag)>(right), "spectral::low_rank", "right"))};
                            })
                         .cast<py_low_rank>();
                 }),
                 py::arg("left"), py::arg("right"),
                 "From factors left [m, r] and right [r, n] (copied; float32 left keeps float32, other dtypes -> "
                 "float64; right is converted to left's dtype). Raises ValueError if the inner dimensions differ.")
            .def_property_readonly("left", [](py::object self) {
                return visit(self.cast<const py_low_rank&>(), [&](const auto& x) -> py::object { return member_view(x.left(), self); });
            }, "U diag(S) [m, r] (read-only view)")
            .def_property_readonly("right", [](py::object self) {
                return visit(self.cast<const py_low_rank&>(), [&](const auto& x) -> py::object { return member_view(x.right(), self); });
            }, "Vt [r, n] (read-only view)")
            .def_property_readonly("shape", [](const py_low_rank& t) { return visit(t, [](const auto& x) { return py::make_tuple(x.rows(), x.cols()); }); }, "(m, n)")
            .def_property_readonly("rank", [](const py_low_rank& t) { return visit(t, [](const auto& x) { return x.rank(); }); }, "r")
            .def_property_readonly("dtype", &py_low_rank::dtype, "numpy dtype of the factors")
            .def_property_readonly("storage_bytes", [](const py_low_rank& t) { return visit(t, [](const auto& x) { return x.storage_bytes(); }); },
                                   "(m + n) r itemsize")
            .def_property_readonly("compression_ratio", [](const py_low_rank& t) { return visit(t, [](const auto& x) { return x.compression_ratio(); }); },
                                   "m n / ((m + n) r)")
            .def("reconstruct", [](const py_low_rank& t) {
                return visit(t, [](const auto& x) -> py::object { return to_numpy(without_gil([&] { return x.reconstruct(); })); });
            }, "The dense left @ right [m, n]. Releases the GIL.")
            .def("apply", [](const py_low_rank& t, const py::object& X) {
                return visit(t, [&](const auto& x) -> py::object {
                    using T = typename std::decay_t<decltype(x.left())>::value_type;
                    const auto a = as_array<T>(X);
                    if (a.ndim() == 1)
                    {
                        auto v = to_xtensor<T, 1>(a, "spectral::low_rank::apply", "x");
                        return to_numpy(without_gil([&] { return x.apply(v); }));
                    }
                    auto M = to_xtensor<T, 2>(a, "spectral::low_rank::apply", "x");
                    return to_numpy(without_gil([&] { return x.apply(M); }));
                });
            }, py::arg("x"), "left @ (right @ x) for x [n] or X [n, p] (converted to the factors' dtype), without forming A.")
            .def("__repr__", [](const py_low_rank& t) {
                return visit(t, [&](const auto& x) {
                    return "LowRank(shape=(" + std::to_string(x.rows()) + ", " + std::to_string(x.cols()) + "), rank=" +
                           std::to_string(x.rank()) + ", dtype=" + (t.is_float() ? "float32" : "float64") + ")";
                });
            });

        m.def(
            "save_compressed",
            [](const std::string& path, const py::object& objects, const std::map<std::string, std::string>& metadata) {
                export_list l;
                for (const auto& [name, obj] : named(objects, "compress::save_compressed: objects"))
                    add_item(l, name, obj);
                without_gil([&] { cp::save_compressed(path, l.items, metadata); });
            },
            py::arg("path"), py::arg("objects"), py::arg("metadata") = std::map<std::string, std::string>{},
            "Saves compressed matrices to one safetensors file, bit for bit (tessera::compress::save_compressed).\n\n"
            "objects: {name: object} (or a sequence of (name, object) pairs), each a tessera.compress.LowRank\n"
            "(tensors <name>.US, <name>.Vt), tessera.spectral.SVDResult (<name>.U, .S, .Vt), tessera.tt.TTMatrix\n"
            "(<name>.core.<k> [r, m_k, n_k, r']) or tessera.ternary.PackedTernary (<name>.codes uint8 [rows, row_stride],\n"
            "<name>.scales); float32 stays F32, float64 F64 (an SVDResult is stored in the dtype of its U).\n"
            "metadata: {str: str}, keys must not start with 'tessera.' (tessera writes tessera.format,\n"
            "tessera.version and tessera.objects, the JSON description of every object).\n"
            "Raises TypeError for another object type (a TernaryMatrix: pack it first), ValueError for an empty or\n"
            "duplicate name or a reserved key, OSError when writing fails. Releases the GIL while writing.");

        py::class_<py_compressed_file>(m, "CompressedFile",
                                       "A file written by save_compressed (tessera::compress::compressed_file): memory-mapped,\n"
                                       "every object checked against its metadata at open; objects loaded one at a time, bit for bit.\n"
                                       "Usable as a context manager (close() unmaps the file).")
            .def(py::init([](const std::string& path) {
                     return py_compressed_file{without_gil([&] { return std::make_shared<const cp::compressed_file>(path); }), path};
                 }),
                 py::arg("path"),
                 "Maps and validates `path`. Raises OSError (file, byte, object, expected / found) for a file that is not\n"
                 "valid safetensors, not written by save_compressed, or whose tensors disagree with its metadata.\n"
                 "Releases the GIL.")
            .def_property_readonly("path", [](const py_compressed_file& h) { return h.path; }, "the file's path")
            .def_property_readonly("version", [](const py_compressed_file& h) { return h.get("compress::compressed_file::version")->version(); },
                                   "the tessera version that wrote the file")
            .def("objects", [](const py_compressed_file& h) {
                py::dict d;
                for (const auto& [name, o] : h.get("compress::compressed_file::objects")->objects())
                    d[py::str(name)] = object_dict(o);
                return d;
            }, "{name: description} in name order; a description is a dict: kind ('low_rank', 'svd', 'tt_matrix',\n"
               "'packed_ternary'), dtype ('F32', 'F64'; 'U8' for packed_ternary), shape (rows, cols), then rank\n"
               "(low_rank, svd); row_modes, col_modes, ranks (tt_matrix); layout ('two_bit' or 'base3', as in the\n"
               "file), row_stride, group_size, n_groups, scale_storage ('f32', 'f16', 'none') (packed_ternary);\n"
               "tensors (the names of its tensors in the file).")
            .def("metadata", [](const py_compressed_file& h) { return h.get("compress::compressed_file::metadata")->metadata(); },
                 "The caller's metadata {str: str} (without tessera's own 'tessera.*' keys).")
            .def("load", &load_py, py::arg("name"),
                 "Object `name` as the Python object of its kind: LowRank, tessera.spectral.SVDResult, tessera.tt.TTMatrix\n"
                 "or tessera.ternary.PackedTernary, in its stored dtype. Raises ValueError (listing the objects) when absent.")
            .def("load_low_rank", &load_low_rank_py, py::arg("name"),
                 "Object `name` (kind low_rank) as a LowRank, factors bit for bit in the stored dtype.\n"
                 "Raises ValueError naming compressed_file::load_low_rank when absent or of another kind. Releases the GIL.")
            .def("load_svd", &load_svd_py, py::arg("name"),
                 "Object `name` (kind svd) as a tessera.spectral.SVDResult: U, S, Vt bit for bit (status ok, method 'exact').")
            .def("load_tt_matrix", &load_tt_matrix_py, py::arg("name"),
                 "Object `name` (kind tt_matrix) as a tessera.tt.TTMatrix: cores bit for bit, same modes and ranks (the\n"
                 "truncation record is not stored: bonds' discarded energy 0, error_bound 0, status ok).")
            .def("load_packed_ternary", &load_packed_py, py::arg("name"),
                 "Object `name` (kind packed_ternary) as a tessera.ternary.PackedTernary: same layout, code bytes, scales\n"
                 "(f32 or f16) and strides. Raises OSError for code bytes that are not the canonical packing.")
            .def("close", [](py_compressed_file& h) { h.f.reset(); },
                 "Unmaps the file (a load running in another thread keeps it until it returns); later calls raise ValueError.")
            .def_property_readonly("closed", [](const py_compressed_file& h) { return h.f == nullptr; }, "True after close()")
            .def("__enter__", [](py::object self) { return self; })
            .def("__exit__", [](py_compressed_file& h, const py::args&) { h.f.reset(); })
            .def("__contains__", [](const py_compressed_file& h, const std::string& name) {
                return h.get("compress::compressed_file::contains")->objects().count(name) != 0;
            }, py::arg("name"))
            .def("__len__", [](const py_compressed_file& h) { return h.get("compress::compressed_file::size")->objects().size(); })
            .def("__repr__", [](const py_compressed_file& h) {
                if (!h.f)
                    return "CompressedFile('" + h.path + "', closed)";
                return "CompressedFile('" + h.path + "', " + std::to_string(h.f->objects().size()) + " objects)";
            });

        m.def(
            "save_ternary_gguf",
            [](const std::string& path, const py::object& matrices, const std::string& format, const py::object& metadata) {
                const char* fn = "compress::save_ternary_gguf";
                const auto f = choice<cp::tq_format>(format, {{"tq1_0", cp::tq_format::tq1_0}, {"tq2_0", cp::tq_format::tq2_0}},
                                                     fn, "format");
                tessera::io::gguf_metadata meta;
                if (!metadata.is_none())
                    for (const auto& [key, value] : named(metadata, "compress::save_ternary_gguf: metadata"))
                        meta.set(key, to_gguf_value(value, key));
                std::vector<cp::ternary_gguf_item> items;
                py::list keep;
                for (const auto& [name, obj] : named(matrices, "compress::save_ternary_gguf: matrices"))
                {
                    if (!py::isinstance<py_ternary>(obj))
                        throw py::type_error(std::string(fn) + ": '" + name + "' is a " + type_name(obj) +
                                             "; expected a tessera.ternary.TernaryMatrix");
                    keep.append(obj);
                    visit(obj.cast<const py_ternary&>(), [&](const auto& x) { items.emplace_back(name, x); });
                }
                without_gil([&] { cp::save_ternary_gguf(path, items, f, std::move(meta)); });
            },
            py::arg("path"), py::arg("matrices"), py::arg("format") = "tq2_0", py::arg("metadata") = py::none(),
            "Writes TernaryMatrix objects as llama.cpp GGUF v3 TQ1_0 / TQ2_0 tensors (tessera::compress::save_ternary_gguf).\n\n"
            "matrices: {tensor name: TernaryMatrix} (or (name, matrix) pairs) with cols a positive multiple of 256 and\n"
            "group_size a multiple of 256 (quantize with group_size=256, or per_row / per_tensor); a [rows, cols]\n"
            "matrix becomes a tensor of ggml ne = [cols, rows] (gguf-py shape (rows, cols)). Codes exactly; each 256-block\n"
            "stores its group's scale as fp16 d. format: 'tq2_0' (66 bytes per 256 weights) or 'tq1_0' (54).\n"
            "metadata: {key: value} with bool, int (int32; int64 / uint64 when larger), float (float32, as gguf-py),\n"
            "str, numpy scalars (their own type) or lists of one of these; 'tessera.version' is added unless given.\n"
            "Raises ValueError naming to_tq1_0 / to_tq2_0 (shape, group size, scale range) or write_gguf, OSError\n"
            "when writing fails. Releases the GIL.");

        m.def(
            "load_ternary_gguf",
            [](const std::string& path, const std::string& name) {
                return py_ternary{without_gil([&] { return cp::load_ternary_gguf(path, name); })};
            },
            py::arg("path"), py::arg("name"),
            "Tensor `name` (2-D TQ1_0 or TQ2_0) of the GGUF file `path` as a float32 TernaryMatrix: codes exactly,\n"
            "scales = the blocks' fp16 d, group_size 256. Dequantized: |w_gguf - w| <= 2^-11 |w| for scales >= 2^-14\n"
            "(fp16 normal), <= 2^-25 below, 0 when the scales are fp16 values. Raises ValueError naming\n"
            "load_ternary_gguf when `name` is absent or not a 2-D TQ tensor, OSError for a missing or invalid file.\n"
            "Releases the GIL.");
    }
}  // namespace tessera_py
