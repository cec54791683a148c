/// \file bind_spectral.cpp
/// tessera.spectral: truncated_svd / adaptive_svd / pca, the spectrum metrics and
/// spectrum_report (docs/python.md). Results hold numpy arrays moved out of the C++ results
/// (no copy); float32 input gives float32 factors.

#include <cmath>
#include <memory>
#include <variant>

#include <tessera/spectral.hpp>

#include "common.hpp"

namespace tessera_py
{
    namespace
    {
        namespace sp = tessera::spectral;

        sp::svd_method parse_svd_method(const std::string& m, const char* fn)
        {
            return choice<sp::svd_method>(m,
                                          {{"automatic", sp::svd_method::automatic},
                                           {"exact", sp::svd_method::exact},
                                           {"gram", sp::svd_method::gram},
                                           {"randomized", sp::svd_method::randomized}},
                                          fn, "method");
        }


    }  // namespace

    void bind_spectral(py::module_& m)
    {
        m.doc() = "Truncated / adaptive SVD, PCA and spectrum metrics (numpy.linalg.svd / sklearn conventions).";

        py::class_<py_svd>(m, "SVDResult",
                           "Truncated SVD A ~ U diag(S) Vt. Unpacks like scipy: U, s, Vt = truncated_svd(A, k).")
            .def_readonly("U", &py_svd::U, "[m, r] left singular vectors (orthonormal columns)")
            .def_readonly("S", &py_svd::S, "[r] singular values, descending")
            .def_readonly("Vt", &py_svd::Vt, "[r, n] right singular vectors (orthonormal rows)")
            .def_readonly("status", &py_svd::status, "tessera.Status of the computation (fallbacks, accuracy)")
            .def_readonly("method", &py_svd::method, "the method that produced the factors: exact, gram or randomized")
            .def_readonly("relative_error", &py_svd::relative_error,
                          "adaptive_svd: ||A - U S Vt||_F / ||A||_F (nan for truncated_svd)")
            .def_readonly("basis_size", &py_svd::basis_size, "adaptive_svd: columns of the range basis built")
            .def_readonly("report", &py_svd::report, "tessera.stream.PassReport of a streamed SVD (None in memory)")
            .def_property_readonly("rank", [](const py_svd& r) { return py::len(r.S); }, "r")
            .def("__iter__", [](const py_svd& r) { return py::iter(py::make_tuple(r.U, r.S, r.Vt)); })
            .def("__len__", [](const py_svd&) { return 3; })
            .def("__repr__", [](const py_svd& r) {
                return "SVDResult(rank=" + std::to_string(py::len(r.S)) + ", method='" + r.method + "', status=" +
                       tessera::to_string(r.status.code) + ")";
            });

        m.def(
            "truncated_svd",
            [](const py::object& A, std::size_t k, const std::string& method, std::size_t oversampling,
               std::size_t power_iterations, std::uint64_t seed, bool flip_signs, bool block_krylov) {
                sp::truncated_svd_options o;
                o.method = parse_svd_method(method, "spectral::truncated_svd");
                o.oversampling = oversampling;
                o.power_iterations = power_iterations;
                o.seed = seed;
                o.flip_signs = flip_signs;
                o.block_krylov = block_krylov;
                return dispatch(A, [&](auto tag) {
                    using T = decltype(tag);
                    const auto a = as_array<T>(A);
                    const auto v = view<T, 2>(a, "spectral::truncated_svd", "A");
                    return svd_to_py(without_gil([&] { return sp::truncated_svd(v, k, o); }));
                });
            },
            py::arg("A"), py::arg("k"), py::arg("method") = "automatic", py::arg("oversampling") = 10,
            py::arg("power_iterations") = 4, py::arg("seed") = sp::truncated_svd_options{}.seed,
            py::arg("flip_signs") = true, py::arg("block_krylov") = false,
            "The k leading singular triplets of A [m, n]; returns SVDResult (unpacks as U, s, Vt like\n"
            "scipy.sparse.linalg.svds, but sorted descending). method: 'automatic' (default rule, see\n"
            "docs/spectral.md), 'exact' (LAPACK gesdd), 'gram' (A^T A in double, falls back to exact when\n"
            "the tail is unresolvable) or 'randomized' (Halko et al., oversampling, power_iterations, seed).\n"
            "flip_signs: sklearn's svd_flip (largest |U| entry of each column positive). block_krylov\n"
            "(randomized): keep every iteration's block and take the factors from a Rayleigh-Ritz step on\n"
            "their span (power_iterations=3, oversampling=0: 7 passes over A, docs/spectral.md). Releases the GIL.");

        m.def(
            "adaptive_svd",
            [](const py::object& A, double rel_tol, std::size_t block_size, std::size_t power_iterations,
               std::size_t max_rank, std::uint64_t seed, bool flip_signs) {
                sp::adaptive_svd_options o;
                o.block_size = block_size;
                o.power_iterations = power_iterations;
                o.max_rank = max_rank;
                o.seed = seed;
                o.flip_signs = flip_signs;
                return dispatch(A, [&](auto tag) {
                    using T = decltype(tag);
                    const auto a = as_array<T>(A);
                    const auto v = view<T, 2>(a, "spectral::adaptive_svd", "A");
                    auto r = without_gil([&] { return sp::adaptive_svd(v, rel_tol, o); });
                    const double err = r.relative_error;
                    const std::size_t basis = r.basis_size;
                    py_svd out = svd_to_py(static_cast<sp::svd_result<T>&&>(std::move(r)));
                    out.relative_error = err;
                    out.basis_size = basis;
                    return out;
                });
            },
            py::arg("A"), py::arg("rel_tol"), py::arg("block_size") = 16, py::arg("power_iterations") = 1,
            py::arg("max_rank") = 0, py::arg("seed") = sp::adaptive_svd_options{}.seed, py::arg("flip_signs") = true,
            "Truncated SVD of the smallest rank found with ||A - U S Vt||_F <= rel_tol ||A||_F (randomized\n"
            "blocked range finder). max_rank=0 means min(m, n). Returns SVDResult with relative_error;\n"
            "status says when rel_tol was not met. Releases the GIL.");

        py::class_<py_pca> pc(m, "PCA", "A fitted PCA (sklearn.decomposition.PCA names): X ~ mean_ + scores components_.");
        const auto arr = [&pc](const char* name, auto getter, const char* doc) {
            pc.def_property_readonly(
                name,
                [getter](py::object self) -> py::object {
                    return std::visit([&](const auto& r) -> py::object { return member_view(getter(r), self); },
                                      self.cast<const py_pca&>().fit);
                },
                doc);
        };
        arr("components_", [](const auto& r) -> const auto& { return r.components; }, "[k, n] principal axes (orthonormal rows)");
        arr("mean_", [](const auto& r) -> const auto& { return r.mean; }, "[n] column means");
        arr("explained_variance_", [](const auto& r) -> const auto& { return r.explained_variance; },
            "[k] sigma_i^2 / (m - 1)");
        arr("explained_variance_ratio_", [](const auto& r) -> const auto& { return r.explained_variance_ratio; },
            "[k] explained_variance_ / total variance");
        arr("singular_values_", [](const auto& r) -> const auto& { return r.singular_values; }, "[k] of the centred X");
        const auto scalar = [&pc](const char* name, auto getter, const char* doc) {
            pc.def_property_readonly(
                name, [getter](const py_pca& p) { return std::visit([&](const auto& r) { return getter(r); }, p.fit); }, doc);
        };
        scalar("n_components_", [](const auto& r) { return r.components.shape(0); }, "k");
        scalar("n_samples_", [](const auto& r) { return r.n_samples; }, "m");
        scalar("total_variance", [](const auto& r) { return r.total_variance; }, "sum of column variances (ddof=1)");
        scalar("whiten", [](const auto& r) { return r.whiten; }, "as fitted");
        scalar("status", [](const auto& r) { return r.status; }, "tessera.Status of the underlying SVD");
        scalar("method", [](const auto& r) { return std::string(sp::to_string(r.method)); }, "the SVD method that ran");
        pc.def_readonly("report", &py_pca::report, "tessera.stream.PassReport of a streamed fit (None in memory)");
        // transform / inverse_transform: the input converted to the fit's dtype, the result new.
        const auto apply = [](auto method, const char* fn, const char* param) {
            return [method, fn, param](const py_pca& p, const py::object& X) {
                return std::visit(
                    [&](const auto& r) -> py::object {
                        using T = typename std::decay_t<decltype(r.mean)>::value_type;
                        return to_numpy(method(r, to_xtensor<T, 2>(as_array<T>(X), fn, param)));
                    },
                    p.fit);
            };
        };
        pc.def("transform", apply([](const auto& r, const auto& x) { return r.transform(x); }, "spectral::pca_result::transform", "X"),
               py::arg("X"), "Scores (X - mean_) components_^T [p, k] (divided by sqrt(explained_variance_) if whiten).")
            .def("inverse_transform",
                 apply([](const auto& r, const auto& z) { return r.inverse_transform(z); }, "spectral::pca_result::inverse_transform", "Z"),
                 py::arg("Z"), "Back to data space: Z components_ + mean_ [p, n].")
            .def("__repr__", [](const py_pca& p) {
                return std::visit(
                    [](const auto& r) {
                        return "PCA(n_components=" + std::to_string(r.components.shape(0)) + ", n_samples=" +
                               std::to_string(r.n_samples) + ", status=" + tessera::to_string(r.status.code) + ")";
                    },
                    p.fit);
            });

        m.def(
            "pca",
            [](const py::object& X, std::size_t n_components, bool whiten, const std::string& method) {
                sp::pca_options o;
                o.whiten = whiten;
                o.svd.method = parse_svd_method(method, "spectral::pca");
                return dispatch(X, [&](auto tag) {
                    using T = decltype(tag);
                    const auto a = as_array<T>(X);
                    const auto v = view<T, 2>(a, "spectral::pca", "A");
                    return py_pca{without_gil([&] { return sp::pca(v, n_components, o); }), py::none()};
                });
            },
            py::arg("X"), py::arg("n_components"), py::arg("whiten") = false, py::arg("method") = "automatic",
            "Centred PCA of X [m, n] with n_components components; returns PCA (sklearn-style fields\n"
            "components_, explained_variance_, explained_variance_ratio_, singular_values_, mean_; transform,\n"
            "inverse_transform). method='automatic' is the fastest exact path. Releases the GIL.");

        // Metrics of a singular-value (or eigenvalue) vector.
#define TESSERA_PY_METRIC(name, doc)                                                                        \
    m.def(                                                                                                  \
        #name,                                                                                              \
        [](const py::object& S) {                                                                           \
            return with_view<1>(S, "spectral::" #name, "S", [](const auto& v) { return sp::name(v); });         \
        },                                                                                                  \
        py::arg("S"), doc)
        TESSERA_PY_METRIC(stable_rank, "||A||_F^2 / sigma_1^2 from the singular values S.");
        TESSERA_PY_METRIC(participation_ratio_sigma, "(sum sigma)^2 / sum sigma^2 of the singular values S.");
        TESSERA_PY_METRIC(participation_ratio_lambda,
                          "(sum lambda)^2 / sum lambda^2 of eigenvalues (e.g. of the covariance) S.");
        TESSERA_PY_METRIC(effective_rank_entropy, "exp H(sigma / sum sigma) (Roy & Vetterli).");
        TESSERA_PY_METRIC(effective_rank_vonneumann, "exp H(sigma^2 / sum sigma^2).");
        TESSERA_PY_METRIC(spectral_entropy, "H(sigma^2 / sum sigma^2) in nats.");
        TESSERA_PY_METRIC(condition_number, "sigma_1 / sigma_min (inf when singular).");
#undef TESSERA_PY_METRIC
        m.def(
            "energy_rank",
            [](const py::object& S, double tau) {
                return with_view<1>(S, "spectral::energy_rank", "S", [&](const auto& v) { return sp::energy_rank(v, tau); });
            },
            py::arg("S"), py::arg("tau") = 0.9, "Smallest r with sum_{i<r} sigma_i^2 >= tau sum sigma^2.");
        m.def(
            "active_fraction",
            [](const py::object& S, double threshold) {
                return with_view<1>(S, "spectral::active_fraction", "S",
                                   [&](const auto& v) { return sp::active_fraction(v, threshold); });
            },
            py::arg("S"), py::arg("threshold") = 1e-3, "Fraction of sigma_i > threshold sigma_1.");

        py::class_<sp::spectrum_summary> ss(m, "SpectrumSummary", "Every spectrum metric of one matrix (spectrum_report).");
        def_array(ss, "singular_values", &sp::spectrum_summary::singular_values, "[min(m, n)] descending");
        def_array(ss, "covariance_eigenvalues", &sp::spectrum_summary::covariance_eigenvalues,
                  "[min(m, n)] of cov(A) (ddof=1), descending");
        ss.def_readonly("frobenius_norm", &sp::spectrum_summary::frobenius_norm, "||A||_F")
            .def_readonly("spectral_norm", &sp::spectrum_summary::spectral_norm, "sigma_1")
            .def_readonly("stable_rank", &sp::spectrum_summary::stable_rank, "||A||_F^2 / sigma_1^2")
            .def_readonly("participation_ratio_sigma", &sp::spectrum_summary::participation_ratio_sigma, "")
            .def_readonly("participation_ratio_lambda", &sp::spectrum_summary::participation_ratio_lambda, "centred")
            .def_readonly("effective_rank_entropy", &sp::spectrum_summary::effective_rank_entropy, "")
            .def_readonly("effective_rank_vonneumann", &sp::spectrum_summary::effective_rank_vonneumann, "")
            .def_readonly("spectral_entropy", &sp::spectrum_summary::spectral_entropy, "nats")
            .def_readonly("energy_rank", &sp::spectrum_summary::energy_rank, "for energy_tau")
            .def_readonly("active_fraction", &sp::spectrum_summary::active_fraction, "for active_threshold")
            .def_readonly("condition_number", &sp::spectrum_summary::condition_number, "sigma_1 / sigma_min")
            .def_readonly("method", &sp::spectrum_summary::method, "'gram' or 'gram+exact'")
            .def_readonly("status", &sp::spectrum_summary::status, "tessera.Status")
            .def("__repr__", [](const sp::spectrum_summary& s) {
                return "SpectrumSummary(stable_rank=" + py::repr(py::float_(s.stable_rank)).cast<std::string>() +
                       ", participation_ratio_lambda=" +
                       py::repr(py::float_(s.participation_ratio_lambda)).cast<std::string>() +
                       ", status=" + tessera::to_string(s.status.code) + ")";
            });
        m.def(
            "spectrum_report",
            [](const py::object& A, double energy_tau, double active_threshold, bool exact_tail) {
                sp::spectrum_report_options o;
                o.energy_tau = energy_tau;
                o.active_threshold = active_threshold;
                o.exact_tail = exact_tail;
                return dispatch(A, [&](auto tag) {
                    using T = decltype(tag);
                    const auto a = as_array<T>(A);
                    const auto v = view<T, 2>(a, "spectral::spectrum_report", "A");
                    return without_gil([&] { return sp::spectrum_report(v, o); });
                });
            },
            py::arg("A"), py::arg("energy_tau") = 0.9, py::arg("active_threshold") = 1e-3, py::arg("exact_tail") = true,
            "Every spectrum metric of A [m, n] from one Gram pass; returns SpectrumSummary. Releases the GIL.");
    }
}  // namespace tessera_py
