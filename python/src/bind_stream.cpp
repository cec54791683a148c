/// \file bind_stream.cpp
/// tessera.stream: moments, covariance spectrum, PCA and SVD of a matrix on disk (a .npy, a
/// safetensors tensor, a folder or list of shards) read in blocks within a memory budget
/// (docs/stream.md). PCA and SVD return tessera.spectral.PCA / SVDResult with a `report`.

#include <string>
#include <vector>

#include <tessera/stream.hpp>

#include "common.hpp"

namespace tessera_py
{
    namespace
    {
        namespace st = tessera::stream;

        /// A path (file: .npy or .safetensors with `tensor`; folder: its shards) or a list of paths.
        st::row_source open_source(const py::object& source, const std::string& tensor)
        {
            if (py::isinstance<py::list>(source) || py::isinstance<py::tuple>(source))
            {
                std::vector<std::string> paths;
                for (const auto& p : source)
                    paths.push_back(py::str(py::module_::import("os").attr("fspath")(p)));
                return st::open_shards(paths, tensor);
            }
            const std::string path = py::str(py::module_::import("os").attr("fspath")(source));
            if (py::module_::import("os").attr("path").attr("isdir")(path).cast<bool>())
                return st::open_folder(path, tensor);
            if (path.size() > 12 && path.compare(path.size() - 12, 12, ".safetensors") == 0)
            {
                tessera::require(!tensor.empty(), "stream::open", path, " is a safetensors file: pass tensor=<name>");
                return st::open_safetensors(path, tensor);
            }
            return st::open_npy(path);
        }

        st::stream_options stream_opts(std::size_t memory_budget, std::size_t block_rows, bool progress)
        {
            st::stream_options o;
            o.memory_budget = memory_budget;
            o.block_rows = block_rows;
            o.progress_bar = progress;
            return o;
        }

        st::svd_options svd_opts(const std::string& method, std::size_t passes, std::size_t oversampling,
                                 const std::string& signs, std::uint64_t seed, std::size_t memory_budget,
                                 std::size_t block_rows, bool progress, const char* fn)
        {
            st::svd_options o;
            o.method = choice<st::stream_method>(method, {{"gram", st::stream_method::gram},
                                                          {"randomized", st::stream_method::randomized}},
                                                 fn, "method");
            o.signs = choice<st::sign_rule>(signs, {{"components", st::sign_rule::components},
                                                    {"scores", st::sign_rule::scores}},
                                            fn, "signs");
            o.passes = passes;
            o.oversampling = oversampling;
            o.seed = seed;
            o.stream = stream_opts(memory_budget, block_rows, progress);
            return o;
        }

        bool want_float(const std::string& dtype, const char* fn)
        {
            return choice<bool>(dtype, {{"float32", true}, {"float64", false}}, fn, "dtype");
        }

        constexpr std::size_t default_budget = std::size_t(1) << 30;
    }  // namespace

