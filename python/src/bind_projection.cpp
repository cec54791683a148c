/// \file bind_projection.cpp
/// tessera.projection: seeded random projections (sklearn.random_projection kinds), their
/// reconstruction, distortion and operator reports, Johnson-Lindenstrauss bounds (docs/python.md).

#include <variant>

#include <tessera/projection.hpp>

#include "common.hpp"

namespace tessera_py
{
    namespace
    {
        namespace pj = tessera::projection;

        /// A random_projection of either element type (dtype chosen at construction).
        struct py_projection
        {
            std::variant<pj::random_projection<float>, pj::random_projection<double>> p;
        };

        pj::projection_kind parse_kind(const std::string& k)
        {
            return choice<pj::projection_kind>(k,
                                               {{"gaussian", pj::projection_kind::gaussian},
                                                {"orthonormal", pj::projection_kind::orthonormal},
                                                {"achlioptas", pj::projection_kind::achlioptas},
                                                {"very_sparse", pj::projection_kind::very_sparse}},
                                               "projection::random_projection", "kind");
        }

        template <class T>
        T element_of(const pj::random_projection<T>&);

        /// Applies `f(projection, view of obj as the projection's T)`; obj is converted to T.
        template <class F>
        py::object with_input(const py_projection& self, const py::object& obj, const char* fn, const char* param, F&& f)
        {
            return std::visit(
                [&](const auto& proj) -> py::object {
                    using T = decltype(element_of(proj));
                    const auto a = as_array<T>(obj);
                    const auto v = view<T, 2>(a, fn, param);
                    return to_object(f(proj, v));
                },
                self.p);
        }
    }  // namespace

