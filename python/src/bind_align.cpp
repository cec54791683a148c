/// \file bind_align.cpp
/// tessera.align: orthogonal Procrustes (scipy-compatible orthogonal_procrustes plus tessera's
/// centred / scaled / weighted fit with residual and status), the scipy.spatial.procrustes
/// disparity, the PCA bridge between spaces of different dimension, retrieval precision@k and
/// the alignment report. float32 and float64 are kept as such.

#include <string>
#include <variant>
#include <vector>

#include <tessera/align/alignment_report.hpp>
#include <tessera/align/pca_bridge.hpp>
#include <tessera/align/procrustes.hpp>
#include <tessera/align/retrieval.hpp>

#include "common.hpp"

namespace tessera_py
{
    namespace
    {
        namespace al = tessera::align;

        using py_transform = either_dtype<al::similarity_transform>;

        template <class X>
        using value_of = typename std::decay_t<decltype(std::declval<X>().R)>::value_type;

        al::procrustes_options make_options(bool center, bool scale, bool allow_reflection, const py::object& weights,
                                            double rank_tolerance)
        {
            al::procrustes_options o;
            o.center = center;
            o.scale = scale;
            o.allow_reflection = allow_reflection;
            o.rank_tolerance = rank_tolerance;
            if (!weights.is_none())
            {
                const auto w = as_array<double>(weights);
                o.weights.assign(w.data(), w.data() + w.size());
            }
            return o;
        }

        /// Calls f(T{}, a, b) with A and B as read-only views of one dtype T (float32 only when
        /// both are float32; otherwise float64).
        template <class F>
        py::object dispatch2(const py::object& A, const py::object& B, const char* fn, F&& f)
        {
            const bool f32 = py::array::ensure(A).dtype().is(py::dtype::of<float>()) &&
                             py::array::ensure(B).dtype().is(py::dtype::of<float>());
            const auto run = [&](auto tag) -> py::object {
                using T = decltype(tag);
                const auto a = as_array<T>(A);
                const auto b = as_array<T>(B);
                return to_object(f(tag, view<T, 2>(a, fn, "A"), view<T, 2>(b, fn, "B")));
            };
            return f32 ? run(float{}) : run(double{});
        }

        template <class T>
        py::object apply_py(const al::similarity_transform<T>& t, const py::object& X, bool inverse)
        {
            const auto a = as_array<T>(X);
            const char* fn = inverse ? "align::similarity_transform::inverse_apply" : "align::similarity_transform::apply";
            const auto x = view<T, 2>(a, fn, inverse ? "Y" : "X");
            return to_numpy(without_gil([&] { return inverse ? t.inverse_apply(x) : t.apply(x); }));
        }

        py::dict metrics_dict(const al::alignment_metrics& r)
        {
            py::dict d;
            d["rows"] = r.rows;
            d["cosine"] = py::cast(r.cosine);
            d["cosine_median"] = r.cosine_median;
            d["worst_rows"] = r.worst_rows;
            d["worst_cosines"] = r.worst_cosines;
            d["residual"] = py::cast(r.residual);
            d["relative_residual"] = r.relative_residual;
            d["relational_pearson"] = r.relational_pearson;
            d["relational_spearman"] = r.relational_spearman;
            d["disparity"] = r.disparity;
            d["mapped_disparity"] = r.mapped_disparity;
            d["angular_distance"] = r.angular_distance;
            d["retrieval"] = py::cast(r.retrieval);
            d["volume_pearson"] = r.volume_pearson;
            d["volume_spearman"] = r.volume_spearman;
            d["pentachora"] = r.pentachora;
            d["status"] = status_to_py(r.status);
            return d;
        }
    }  // namespace

