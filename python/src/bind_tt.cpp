/// \file bind_tt.cpp
/// tessera.tt: TT-SVD of a dense tensor (tensorly-like `tt_svd(tensor, rank, eps)`), the
/// interleaved TT-matrix of a weight matrix with its products, and the TT shape suggestions.
/// Both float32 and float64 are kept as such (one Python class holds either).

#include <cmath>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <tessera/tt/shapes.hpp>
#include <tessera/tt/tensor_train.hpp>
#include <tessera/tt/tt_matrix.hpp>
#include <tessera/tt/tt_svd.hpp>

#include "common.hpp"

namespace tessera_py
{
    namespace
    {
        namespace tt = tessera::tt;

        using py_train = either_dtype<tt::tensor_train>;
        using py_tt_matrix = either_dtype<tt::tt_matrix>;

        tt::svd_method parse_method(const std::string& s, const char* fn)
        {
            return choice<tt::svd_method>(s, {{"automatic", tt::svd_method::automatic}, {"exact", tt::svd_method::exact},
                                              {"randomized", tt::svd_method::randomized}}, fn, "method");
        }

        /// tt_options from tensorly-style arguments: rank None (no cap), an int (cap on every
        /// bond), or a sequence of d + 1 ranks with ends 1 (tensorly) or d - 1 bond ranks.
        tt::tt_options make_options(const py::object& rank, double eps, const std::string& method, std::uint64_t seed,
                                    std::size_t d, const char* fn)
        {
            tt::tt_options o;
            o.rel_eps = eps;
            o.method = parse_method(method, fn);
            o.seed = seed;
            if (rank.is_none())
                return o;
            if (py::isinstance<py::int_>(rank))
            {
                const auto r = rank.cast<long long>();
                tessera::require(r >= 1, fn, "rank=", r, " must be >= 1");
                o.max_rank = static_cast<std::size_t>(r);
                return o;
            }
            auto rs = rank.cast<std::vector<long long>>();
            for (long long r : rs)
                tessera::require(r >= 1, fn, "rank entries must be >= 1, got ", r);
            if (rs.size() == d + 1)
            {
                tessera::require(rs.front() == 1 && rs.back() == 1, fn, "rank of length d + 1 = ", d + 1,
                                 " must start and end with 1 (tensorly), got ", rs.front(), " ... ", rs.back());
                rs = std::vector<long long>(rs.begin() + 1, rs.end() - 1);
            }
            tessera::require(rs.size() + 1 == d, fn, "rank must be an int or have d - 1 = ", d - 1, " or d + 1 = ", d + 1,
                             " entries, got ", rs.size());
            for (long long r : rs)
                o.bond_ranks.push_back(static_cast<std::size_t>(r));
            return o;
        }

        /// sqrt of the summed discarded energy: ||A - TT||_F <= this (exact bound of the truncation).
        double error_bound(const std::vector<double>& discarded)
        {
            double s = 0.0;
            for (double x : discarded)
                s += x;
            return std::sqrt(s);
        }

        py::object tt_svd_py(const py::object& tensor, const py::object& rank, double eps, const std::string& method,
                             std::uint64_t seed)
        {
            return dispatch(tensor, [&](auto tag) -> py::object {
                using T = decltype(tag);
                const auto a = as_array<T>(tensor);
                tessera::require(a.ndim() >= 2, "tt::tt_svd", "tensor must have at least 2 dimensions, got shape ",
                                 shape_string(a));
                std::vector<std::size_t> shape(a.shape(), a.shape() + a.ndim());
                const auto o = make_options(rank, eps, method, seed, shape.size(), "tt::tt_svd");
                const auto flat = xt::adapt(a.data(), static_cast<std::size_t>(a.size()), xt::no_ownership(),
                                            std::array<std::size_t, 1>{static_cast<std::size_t>(a.size())});
                auto t = without_gil([&] { return tt::tt_svd(flat, shape, o); });
                return py::cast(py_train{std::move(t)});
            });
        }

        py::object tt_matrix_py(const py::object& W, const std::vector<std::size_t>& row_modes,
                                const std::vector<std::size_t>& col_modes, const py::object& rank, double eps,
                                const std::string& method, std::uint64_t seed)
        {
            return dispatch(W, [&](auto tag) -> py::object {
                using T = decltype(tag);
                const auto a = as_array<T>(W);
                const auto w = view<T, 2>(a, "tt::to_tt_matrix", "W");
                const auto o = make_options(rank, eps, method, seed, row_modes.size(), "tt::to_tt_matrix");
                auto m = without_gil([&] { return tt::to_tt_matrix(w, row_modes, col_modes, o); });
                return py::cast(py_tt_matrix{std::move(m)});
            });
        }