    void bind_projection(py::module_& m)
    {
        m.doc() = "Seeded random projections P [d, k] (gaussian, orthonormal, achlioptas, very_sparse), "
                  "reconstruction through pinv(P), distortion reports and Johnson-Lindenstrauss bounds.";

        py::class_<py_projection>(m, "RandomProjection",
                                  "A random projection P [d, k] regenerable from (d, k, kind, seed): W [n, d] -> W P [n, k].\n"
                                  "Same arguments give the same P bit for bit at any thread count.")
            .def(py::init([](std::size_t d, std::size_t k, const std::string& kind, std::uint64_t seed, const py::object& dtype) {
                     const py::dtype dt = py::dtype::from_args(dtype);
                     if (dt.kind() == 'f' && dt.itemsize() == 4)
                         return py_projection{pj::random_projection<float>(d, k, parse_kind(kind), seed)};
                     tessera::require(dt.kind() == 'f' && dt.itemsize() == 8, "projection::random_projection", "dtype=",
                                      dt.attr("name").cast<std::string>(), " must be float32 or float64");
                     return py_projection{pj::random_projection<double>(d, k, parse_kind(kind), seed)};
                 }),
                 py::arg("d"), py::arg("k"), py::arg("kind") = "gaussian", py::arg("seed") = 0,
                 py::arg("dtype") = py::dtype::of<double>(),
                 "d input and k output dimensions; kind 'gaussian' (N(0, 1/k), default), 'orthonormal' (k <= d),\n"
                 "'achlioptas' or 'very_sparse'; dtype float32 or float64 (inputs are converted to it).")
            .def_property_readonly("input_dim", [](const py_projection& s) { return std::visit([](const auto& p) { return p.input_dim(); }, s.p); }, "d")
            .def_property_readonly("output_dim", [](const py_projection& s) { return std::visit([](const auto& p) { return p.output_dim(); }, s.p); }, "k")
            .def_property_readonly("kind", [](const py_projection& s) { return std::string(pj::to_string(std::visit([](const auto& p) { return p.kind(); }, s.p))); }, "kind name")
            .def_property_readonly("seed", [](const py_projection& s) { return std::visit([](const auto& p) { return p.seed(); }, s.p); }, "seed")
            .def_property_readonly("dtype", [](const py_projection& s) { return s.p.index() == 0 ? py::dtype::of<float>() : py::dtype::of<double>(); }, "element type")
            .def_property_readonly("is_sparse", [](const py_projection& s) { return std::visit([](const auto& p) { return p.is_sparse(); }, s.p); }, "stored as column index lists")
            .def_property_readonly("density", [](const py_projection& s) { return std::visit([](const auto& p) { return p.density(); }, s.p); }, "fraction of non-zeros")
            .def_property_readonly("nnz", [](const py_projection& s) { return std::visit([](const auto& p) { return p.nnz(); }, s.p); }, "non-zeros")
            .def_property_readonly("norm_scale", [](const py_projection& s) { return std::visit([](const auto& p) { return p.norm_scale(); }, s.p); },
                                   "E ||w P||^2 / ||w||^2 (k/d for orthonormal, else 1)")
            .def("matrix", [](const py_projection& s) { return std::visit([](const auto& p) -> py::object { return to_numpy(p.matrix()); }, s.p); },
                 "The dense P [d, k] (a new array).")
            .def(
                "project",
                [](const py_projection& s, const py::object& W) {
                    return with_input(s, W, "projection::random_projection::project", "W", [](const auto& p, const auto& v) {
                        return to_numpy(without_gil([&] { return p.project(v); }));
                    });
                },
                py::arg("W"), "W [n, d] -> W P [n, k]. Releases the GIL.")
            .def(
                "reconstruct",
                [](const py_projection& s, const py::object& Y, bool exact) {
                    return with_input(s, Y, "projection::random_projection::reconstruct", "Y", [&](const auto& p, const auto& v) {
                        return to_numpy(without_gil([&] { return p.reconstruct(v, pj::reconstruct_options{exact}); }));
                    });
                },
                py::arg("Y"), py::arg("exact") = false,
                "Y [n, k] -> Y pinv(P) [n, d]: the least-squares W for Y = W P. exact=True uses the SVD\n"
                "pseudoinverse (numpy.linalg.pinv), else a k x k Cholesky in double. Releases the GIL.")
            .def(
                "reconstruct_scaled",
                [](const py_projection& s, const py::object& Y, bool exact) {
                    return with_input(s, Y, "projection::random_projection::reconstruct_scaled", "Y", [&](const auto& p, const auto& v) {
                        return to_numpy(without_gil([&] { return p.reconstruct_scaled(v, pj::reconstruct_options{exact}); }));
                    });
                },
                py::arg("Y"), py::arg("exact") = false, "(d / k) Y pinv(P) [n, d] (see docs/projection.md).")
            .def(
                "pseudoinverse",
                [](const py_projection& s, bool exact) {
                    return std::visit(
                        [&](const auto& p) {
                            auto r = p.pseudoinverse(pj::reconstruct_options{exact});
                            return py::make_tuple(to_numpy(std::move(r.matrix)), r.status);
                        },
                        s.p);
                },
                py::arg("exact") = false, "(pinv(P) [k, d], status): status fallback_used or rank_deficient when so.")
            .def("__repr__", [](const py_projection& s) {
                return std::visit(
                    [&](const auto& p) {
                        return "RandomProjection(d=" + std::to_string(p.input_dim()) + ", k=" + std::to_string(p.output_dim()) +
                               ", kind='" + pj::to_string(p.kind()) + "', seed=" + std::to_string(p.seed()) +
                               (s.p.index() == 0 ? ", dtype=float32)" : ", dtype=float64)");
                    },
                    s.p);
            });

        m.def("johnson_lindenstrauss_min_dim", &pj::johnson_lindenstrauss_min_dim, py::arg("n"), py::arg("eps") = 0.1,
              "floor(4 ln n / (eps^2/2 - eps^3/3)), as sklearn.random_projection.johnson_lindenstrauss_min_dim.");
        m.def("johnson_lindenstrauss_eps", &pj::johnson_lindenstrauss_eps, py::arg("n"), py::arg("k"),
              "The eps in (0, 1) that johnson_lindenstrauss_min_dim(n, eps) = k guarantees (its inverse).");

        py::class_<pj::distortion_stats>(m, "DistortionStats",
                                         "Over sampled pairs: r = ||(w_i - w_j) P||^2 / (norm_scale ||w_i - w_j||^2).")
            .def_readonly("pairs", &pj::distortion_stats::pairs, "pairs measured")
            .def_readonly("skipped", &pj::distortion_stats::skipped, "pairs of identical rows")
            .def_readonly("ratio", &pj::distortion_stats::ratio,
                          "tessera.stats.DistributionSummary of r: mean, std (divisor pairs), min, max, percentile(p)")
            .def_readonly("eps", &pj::distortion_stats::eps, "the eps asked")
            .def_readonly("fraction_outside", &pj::distortion_stats::fraction_outside, "fraction with |r - 1| > eps")
            .def_readonly("max_abs_log", &pj::distortion_stats::max_abs_log, "max |ln r|")
            .def_readonly("jl_eps", &pj::distortion_stats::jl_eps, "johnson_lindenstrauss_eps(n, k) (nan when k <= 24 ln n)")
            .def_readonly("jl_min_dim", &pj::distortion_stats::jl_min_dim, "johnson_lindenstrauss_min_dim(n, eps)")
            .def("__repr__", [](const pj::distortion_stats& d) {
                return "DistortionStats(pairs=" + std::to_string(d.pairs) + ", mean=" + py::repr(py::float_(d.ratio.mean)).cast<std::string>() +
                       ", fraction_outside=" + py::repr(py::float_(d.fraction_outside)).cast<std::string>() + ")";
            });
        m.def(
            "distortion_report",
            [](const py::object& W, const py_projection& proj, std::size_t pairs, double eps, std::uint64_t seed) {
                return with_input(proj, W, "projection::distortion_report", "W", [&](const auto& p, const auto& v) {
                    return without_gil([&] { return pj::distortion_report(v, p, pj::distortion_options{pairs, eps}, seed); });
                });
            },
            py::arg("W"), py::arg("projection"), py::arg("pairs") = 10000, py::arg("eps") = 0.1, py::arg("seed") = 0,
            "Pairwise squared-distance distortion of W [n, d] under projection (seeded pairs). Releases the GIL.");

        py::class_<pj::operator_stats>(m, "OperatorStats", "The reconstruction operator O = P pinv(P) [d, d] against an isotropic one.")
            .def_readonly("f", &pj::operator_stats::f, "trace(O) / d")
            .def_readonly("expected_f", &pj::operator_stats::expected_f, "min(k, d) / d")
            .def_readonly("trace", &pj::operator_stats::trace, "trace(O)")
            .def_readonly("diagonal_std", &pj::operator_stats::diagonal_std, "std of O_ii")
            .def_readonly("expected_diagonal_std", &pj::operator_stats::expected_diagonal_std, "isotropic reference")
            .def_readonly("offdiag_rms", &pj::operator_stats::offdiag_rms, "rms of O_ij, i != j")
            .def_readonly("expected_offdiag_rms", &pj::operator_stats::expected_offdiag_rms, "isotropic reference")
            .def_readonly("offdiag_max_abs", &pj::operator_stats::offdiag_max_abs, "max |O_ij|, i != j")
            .def_readonly("asymmetry", &pj::operator_stats::asymmetry, "||O - O^T||_F / ||O||_F")
            .def_readonly("idempotence_error", &pj::operator_stats::idempotence_error, "||O - O^2||_F / ||O||_F")
            .def_readonly("status", &pj::operator_stats::status, "of the pseudoinverse")
            .def("__repr__", [](const pj::operator_stats& o) {
                return "OperatorStats(f=" + py::repr(py::float_(o.f)).cast<std::string>() + ", status=" +
                       tessera::to_string(o.status.code) + ")";
            });
        m.def(
            "operator_report",
            [](const py_projection& proj, bool exact) {
                return std::visit([&](const auto& p) { return pj::operator_report(p, pj::reconstruct_options{exact}); }, proj.p);
            },
            py::arg("projection"), py::arg("exact") = false, "Statistics of O = P pinv(P). Returns OperatorStats.");
    }
}  // namespace tessera_py