    void bind_align(py::module_& m)
    {
        m.doc() = "Alignment of embedding spaces: Procrustes, PCA bridge, retrieval, alignment report (docs/align.md).";

        py::class_<py_transform>(m, "SimilarityTransform",
                                 "y = scale * (x - mean_a) @ R + mean_b from space A [p] to space B [q]; R [p, q] has\n"
                                 "orthonormal columns (p >= q) or rows (p <= q).")
            .def_property_readonly("R", [](py::object self) {
                return visit(self.cast<const py_transform&>(), [&](const auto& t) -> py::object { return member_view(t.R, self); });
            }, "[p, q] (semi-)orthogonal map (read-only view)")
            .def_property_readonly("scale", [](const py_transform& t) { return visit(t, [](const auto& x) { return static_cast<double>(x.s); }); },
                                   "fitted scale s (1 unless fitted with scale=True)")
            .def_property_readonly("mean_a", [](py::object self) {
                return visit(self.cast<const py_transform&>(), [&](const auto& t) -> py::object { return member_view(t.mean_a, self); });
            }, "[p] centre of A (zeros when not centred)")
            .def_property_readonly("mean_b", [](py::object self) {
                return visit(self.cast<const py_transform&>(), [&](const auto& t) -> py::object { return member_view(t.mean_b, self); });
            }, "[q] centre of B")
            .def_property_readonly("singular_values", [](py::object self) {
                return visit(self.cast<const py_transform&>(), [&](const auto& t) -> py::object { return member_view(t.singular_values, self); });
            }, "[min(p, q)] singular values of A_c^T W B_c, descending (their sum is scipy's `scale`)")
            .def_property_readonly("residual", [](const py_transform& t) { return visit(t, [](const auto& x) { return x.residual; }); },
                                   "weighted fit residual ||W^1/2 (s A_c R - B_c)||_F on the fitting rows")
            .def_property_readonly("reflection_removed", [](const py_transform& t) { return visit(t, [](const auto& x) { return x.reflection_removed; }); },
                                   "True when the Kabsch flip made det(R) = +1")
            .def_property_readonly("status", [](const py_transform& t) { return visit(t, [](const auto& x) { return x.status; }); },
                                   "tessera.Status: rank_deficient, degenerate, fallback_used, or accuracy_limited (p > q, see docs/align.md)")
            .def_property_readonly("shape", [](const py_transform& t) { return visit(t, [](const auto& x) { return py::make_tuple(x.input_dim(), x.output_dim()); }); },
                                   "(p, q)")
            .def_property_readonly("dtype", &py_transform::dtype, "numpy dtype")
            .def("apply", [](const py_transform& t, const py::object& X) { return visit(t, [&](const auto& x) { return apply_py(x, X, false); }); },
                 py::arg("X"), "Maps rows X [m, p] into space B: scale (X - mean_a) R + mean_b, [m, q]. Releases the GIL.")
            .def("inverse_apply", [](const py_transform& t, const py::object& Y) { return visit(t, [&](const auto& x) { return apply_py(x, Y, true); }); },
                 py::arg("Y"), "Maps rows Y [m, q] back: (Y - mean_b) R^T / scale + mean_a (exact inverse when p <= q).")
            .def("__repr__", [](const py_transform& t) {
                return visit(t, [](const auto& x) {
                    return "SimilarityTransform(shape=(" + std::to_string(x.input_dim()) + ", " + std::to_string(x.output_dim()) +
                           "), scale=" + std::to_string(static_cast<double>(x.s)) + ", residual=" + std::to_string(x.residual) +
                           ", status=" + tessera::to_string(x.status.code) + ")";
                });
            });

        m.def("procrustes", [](const py::object& A, const py::object& B, bool center, bool scale, bool allow_reflection,
                               const py::object& weights, double rank_tolerance) {
                  const auto o = make_options(center, scale, allow_reflection, weights, rank_tolerance);
                  return dispatch2(A, B, "align::procrustes", [&](auto, const auto& a, const auto& b) {
                      return py_transform{without_gil([&] { return al::procrustes(a, b, o); })};
                  });
              },
              py::arg("A"), py::arg("B"), py::arg("center") = true, py::arg("scale") = false,
              py::arg("allow_reflection") = false, py::arg("weights") = py::none(), py::arg("rank_tolerance") = -1.0,
              "Orthogonal Procrustes: R [p, q], scale and centres minimising sum_i w_i ||s (a_i - mu_a) R - (b_i - mu_b)||^2.\n"
              "A [n, p], B [n, q] (float32 kept when both are float32, else float64). center: subtract (weighted) means;\n"
              "scale: fit s too; allow_reflection: permit det(R) = -1 (p == q); weights: [n] >= 0. Returns a\n"
              "SimilarityTransform with residual and status. Releases the GIL. Raises ValueError naming procrustes.");

        m.def("orthogonal_procrustes", [](const py::object& A, const py::object& B) {
                  al::procrustes_options o;
                  o.center = false;
                  o.allow_reflection = true;
                  return dispatch2(A, B, "align::orthogonal_procrustes", [&](auto tag, const auto& a, const auto& b) {
                      using T = decltype(tag);
                      auto t = without_gil([&] { return al::procrustes(a, b, o); });
                      double s = 0.0;
                      for (T v : t.singular_values)
                          s += static_cast<double>(v);
                      return py::make_tuple(to_numpy(std::move(t.R)), s);
                  });
              },
              py::arg("A"), py::arg("B"),
              "scipy.linalg.orthogonal_procrustes(A, B): (R, scale) with R minimising ||A R - B||_F over orthogonal R\n"
              "(no centring, reflections allowed) and scale the sum of the singular values of A^T B.\n"
              "procrustes(A, B, center=False, allow_reflection=True) gives the same R plus residual and status.");

        m.def("procrustes_disparity", [](const py::object& A, const py::object& B) {
                  return dispatch2(A, B, "align::procrustes_disparity", [&](auto, const auto& a, const auto& b) {
                      return without_gil([&] { return al::procrustes_disparity(a, b); });
                  });
              },
              py::arg("A"), py::arg("B"),
              "scipy.spatial.procrustes(A, B)[2]: the disparity 1 - (tr Sigma)^2 of the standardised (centred, unit\n"
              "Frobenius norm) matrices after the best similarity map, in [0, 1].");

        py::class_<al::retrieval_result>(m, "RetrievalResult", "Retrieval of each query's partner among the targets (cosine ranking).")
            .def_readonly("ks", &al::retrieval_result::ks, "the requested k")
            .def_readonly("precision", &al::retrieval_result::precision, "precision[j]: fraction of queries whose partner ranks < ks[j]")
            .def_property_readonly("rank", [](const al::retrieval_result& r) { return to_numpy(std::vector<std::size_t>(r.rank)); },
                                   "[m] 0-based rank of each partner; t (number of targets) for a zero-row miss")
            .def_readonly("mean_reciprocal_rank", &al::retrieval_result::mean_reciprocal_rank, "mean of 1 / (rank + 1)")
            .def_readonly("zero_rows", &al::retrieval_result::zero_rows, "queries missed because they or their partner are zero")
            .def_readonly("status", &al::retrieval_result::status, "tessera.Status (degenerate when zero_rows > 0)")
            .def("at", &al::retrieval_result::at, py::arg("k"), "P@k for one requested k (ValueError otherwise)")
            .def("__repr__", [](const al::retrieval_result& r) {
                std::string s = "RetrievalResult(";
                for (std::size_t j = 0; j < r.ks.size(); ++j)
                    s += (j ? ", P@" : "P@") + std::to_string(r.ks[j]) + "=" + std::to_string(r.precision[j]);
                return s + ", mrr=" + std::to_string(r.mean_reciprocal_rank) + ")";
            });

        m.def("retrieval_precision", [](const py::object& queries, const py::object& targets, const std::vector<std::size_t>& ks,
                                        bool cosine, const py::object& partners) {
                  al::retrieval_options o;
                  o.ks = ks;
                  o.cosine = cosine;
                  std::vector<std::size_t> idx;
                  if (!partners.is_none())
                      idx = partners.cast<std::vector<std::size_t>>();
                  return dispatch2(queries, targets, "align::retrieval_precision", [&](auto, const auto& q, const auto& t) {
                      return without_gil([&] {
                          return partners.is_none() ? al::retrieval_precision(q, t, o) : al::retrieval_precision(q, t, idx, o);
                      });
                  });
              },
              py::arg("queries"), py::arg("targets"), py::arg("ks") = std::vector<std::size_t>{1, 5, 10},
              py::arg("cosine") = true, py::arg("partners") = py::none(),
              "Rank of each query's partner (target row i, or partners[i]) among all target rows by cosine (or dot\n"
              "product with cosine=False); P@k, ranks and MRR as a RetrievalResult. Blocked GEMMs, GIL released.");

        m.def("pca_bridge", [](const py::object& A, const py::object& B, std::size_t n_components, bool center, bool scale,
                               bool allow_reflection) {
                  al::pca_bridge_options o;
                  o.components = n_components;
                  o.procrustes.center = center;
                  o.procrustes.scale = scale;
                  o.procrustes.allow_reflection = allow_reflection;
                  return dispatch2(A, B, "align::pca_bridge", [&](auto, const auto& a, const auto& b) {
                      auto r = without_gil([&] { return al::pca_bridge(a, b, o); });
                      py::dict d;
                      d["transform"] = py_transform{std::move(r.transform)};
                      d["reduced"] = py_transform{std::move(r.reduced)};
                      d["reduced_a"] = r.reduced_a;
                      d["reduced_b"] = r.reduced_b;
                      d["n_components"] = r.components;
                      d["retained_variance_a"] = r.retained_variance_a;
                      d["retained_variance_b"] = r.retained_variance_b;
                      return d;
                  });
              },
              py::arg("A"), py::arg("B"), py::arg("n_components") = 0, py::arg("center") = true, py::arg("scale") = false,
              py::arg("allow_reflection") = false,
              "Aligns A [n, p] to B [n, q] through k = n_components (0: min(p, q)) principal components of each side\n"
              "wider than k, then Procrustes between the k-dim spaces. Returns a dict: transform (SimilarityTransform\n"
              "p -> q, the composed map), reduced (the k -> k fit), reduced_a, reduced_b, n_components,\n"
              "retained_variance_a, retained_variance_b. allow_reflection acts only when no side is reduced\n"
              "(p == q == n_components); otherwise the k x k fit between PCA coordinates (of arbitrary sign) always\n"
              "allows reflections. Releases the GIL.");

        m.def("alignment_report", [](const py_transform& t, const py::object& A_test, const py::object& B_test,
                                     std::size_t worst_rows, const std::vector<std::size_t>& ks, bool retrieval,
                                     std::size_t pairs, std::size_t pentachora, std::uint64_t seed) {
                  al::alignment_report_options o;
                  o.worst_rows = worst_rows;
                  o.ks = ks;
                  o.retrieval = retrieval;
                  o.pairs = pairs;
                  o.pentachora = pentachora;
                  o.seed = seed;
                  return visit(t, [&](const auto& x) {
                      using T = value_of<decltype(x)>;
                      const auto a = as_array<T>(A_test);
                      const auto b = as_array<T>(B_test);
                      const auto av = view<T, 2>(a, "align::alignment_report", "A_test");
                      const auto bv = view<T, 2>(b, "align::alignment_report", "B_test");
                      return metrics_dict(without_gil([&] { return al::alignment_report(x, av, bv, o); }));
                  });
              },
              py::arg("transform"), py::arg("A_test"), py::arg("B_test"), py::arg("worst_rows") = 10,
              py::arg("ks") = std::vector<std::size_t>{1, 5, 10}, py::arg("retrieval") = true, py::arg("pairs") = 20000,
              py::arg("pentachora") = 2000, py::arg("seed") = 0,
              "How well `transform` aligns held-out pairs (A_test [m, p] -> B_test [m, q]): dict with rows, cosine and\n"
              "residual summaries (tessera.stats.DistributionSummary), cosine_median, worst_rows/worst_cosines,\n"
              "relative_residual, relational_pearson/spearman, disparity (scipy.spatial.procrustes), mapped_disparity,\n"
              "angular_distance, retrieval (RetrievalResult), volume_pearson/spearman of pentachoron volumes, pentachora,\n"
              "status. Releases the GIL.");
    }
}  // namespace tessera_py
