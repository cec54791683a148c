/// \file bind_simplex.cpp
/// tessera.simplex: simplex volumes (single, batched, statistics, reports), docs/python.md.

#include <tessera/simplex.hpp>

#include "common.hpp"

namespace tessera_py
{
    namespace
    {
        namespace sx = tessera::simplex;

        sx::volume_method parse_method(const std::string& m, const char* fn)
        {
            return choice<sx::volume_method>(
                m, {{"qr", sx::volume_method::qr}, {"cayley_menger", sx::volume_method::cayley_menger}}, fn, "method");
        }

        std::string summary_repr(const sx::volume_summary& s)
        {
            return "VolumeSummary(count=" + std::to_string(s.count) + ", mean=" + py::repr(py::float_(s.mean)).cast<std::string>() +
                   ", cv=" + py::repr(py::float_(s.cv)).cast<std::string>() + ")";
        }
    }  // namespace

    void bind_simplex(py::module_& m)
    {
        m.doc() = "Simplex volumes: single (QR or Cayley-Menger), batched over row indices, sampled statistics.";

        m.def(
            "volume",
            [](const py::object& points, const std::string& method) {
                const auto meth = parse_method(method, "simplex::volume");
                return with_view<2>(points, "simplex::volume", "points", [&](const auto& v) { return sx::volume(v, meth); });
            },
            py::arg("points"), py::arg("method") = "qr",
            "Volume V of the k-simplex whose k+1 vertices are the rows of points [k+1, d] (k <= d).\n\n"
            "method: 'qr' (default, Householder QR of the edges in double, accurate) or 'cayley_menger'\n"
            "(bordered determinant, fragile for near-flat simplices). Returns a float.");
        m.def(
            "volume_squared",
            [](const py::object& points, const std::string& method) {
                const auto meth = parse_method(method, "simplex::volume_squared");
                return with_view<2>(points, "simplex::volume_squared", "points",
                                   [&](const auto& v) { return sx::volume_squared(v, meth); });
            },
            py::arg("points"), py::arg("method") = "qr", "V^2 of the simplex with vertex rows points [k+1, d].");
        m.def(
            "cayley_menger_matrix",
            [](const py::object& D2) {
                return with_view<2>(D2, "simplex::cayley_menger_matrix", "D2",
                                   [](const auto& v) { return to_numpy(sx::cayley_menger_matrix(v)); });
            },
            py::arg("D2"), "The bordered [k+2, k+2] Cayley-Menger matrix of squared distances D2 [k+1, k+1].");
        m.def(
            "volume_squared_from_distances",
            [](const py::object& D2) {
                return with_view<2>(D2, "simplex::volume_squared_from_distances", "D2",
                                   [](const auto& v) { return sx::volume_squared_from_distances(v); });
            },
            py::arg("D2"),
            "Signed V^2 from the squared-distance matrix D2 [k+1, k+1] (negative when D2 is not Euclidean).");

        py::class_<sx::simplex_volumes_result> svr(m, "SimplexVolumes", "Result of simplex_volumes (arrays are read-only views).");
        def_array(svr, "volume", &sx::simplex_volumes_result::volume, "[B] V (or V^2 when squared=True)");
        def_array(svr, "normalized_volume", &sx::simplex_volumes_result::normalized_volume,
                  "[B] V / V_regular(mean edge): 1 regular, 0 flat");
        def_array(svr, "degenerate", &sx::simplex_volumes_result::degenerate,
                  "[B] uint8, 1 when normalized_volume <= degenerate_threshold");
        def_array(svr, "mean_edge", &sx::simplex_volumes_result::mean_edge, "[B] mean edge length");
        svr.def_readonly("degenerate_count", &sx::simplex_volumes_result::degenerate_count, "flagged simplices")
            .def_readonly("status", &sx::simplex_volumes_result::status, "degenerate when any simplex is flagged")
            .def("__len__", [](const sx::simplex_volumes_result& r) { return r.volume.size(); })
            .def("__repr__", [](const sx::simplex_volumes_result& r) {
                return "SimplexVolumes(count=" + std::to_string(r.volume.size()) +
                       ", degenerate_count=" + std::to_string(r.degenerate_count) + ", status=" +
                       tessera::to_string(r.status.code) + ")";
            });

        m.def(
            "simplex_volumes",
            [](const py::object& X, const py::object& indices, const std::string& method, bool squared,
               double degenerate_threshold) {
                sx::simplex_volume_options o;
                o.method = parse_method(method, "simplex::simplex_volumes");
                o.squared = squared;
                o.degenerate_threshold = degenerate_threshold;
                const auto idx = as_array<std::int64_t>(indices);
                const auto iv = view<std::int64_t, 2>(idx, "simplex::simplex_volumes", "indices");
                return with_view<2>(X, "simplex::simplex_volumes", "X", [&](const auto& v) {
                    return without_gil([&] { return sx::simplex_volumes(v, iv, o); });
                });
            },
            py::arg("X"), py::arg("indices"), py::arg("method") = "qr", py::arg("squared") = false,
            py::arg("degenerate_threshold") = 1e-6,
            "Volumes of B simplices over the rows of X [n, d]: indices [B, k+1] (integers, converted to int64)\n"
            "picks each simplex's vertex rows. Parallel (OpenMP); releases the GIL. Returns SimplexVolumes.");
        m.def(
            "sample_simplices",
            [](std::uint64_t n_rows, std::size_t k, std::size_t count, std::uint64_t seed) {
                return to_numpy(sx::sample_simplices(n_rows, k, count, seed));
            },
            py::arg("n_rows"), py::arg("k"), py::arg("count"), py::arg("seed") = 0,
            "[count, k+1] uint64 row indices, distinct within each simplex (same bits for a seed at any thread count).");

        py::class_<sx::volume_summary>(m, "VolumeSummary", "Summary of sampled simplex volumes.")
            .def_readonly("count", &sx::volume_summary::count, "simplices measured")
            .def_readonly("mean", &sx::volume_summary::mean, "mean volume")
            .def_readonly("std", &sx::volume_summary::stddev, "population standard deviation (ddof=0)")
            .def_readonly("cv", &sx::volume_summary::cv, "coefficient of variation std / mean")
            .def_readonly("distribution", &sx::volume_summary::distribution,
                          "tessera.stats.DistributionSummary of the volumes: min, max, percentile(p) (numpy 'linear')")
            .def_readonly("mean_normalized", &sx::volume_summary::mean_normalized, "mean V / V_regular(mean edge)")
            .def_readonly("fraction_degenerate", &sx::volume_summary::fraction_degenerate, "fraction flagged degenerate")
            .def("__repr__", &summary_repr);
        py::class_<sx::volume_statistics_result> vsr(m, "VolumeStatistics", "Result of volume_statistics.");
        vsr.def_readonly("k", &sx::volume_statistics_result::k, "simplex dimension")
            .def_readonly("data", &sx::volume_statistics_result::data, "VolumeSummary of simplices from the rows of X")
            .def_readonly("gaussian", &sx::volume_statistics_result::gaussian,
                          "VolumeSummary of Gaussian points of matched per-dimension std (count 0 if disabled)")
            .def_readonly("mean_ratio", &sx::volume_statistics_result::mean_ratio, "data.mean / gaussian.mean")
            .def("__repr__", [](const sx::volume_statistics_result& r) {
                return "VolumeStatistics(k=" + std::to_string(r.k) + ", data=" + summary_repr(r.data) +
                       ", gaussian=" + summary_repr(r.gaussian) + ")";
            });
        def_array(vsr, "column_std", &sx::volume_statistics_result::column_std, "[d] per-dimension std of X (ddof=0)");

        m.def(
            "volume_statistics",
            [](const py::object& X, std::size_t k, std::size_t count, std::uint64_t seed, const std::string& method,
               double degenerate_threshold, bool gaussian_baseline, std::size_t baseline_count) {
                sx::volume_statistics_options o;
                o.method = parse_method(method, "simplex::volume_statistics");
                o.degenerate_threshold = degenerate_threshold;
                o.gaussian_baseline = gaussian_baseline;
                o.baseline_count = baseline_count;
                return with_view<2>(X, "simplex::volume_statistics", "X", [&](const auto& v) {
                    return without_gil([&] { return sx::volume_statistics(v, k, count, seed, o); });
                });
            },
            py::arg("X"), py::arg("k"), py::arg("count"), py::arg("seed") = 0, py::arg("method") = "qr",
            py::arg("degenerate_threshold") = 1e-6, py::arg("gaussian_baseline") = true, py::arg("baseline_count") = 0,
            "Statistics of `count` seeded random k-simplices over the rows of X [n, d], with a Gaussian baseline\n"
            "of matched per-dimension std. Releases the GIL. Returns VolumeStatistics.");

        py::class_<sx::volume_report>(m, "VolumeReport", "One simplex's volume with its accuracy (report_volume).")
            .def_readonly("volume", &sx::volume_report::volume, "V = sqrt(max(V^2, 0))")
            .def_readonly("volume_squared", &sx::volume_report::volume_squared, "V^2 as computed (may be negative)")
            .def_readonly("normalized_volume", &sx::volume_report::normalized_volume, "V / V_regular(mean edge)")
            .def_readonly("mean_edge", &sx::volume_report::mean_edge, "mean edge length")
            .def_readonly("relative_error", &sx::volume_report::relative_error, "first-order estimate of |dV| / V")
            .def_readonly("status", &sx::volume_report::status,
                          "accuracy_limited when relative_error > tolerance, degenerate when flat, else ok")
            .def("__repr__", [](const sx::volume_report& r) {
                return "VolumeReport(volume=" + py::repr(py::float_(r.volume)).cast<std::string>() + ", relative_error=" +
                       py::repr(py::float_(r.relative_error)).cast<std::string>() + ", status=" +
                       tessera::to_string(r.status.code) + ")";
            });
        m.def(
            "report_volume",
            [](const py::object& points, const std::string& method, double tolerance, double degenerate_threshold) {
                const auto meth = parse_method(method, "simplex::report_volume");
                const sx::volume_report_options o{tolerance, degenerate_threshold};
                return with_view<2>(points, "simplex::report_volume", "points",
                                   [&](const auto& v) { return sx::report_volume(v, meth, o); });
            },
            py::arg("points"), py::arg("method") = "qr", py::arg("tolerance") = 1e-6, py::arg("degenerate_threshold") = 1e-6,
            "Volume of the simplex with vertex rows points [k+1, d] plus what a bare float cannot say:\n"
            "relative_error and status. Returns VolumeReport.");
        m.def(
            "report_volume_from_distances",
            [](const py::object& D2, double tolerance, double degenerate_threshold) {
                const sx::volume_report_options o{tolerance, degenerate_threshold};
                return with_view<2>(D2, "simplex::report_volume_from_distances", "D2",
                                   [&](const auto& v) { return sx::report_volume_from_distances(v, o); });
            },
            py::arg("D2"), py::arg("tolerance") = 1e-6, py::arg("degenerate_threshold") = 1e-6,
            "report_volume from squared distances D2 [k+1, k+1]. Returns VolumeReport.");
        m.def(
            "regular_simplex",
            [](std::size_t k, std::size_t dim, double edge) { return to_numpy(sx::regular_simplex<double>(k, dim, edge)); },
            py::arg("k"), py::arg("dim"), py::arg("edge") = 1.0,
            "[k+1, dim] float64 vertices of the regular k-simplex with the given edge, centred at the origin.");
        m.def("regular_simplex_volume", &sx::regular_simplex_volume, py::arg("k"), py::arg("edge") = 1.0,
              "Closed form sqrt(k+1) / (k! sqrt(2^k)) edge^k of the regular k-simplex's volume.");
    }
}  // namespace tessera_py