        /// Applies `f(mat, X)` to x converted to the matrix's dtype: x 1-D -> vector product, 2-D -> batch.
        template <bool Transpose>
        py::object apply_py(const py_tt_matrix& M, const py::object& x)
        {
            return visit(M, [&](const auto& m) -> py::object {
                using T = typename std::decay_t<decltype(m.train())>::value_type;
                const auto a = as_array<T>(x);
                const char* fn = Transpose ? "tt::tt_matrix::rmatvec" : "tt::tt_matrix::matvec";
                if (a.ndim() == 1)
                {
                    auto v = to_xtensor<T, 1>(a, fn, "x");
                    auto y = without_gil([&] { return Transpose ? m.transpose_matvec(v) : m.matvec(v); });
                    return to_numpy(std::move(y));
                }
                auto X = to_xtensor<T, 2>(a, fn, "x");
                auto Y = without_gil([&] { return Transpose ? m.transpose_matmat(X) : m.matmat(X); });
                return to_numpy(std::move(Y));
            });
        }

        std::string shape_text(const std::vector<std::size_t>& s)
        {
            std::string r = "(";
            for (std::size_t i = 0; i < s.size(); ++i)
                r += (i ? ", " : "") + std::to_string(s[i]);
            return r + ")";
        }
    }  // namespace