    void bind_stream(py::module_& m)
    {
        m.doc() = "Moments, covariance spectrum, PCA and SVD of matrices on disk, read in blocks within a memory budget.";

        py::class_<st::pass_report>(m, "PassReport", "What the passes of a streaming call cost.")
            .def_readonly("passes", &st::pass_report::passes, "full passes over the rows")
            .def_readonly("rows", &st::pass_report::rows, "rows of the source")
            .def_readonly("block_rows", &st::pass_report::block_rows, "rows per block")
            .def_readonly("bytes_read", &st::pass_report::bytes_read, "stored bytes read over all passes")
            .def_readonly("buffer_bytes", &st::pass_report::buffer_bytes, "block buffer and conversion scratch held")
            .def_readonly("accumulator_bytes", &st::pass_report::accumulator_bytes, "accumulators held across blocks")
            .def_readonly("seconds", &st::pass_report::seconds, "wall time of the passes")
            .def_property_readonly("peak_bytes", &st::pass_report::peak_bytes, "buffer_bytes + accumulator_bytes (<= budget)")
            .def_property_readonly("gb_per_second", &st::pass_report::gb_per_second, "stored GB (1e9) read per second")
            .def("__repr__", [](const st::pass_report& r) {
                return "PassReport(passes=" + std::to_string(r.passes) + ", rows=" + std::to_string(r.rows) +
                       ", peak_bytes=" + std::to_string(r.peak_bytes()) + ", seconds=" + std::to_string(r.seconds) + ")";
            });

        py::class_<st::moments>(m, "Moments", "Count, means, centred sums of squares, min, max (and the scatter) of the rows.")
            .def_readonly("count", &st::moments::count, "rows")
            .def_property_readonly("mean", [](const st::moments& s) { return to_numpy(std::vector<double>(s.mean)); }, "[n] column means")
            .def_property_readonly("m2", [](const st::moments& s) { return to_numpy(std::vector<double>(s.m2)); },
                                   "[n] centred sums of squares")
            .def_property_readonly("min", [](const st::moments& s) { return to_numpy(std::vector<double>(s.min)); }, "[n] column minima")
            .def_property_readonly("max", [](const st::moments& s) { return to_numpy(std::vector<double>(s.max)); }, "[n] column maxima")
            .def_property_readonly(
                "scatter",
                [](py::object self) -> py::object {
                    const auto& s = self.cast<const st::moments&>();
                    if (!s.has_scatter())
                        return py::none();
                    return member_view(s.scatter, self);
                },
                "[n, n] centred scatter (None for column_statistics)")
            .def("variance", [](const st::moments& s, std::size_t ddof) { return to_numpy(s.variance(ddof)); },
                 py::arg("ddof") = 1, "[n] column variances")
            .def("covariance", [](const st::moments& s, std::size_t ddof) { return to_numpy(s.covariance(ddof)); },
                 py::arg("ddof") = 1, "[n, n] covariance (numpy.cov(X, rowvar=False) for ddof=1)")
            .def_readonly("report", &st::moments::report, "PassReport");

        m.def(
            "column_statistics",
            [](const py::object& source, const std::string& tensor, std::size_t memory_budget, std::size_t block_rows,
               bool progress) {
                const auto src = open_source(source, tensor);
                const auto o = stream_opts(memory_budget, block_rows, progress);
                return without_gil([&] { return st::column_statistics(src, o); });
            },
            py::arg("source"), py::arg("tensor") = "", py::arg("memory_budget") = default_budget, py::arg("block_rows") = 0,
            py::arg("progress") = false,
            "Column statistics of the rows of a .npy, a safetensors tensor, a folder or a list of shards, in one pass.\n"
            "Returns Moments (no scatter). Releases the GIL.");
        m.def(
            "covariance_moments",
            [](const py::object& source, const std::string& tensor, std::size_t memory_budget, std::size_t block_rows,
               bool progress) {
                const auto src = open_source(source, tensor);
                const auto o = stream_opts(memory_budget, block_rows, progress);
                return without_gil([&] { return st::covariance_moments(src, o); });
            },
            py::arg("source"), py::arg("tensor") = "", py::arg("memory_budget") = default_budget, py::arg("block_rows") = 0,
            py::arg("progress") = false,
            "column_statistics plus the n x n centred scatter (block-centred, Chan-merged, in double), one pass.");

        m.def(
            "pca",
            [](const py::object& source, std::size_t n_components, const std::string& tensor, const std::string& method,
               std::size_t passes, std::size_t oversampling, const std::string& signs, bool whiten, std::uint64_t seed,
               std::size_t memory_budget, std::size_t block_rows, bool progress, const std::string& dtype) {
                const char* fn = "stream::pca";
                const auto src = open_source(source, tensor);
                auto o = svd_opts(method, passes, oversampling, signs, seed, memory_budget, block_rows, progress, fn);
                o.whiten = whiten;
                auto fit = [&](auto tag) {
                    using T = decltype(tag);
                    auto r = without_gil([&] { return st::pca<T>(src, n_components, o); });
                    py::object report = py::cast(r.report);
                    return py_pca{tessera::spectral::pca_result<T>(std::move(r)), report};
                };
                return want_float(dtype, fn) ? fit(float{}) : fit(double{});
            },
            py::arg("source"), py::arg("n_components"), py::arg("tensor") = "", py::arg("method") = "gram",
            py::arg("passes") = 4, py::arg("oversampling") = 10, py::arg("signs") = "components", py::arg("whiten") = false,
            py::arg("seed") = st::svd_options{}.seed, py::arg("memory_budget") = default_budget, py::arg("block_rows") = 0,
            py::arg("progress") = false, py::arg("dtype") = "float32",
            "PCA of the rows of a matrix on disk: method='gram' (one pass) or 'randomized' (1 + passes);\n"
            "signs='scores' adds a pass and gives tessera.spectral.pca's signs. Returns tessera.spectral.PCA\n"
            "with .report (PassReport). Releases the GIL.");
        m.def(
            "truncated_svd",
            [](const py::object& source, std::size_t k, const std::string& tensor, const std::string& method,
               std::size_t passes, std::size_t oversampling, const std::string& signs, bool left_vectors,
               std::uint64_t seed, std::size_t memory_budget, std::size_t block_rows, bool progress,
               const std::string& dtype) {
                const char* fn = "stream::truncated_svd";
                const auto src = open_source(source, tensor);
                auto o = svd_opts(method, passes, oversampling, signs, seed, memory_budget, block_rows, progress, fn);
                o.left_vectors = left_vectors;
                auto fit = [&](auto tag) {
                    using T = decltype(tag);
                    auto r = without_gil([&] { return st::truncated_svd<T>(src, k, o); });
                    py::object report = py::cast(r.report);
                    py_svd out = svd_to_py(tessera::spectral::svd_result<T>(std::move(r)));
                    out.report = report;
                    return out;
                };
                return want_float(dtype, fn) ? fit(float{}) : fit(double{});
            },
            py::arg("source"), py::arg("k"), py::arg("tensor") = "", py::arg("method") = "gram", py::arg("passes") = 4,
            py::arg("oversampling") = 10, py::arg("signs") = "components", py::arg("left_vectors") = false,
            py::arg("seed") = st::svd_options{}.seed, py::arg("memory_budget") = default_budget, py::arg("block_rows") = 0,
            py::arg("progress") = false, py::arg("dtype") = "float32",
            "Truncated SVD of the (uncentred) rows of a matrix on disk; U only with left_vectors=True (one more\n"
            "pass, held in memory). Returns tessera.spectral.SVDResult with .report. Releases the GIL.");
    }
}  // namespace tessera_py