    void bind_tt(py::module_& m)
    {
        m.doc() = "Tensor trains: TT-SVD with the eps guarantee, TT-matrices of weight matrices (docs/tt.md).";

        py::class_<py_train> train(m, "TensorTrain",
                                   "A d-way tensor as a train of cores G_k (r_{k-1}, n_k, r_k), float32 or float64.\n"
                                   "A[i_1..i_d] = G_1[:, i_1, :] ... G_d[:, i_d, :] (C order, like numpy).");
        train
            .def(py::init([](const std::vector<py::object>& cores) {
                     tessera::require(!cores.empty(), "tt::tensor_train", "cores must not be empty");
                     return dispatch(cores.front(), [&](auto tag) {
                         using T = decltype(tag);
                         std::vector<xt::xtensor<T, 3>> cs;
                         for (const auto& c : cores)
                             cs.push_back(to_xtensor<T, 3>(as_array<T>(c), "tt::tensor_train", "cores[k]"));
                         return py_train{tt::tensor_train<T>(std::move(cs))};
                     }).cast<py_train>();
                 }),
                 py::arg("cores"),
                 "From cores of shape (r_{k-1}, n_k, r_k), r_0 = r_d = 1 (tensorly's TT layout); dtype of the "
                 "first core. Raises ValueError on inconsistent ranks.")
            .def_property_readonly("cores", [](py::object self) {
                py::list out;
                visit(self.cast<const py_train&>(), [&](const auto& t) {
                    for (const auto& G : t.cores())
                        out.append(member_view(G, self));
                });
                return out;
            }, "list of read-only core views (r_{k-1}, n_k, r_k)")
            .def_property_readonly("ranks", [](const py_train& t) { return visit(t, [](const auto& x) { return x.ranks(); }); },
                                   "TT ranks (1, r_1, ..., r_{d-1}, 1)")
            .def_property_readonly("shape", [](const py_train& t) { return py::tuple(py::cast(visit(t, [](const auto& x) { return x.shape(); }))); },
                                   "mode sizes (n_1, ..., n_d)")
            .def_property_readonly("order", [](const py_train& t) { return visit(t, [](const auto& x) { return x.order(); }); }, "d")
            .def_property_readonly("dtype", &py_train::dtype, "numpy dtype of the cores")
            .def_property_readonly("parameter_count", [](const py_train& t) { return visit(t, [](const auto& x) { return x.parameter_count(); }); },
                                   "stored values, sum_k r_{k-1} n_k r_k")
            .def_property_readonly("storage_bytes", [](const py_train& t) { return visit(t, [](const auto& x) { return x.storage_bytes(); }); },
                                   "bytes of the cores")
            .def_property_readonly("compression_ratio", [](const py_train& t) { return visit(t, [](const auto& x) { return x.compression_ratio(); }); },
                                   "dense entries per stored value")
            .def_property_readonly("discarded_energy", [](const py_train& t) { return visit(t, [](const auto& x) { return x.discarded_energy(); }); },
                                   "squared Frobenius norm discarded at each of the d - 1 bonds (zeros when built from cores)")
            .def_property_readonly("error_bound", [](const py_train& t) { return visit(t, [](const auto& x) { return error_bound(x.discarded_energy()); }); },
                                   "sqrt(sum(discarded_energy)): ||A - full()||_F <= error_bound (up to rounding)")
            .def_property_readonly("status", [](const py_train& t) { return visit(t, [](const auto& x) { return x.status(); }); },
                                   "tessera.Status of the truncation (accuracy_limited when a rank cap bound before eps)")
            .def("full", [](const py_train& t) {
                return visit(t, [](const auto& x) -> py::object { return to_numpy(without_gil([&] { return x.full(); })); });
            }, "The dense tensor, shape `shape` (tensorly's tt_to_tensor). O(prod n_k r).")
            .def("to_tensor", [](const py_train& t) {
                return visit(t, [](const auto& x) -> py::object { return to_numpy(without_gil([&] { return x.full(); })); });
            }, "Same as full().")
            .def("norm", [](const py_train& t) { return visit(t, [](const auto& x) { return x.norm(); }); },
                 "||A||_F without densifying (double accumulation).")
            .def("dot", [](const py_train& a, const py_train& b) {
                return visit(a, [&](const auto& x) {
                    using TT = std::decay_t<decltype(x)>;
                    const auto* y = std::get_if<TT>(&b.v);
                    tessera::require(y != nullptr, "tt::tensor_train::dot", "both trains must have the same dtype");
                    return x.dot(*y);
                });
            }, py::arg("other"), "<A, B> without densifying (same shape and dtype).")
            .def("round", [](const py_train& t, const py::object& rank, double eps, const std::string& method, std::uint64_t seed) {
                return visit(t, [&](const auto& x) {
                    const auto o = make_options(rank, eps, method, seed, x.order(), "tt::tensor_train::round");
                    return py_train{without_gil([&] { return x.round(o); })};
                });
            }, py::arg("rank") = py::none(), py::arg("eps") = 0.0, py::arg("method") = "automatic",
               py::arg("seed") = tt::tt_options{}.seed,
               "TT-rounding: ||A - round(A)||_F <= eps ||A||_F unless a rank cap binds (status says so).")
            .def("__getitem__", [](const py_train& t, const std::vector<std::size_t>& idx) {
                return visit(t, [&](const auto& x) { return static_cast<double>(x(idx)); });
            }, py::arg("index"), "One entry A[i_1, ..., i_d] (a tuple of d ints), O(d r^2).")
            .def("__add__", [](const py_train& a, const py_train& b) {
                return visit(a, [&](const auto& x) {
                    using TT = std::decay_t<decltype(x)>;
                    const auto* y = std::get_if<TT>(&b.v);
                    tessera::require(y != nullptr, "tt::tensor_train::operator+", "both trains must have the same dtype");
                    return py_train{x + *y};
                });
            }, "Exact sum (ranks add; call round() to recompress).")
            .def("__sub__", [](const py_train& a, const py_train& b) {
                return visit(a, [&](const auto& x) {
                    using TT = std::decay_t<decltype(x)>;
                    const auto* y = std::get_if<TT>(&b.v);
                    tessera::require(y != nullptr, "tt::tensor_train::operator-", "both trains must have the same dtype");
                    return py_train{x - *y};
                });
            }, "Exact difference (ranks add).")
            .def("__mul__", [](const py_train& a, double s) {
                return visit(a, [&](const auto& x) {
                    using T = typename std::decay_t<decltype(x)>::value_type;
                    return py_train{x.scaled(static_cast<T>(s))};
                });
            }, "alpha * A (scales core 0).")
            .def("__rmul__", [](const py_train& a, double s) {
                return visit(a, [&](const auto& x) {
                    using T = typename std::decay_t<decltype(x)>::value_type;
                    return py_train{x.scaled(static_cast<T>(s))};
                });
            })
            .def("__repr__", [](const py_train& t) {
                return visit(t, [](const auto& x) {
                    return "TensorTrain(shape=" + shape_text(x.shape()) + ", ranks=" + shape_text(x.ranks()) +
                           ", dtype=" + (std::is_same_v<typename std::decay_t<decltype(x)>::value_type, float> ? "float32" : "float64") +
                           ", status=" + tessera::to_string(x.status().code) + ")";
                });
            });

        m.def("tt_svd", &tt_svd_py, py::arg("tensor"), py::arg("rank") = py::none(), py::arg("eps") = 0.0,
              py::arg("method") = "automatic", py::arg("seed") = tt::tt_options{}.seed,
              "TT-SVD (Oseledets 2011) of a dense tensor (ndim >= 2, float32 or float64 kept; other dtypes -> float64).\n\n"
              "rank: None (no cap), an int (cap on every TT rank) or tensorly's list of d + 1 ranks (or d - 1 bond ranks).\n"
              "eps: relative Frobenius accuracy, ||A - TT||_F <= eps ||A||_F unless a rank cap binds first\n"
              "(then .status is accuracy_limited and .error_bound holds the exact bound).\n"
              "method: 'automatic', 'exact' (LAPACK gesdd per unfolding) or 'randomized' (seeded sketch, exact tails).\n"
              "Returns a TensorTrain. Releases the GIL. Raises ValueError naming tt_svd on bad input.");

        py::class_<tt::tt_bond>(m, "TTBond", "Per-bond record of a TT-matrix truncation.")
            .def_readonly("rank", &tt::tt_bond::rank, "kept rank")
            .def_readonly("full_rank", &tt::tt_bond::full_rank, "rank before truncation")
            .def_readonly("discarded_energy", &tt::tt_bond::discarded_energy, "squared Frobenius norm discarded")
            .def_readonly("params", &tt::tt_bond::params, "parameters of the core left of this bond");

        py::class_<py_tt_matrix> ttm(m, "TTMatrix",
                                     "A weight matrix W [M, N] (M = prod m_k, N = prod n_k) as an interleaved TT-matrix (MPO);\n"
                                     "products without forming W. Behaves like a scipy LinearOperator: matvec, rmatvec, @.");
        ttm.def_property_readonly("shape", [](const py_tt_matrix& t) { return visit(t, [](const auto& x) { return py::make_tuple(x.rows(), x.cols()); }); },
                                  "(M, N)")
            .def_property_readonly("row_modes", [](const py_tt_matrix& t) { return visit(t, [](const auto& x) { return x.row_modes(); }); }, "(m_1, ..., m_d)")
            .def_property_readonly("col_modes", [](const py_tt_matrix& t) { return visit(t, [](const auto& x) { return x.col_modes(); }); }, "(n_1, ..., n_d)")
            .def_property_readonly("ranks", [](const py_tt_matrix& t) { return visit(t, [](const auto& x) { return x.ranks(); }); }, "(1, r_1, ..., r_{d-1}, 1)")
            .def_property_readonly("dtype", &py_tt_matrix::dtype, "numpy dtype")
            .def_property_readonly("cores", [](const py_tt_matrix& t) {
                py::list out;
                visit(t, [&](const auto& x) {
                    for (std::size_t k = 0; k < x.row_modes().size(); ++k)
                        out.append(to_numpy(x.core(k)));
                });
                return out;
            }, "list of cores (r_{k-1}, m_k, n_k, r_k) (copies; tensorly's TTMatrix factor layout)")
            .def_property_readonly("train", [](const py_tt_matrix& t) { return visit(t, [](const auto& x) { return py_train{x.train()}; }); },
                                   "the underlying TensorTrain over modes m_k n_k (a copy)")
            .def_property_readonly("parameter_count", [](const py_tt_matrix& t) { return visit(t, [](const auto& x) { return x.parameter_count(); }); }, "stored values")
            .def_property_readonly("storage_bytes", [](const py_tt_matrix& t) { return visit(t, [](const auto& x) { return x.storage_bytes(); }); }, "bytes of the cores")
            .def_property_readonly("compression_ratio", [](const py_tt_matrix& t) { return visit(t, [](const auto& x) { return x.compression_ratio(); }); }, "M N / parameter_count")
            .def_property_readonly("bonds", [](const py_tt_matrix& t) { return visit(t, [](const auto& x) { return x.bonds(); }); }, "list of TTBond (d - 1)")
            .def_property_readonly("error_bound", [](const py_tt_matrix& t) { return visit(t, [](const auto& x) { return error_bound(x.train().discarded_energy()); }); },
                                   "||W - to_dense()||_F <= error_bound (sqrt of the discarded energy); relative: divide by ||W||_F")
            .def_property_readonly("status", [](const py_tt_matrix& t) { return visit(t, [](const auto& x) { return x.status(); }); },
                                   "tessera.Status (accuracy_limited when a rank cap bound before eps)")
            .def("matvec", &apply_py<false>, py::arg("x"),
                 "W @ x for x [N] (-> [M]) or X [N, batch] (-> [M, batch]); x converted to the matrix dtype. Releases the GIL.")
            .def("rmatvec", &apply_py<true>, py::arg("y"), "W.T @ y for y [M] or Y [M, batch]. Releases the GIL.")
            .def("__matmul__", &apply_py<false>, py::arg("x"), "Same as matvec.")
            .def("to_dense", [](const py_tt_matrix& t) { return visit(t, [](const auto& x) -> py::object { return to_numpy(without_gil([&] { return x.to_dense(); })); }); },
                 "The dense W [M, N]. O(M N r).")
            .def("reconstruct", [](const py_tt_matrix& t) { return visit(t, [](const auto& x) -> py::object { return to_numpy(without_gil([&] { return x.to_dense(); })); }); },
                 "Same as to_dense() (every compressed form has reconstruct()).")
            .def("round", [](const py_tt_matrix& t, const py::object& rank, double eps, const std::string& method, std::uint64_t seed) {
                return visit(t, [&](const auto& x) {
                    const auto o = make_options(rank, eps, method, seed, x.row_modes().size(), "tt::tt_matrix::round");
                    return py_tt_matrix{without_gil([&] { return x.round(o); })};
                });
            }, py::arg("rank") = py::none(), py::arg("eps") = 0.0, py::arg("method") = "automatic",
               py::arg("seed") = tt::tt_options{}.seed, "Re-truncates the cores (TT-rounding).")
            .def("__repr__", [](const py_tt_matrix& t) {
                return visit(t, [](const auto& x) {
                    return "TTMatrix(shape=(" + std::to_string(x.rows()) + ", " + std::to_string(x.cols()) +
                           "), row_modes=" + shape_text(x.row_modes()) + ", col_modes=" + shape_text(x.col_modes()) +
                           ", ranks=" + shape_text(x.ranks()) + ", status=" + tessera::to_string(x.status().code) + ")";
                });
            });

        m.def("tt_matrix", &tt_matrix_py, py::arg("W"), py::arg("row_modes"), py::arg("col_modes"),
              py::arg("rank") = py::none(), py::arg("eps") = 0.0, py::arg("method") = "automatic",
              py::arg("seed") = tt::tt_options{}.seed,
              "Interleaved TT-matrix of W [M, N] with prod(row_modes) = M, prod(col_modes) = N (tessera::tt::to_tt_matrix;\n"
              "the cores equal tensorly's tensor_train_matrix layout). rank, eps, method as tt_svd. Releases the GIL.");

        m.def("tt_shape_suggestions", [](std::size_t M, std::size_t N, std::size_t d, std::size_t rank, std::size_t max_results) {
                  tt::tt_shape_options o;
                  o.rank = rank;
                  o.max_results = max_results;
                  py::list out;
                  for (const auto& s : tt::tt_shape_suggestions(M, N, d, o))
                  {
                      py::dict e;
                      e["rows"] = s.rows;
                      e["cols"] = s.cols;
                      e["row_modes"] = s.row_modes;
                      e["col_modes"] = s.col_modes;
                      e["params"] = s.params;
                      e["param_fraction"] = s.param_fraction;
                      out.append(e);
                  }
                  return out;
              },
              py::arg("M"), py::arg("N"), py::arg("d") = 3, py::arg("rank") = tt::tt_shape_options{}.rank,
              py::arg("max_results") = tt::tt_shape_options{}.max_results,
              "Ranked TT-matrix shapes for an M x N matrix with d cores (fewest parameters at `rank` first; rows/cols\n"
              "may be padded up to smooth sizes). Returns a list of dicts: rows, cols, row_modes, col_modes, params,\n"
              "param_fraction.");
    }
}  // namespace tessera_py
