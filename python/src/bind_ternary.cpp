/// \file bind_ternary.cpp
/// tessera.ternary: absmean (BitNet b1.58) quantization, 2-bit and base-3 packing, int8
/// activations, the packed products (GIL released), and the ggml TQ2_0 / TQ1_0 and bitnet.cpp
/// I2_S byte converters (numpy uint8 arrays in and out).

#include <cstdint>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include <tessera/ternary/activations.hpp>
#include <tessera/ternary/formats.hpp>
#include <tessera/ternary/matmul.hpp>
#include <tessera/ternary/pack.hpp>
#include <tessera/ternary/quantize.hpp>

#include "common.hpp"

namespace tessera_py
{
    namespace
    {
        namespace tn = tessera::ternary;

        /// A ternary_matrix quantized from float32 or float64 weights (the codes and float scales
        /// are the same types; T decides dequantize()'s dtype and compression_ratio()).
        using py_ternary = either_dtype<tn::ternary_matrix>;

        tn::scale_rule parse_rule(const std::string& s)
        {
            return choice<tn::scale_rule>(s, {{"absmean", tn::scale_rule::absmean}, {"mse_optimal", tn::scale_rule::mse_optimal}},
                                          "ternary::quantize_absmean", "scale");
        }
        tn::scale_granularity parse_granularity(const std::string& s, const char* fn)
        {
            return choice<tn::scale_granularity>(s, {{"per_group", tn::scale_granularity::per_group},
                                                     {"per_row", tn::scale_granularity::per_row},
                                                     {"per_tensor", tn::scale_granularity::per_tensor}}, fn, "granularity");
        }
        const char* granularity_name(tn::scale_granularity g)
        {
            return g == tn::scale_granularity::per_row ? "per_row"
                   : g == tn::scale_granularity::per_tensor ? "per_tensor"
                                                             : "per_group";
        }
        tn::scale_storage parse_storage(const std::string& s, const char* fn)
        {
            return choice<tn::scale_storage>(s, {{"f32", tn::scale_storage::f32}, {"f16", tn::scale_storage::f16}}, fn,
                                             "scale_storage");
        }
        tn::kernel parse_kernel(const std::string& s, const char* fn)
        {
            return choice<tn::kernel>(s, {{"automatic", tn::kernel::automatic}, {"scalar", tn::kernel::scalar},
                                          {"avx2", tn::kernel::avx2}, {"avx512", tn::kernel::avx512}}, fn, "kernel");
        }
        tn::matmul_options kernel_options(const std::string& s, const char* fn)
        {
            tn::matmul_options o;
            o.use = parse_kernel(s, fn);
            return o;
        }

        /// Bytes from a bytes/bytearray object or any array-like (converted to uint8).
        std::vector<std::uint8_t> to_bytes(const py::object& obj)
        {
            if (py::isinstance<py::bytes>(obj) || py::isinstance<py::bytearray>(obj))
            {
                const std::string s = py::isinstance<py::bytes>(obj) ? std::string(obj.cast<py::bytes>())
                                                                     : obj.cast<std::string>();
                return std::vector<std::uint8_t>(s.begin(), s.end());
            }
            const auto a = as_array<std::uint8_t>(obj);
            return std::vector<std::uint8_t>(a.data(), a.data() + a.size());
        }

        /// Codes [rows, cols] of a TernaryMatrix or of an int8 array-like.
        xt::xtensor<std::int8_t, 2> codes_of(const py::object& obj, const char* fn)
        {
            return to_xtensor<std::int8_t, 2>(as_array<std::int8_t>(obj), fn, "codes");
        }

        /// Int8 activations of a 1-D (one row) or 2-D float array.
        tn::int8_activations quantize_acts(const py::object& X, std::size_t block_size, bool per_token)
        {
            tn::activation_options o;
            o.block_size = block_size;
            o.per_token = per_token;
            return dispatch(X, [&](auto tag) {
                       using T = decltype(tag);
                       const auto a = as_array<T>(X);
                       if (a.ndim() == 1)
                       {
                           const auto n = static_cast<std::size_t>(a.size());
                           const auto row = xt::adapt(a.data(), n, xt::no_ownership(), std::array<std::size_t, 2>{1, n});
                           return without_gil([&] { return tn::quantize_activations_int8(row, o); });
                       }
                       const auto m = view<T, 2>(a, "ternary::quantize_activations_int8", "X");
                       return without_gil([&] { return tn::quantize_activations_int8(m, o); });
                   })
                .cast<tn::int8_activations>();
        }

        py::dict report_dict(const tn::error_report_result& r)
        {
            py::dict d;
            d["relative_frobenius"] = r.relative_frobenius;
            d["zero_fraction"] = r.zero_fraction;
            d["scale_min"] = r.scale_min;
            d["scale_max"] = r.scale_max;
            d["scale_mean"] = r.scale_mean;
            d["mean_row_cosine"] = r.mean_row_cosine;
            d["min_row_cosine"] = r.min_row_cosine;
            return d;
        }
    }  // namespace

    void bind_ternary(py::module_& m)
    {
        m.doc() = "Ternary weights: absmean quantization, 2-bit/base-3 packing, packed GEMV/GEMM, TQ1_0/TQ2_0 (docs/ternary.md).";

        py::class_<py_ternary>(m, "TernaryMatrix",
                               "Codes in {-1, 0, 1} [rows, cols] (int8) and float32 scales [rows, n_groups]:\n"
                               "W[i, k] ~ scales[i, k // group_size] * codes[i, k].")
            .def(py::init([](const py::object& codes, const py::object& scales, std::size_t group_size,
                             const std::string& granularity) {
                     auto c = codes_of(codes, "ternary::ternary_matrix");
                     auto s = to_xtensor<float, 2>(as_array<float>(scales), "ternary::ternary_matrix", "scales");
                     return py_ternary{tn::ternary_matrix<float>(std::move(c), std::move(s), group_size,
                                                                 parse_granularity(granularity, "ternary::ternary_matrix"))};
                 }),
                 py::arg("codes"), py::arg("scales"), py::arg("group_size"), py::arg("granularity") = "per_group",
                 "Wraps codes (int8 [rows, cols]) and scales (float32 [rows, ceil(cols / group_size)]).")
            .def_property_readonly("codes", [](py::object self) {
                return visit(self.cast<const py_ternary&>(), [&](const auto& t) { return member_view(t.codes(), self); });
            }, "int8 codes [rows, cols] in {-1, 0, 1} (read-only view)")
            .def_property_readonly("scales", [](py::object self) {
                return visit(self.cast<const py_ternary&>(), [&](const auto& t) { return member_view(t.scales(), self); });
            }, "float32 scales [rows, n_groups] (read-only view; per_tensor repeats the one scale)")
            .def_property_readonly("shape", [](const py_ternary& t) { return visit(t, [](const auto& x) { return py::make_tuple(x.rows(), x.cols()); }); }, "(rows, cols)")
            .def_property_readonly("group_size", [](const py_ternary& t) { return visit(t, [](const auto& x) { return x.group_size(); }); }, "columns per scale")
            .def_property_readonly("n_groups", [](const py_ternary& t) { return visit(t, [](const auto& x) { return x.n_groups(); }); }, "scales per row")
            .def_property_readonly("granularity", [](const py_ternary& t) { return visit(t, [](const auto& x) { return std::string(granularity_name(x.granularity())); }); },
                                   "'per_group', 'per_row' or 'per_tensor'")
            .def_property_readonly("dtype", &py_ternary::dtype, "dtype of the quantized weights (and of dequantize())")
            .def_property_readonly("storage_bytes", [](const py_ternary& t) { return visit(t, [](const auto& x) { return x.storage_bytes(); }); },
                                   "bytes of the 2-bit form: rows * ceil(cols / 4) + 4 per distinct scale")
            .def_property_readonly("compression_ratio", [](const py_ternary& t) { return visit(t, [](const auto& x) { return x.compression_ratio(); }); },
                                   "rows * cols * itemsize / storage_bytes")
            .def("dequantize", [](const py_ternary& t) { return visit(t, [](const auto& x) -> py::object { return to_numpy(x.dequantize()); }); },
                 "scales[i, k // G] * codes[i, k] as [rows, cols] of dtype.")
            .def("reconstruct", [](const py_ternary& t) { return visit(t, [](const auto& x) -> py::object { return to_numpy(x.dequantize()); }); },
                 "Same as dequantize().")
            .def("error_report", [](const py_ternary& t, const py::object& W) {
                return visit(t, [&](const auto& x) {
                    using T = typename std::decay_t<decltype(x)>::value_type;
                    const auto a = as_array<T>(W);
                    const auto w = view<T, 2>(a, "ternary::ternary_matrix::error_report", "W");
                    return report_dict(x.error_report(w));
                });
            }, py::arg("W"),
               "Against the original W: dict of relative_frobenius, zero_fraction, scale_min/max/mean, mean_row_cosine, min_row_cosine.")
            .def("__repr__", [](const py_ternary& t) {
                return visit(t, [](const auto& x) {
                    return "TernaryMatrix(shape=(" + std::to_string(x.rows()) + ", " + std::to_string(x.cols()) +
                           "), group_size=" + std::to_string(x.group_size()) + ", granularity=" +
                           granularity_name(x.granularity()) + ")";
                });
            });

        m.def("quantize_absmean", [](const py::object& W, std::size_t group_size, double eps, const std::string& scale,
                                     const std::string& granularity) {
                  tn::quantize_options o;
                  o.group_size = group_size;
                  o.eps = eps;
                  o.scale = parse_rule(scale);
                  o.granularity = parse_granularity(granularity, "ternary::quantize_absmean");
                  return dispatch(W, [&](auto tag) {
                      using T = decltype(tag);
                      const auto a = as_array<T>(W);
                      const auto w = view<T, 2>(a, "ternary::quantize_absmean", "W");
                      return py_ternary{without_gil([&] { return tn::quantize_absmean(w, o); })};
                  });
              },
              py::arg("W"), py::arg("group_size") = tn::quantize_options{}.group_size,
              py::arg("eps") = tn::quantize_options{}.eps, py::arg("scale") = "absmean",
              py::arg("granularity") = "per_group",
              "Absmean ternary quantization (BitNet b1.58): codes = clip(round(W / (gamma + eps)), -1, 1), gamma the\n"
              "mean |W| of each group of `group_size` weights of a row ('per_group'), of a row ('per_row') or of W\n"
              "('per_tensor'); scale='mse_optimal' picks the gamma of least squared error. W float32/float64 [rows, cols],\n"
              "finite (a NaN/inf raises ValueError naming its position). Returns a TernaryMatrix. Releases the GIL.");

        py::class_<tn::packed_ternary>(m, "PackedTernary",
                                       "A packed ternary matrix (2-bit or base-3 layout, 64-byte-aligned rows) with its group\n"
                                       "scales as float32 or float16: the operand of gemv / gemm.")
            .def_property_readonly("layout", [](const tn::packed_ternary& p) { return std::string(p.layout == tn::packed_layout::two_bit ? "2bit" : "base3"); },
                                   "'2bit' or 'base3'")
            .def_property_readonly("shape", [](const tn::packed_ternary& p) { return py::make_tuple(p.rows, p.cols); }, "(rows, cols)")
            .def_readonly("group_size", &tn::packed_ternary::group_size, "weights per scale (0 when packed from bare codes)")
            .def_readonly("n_groups", &tn::packed_ternary::n_groups, "scales per row (0 when packed from bare codes)")
            .def_readonly("row_stride", &tn::packed_ternary::row_stride, "bytes per packed row (a multiple of 64)")
            .def_property_readonly("scale_storage", [](const tn::packed_ternary& p) { return std::string(p.scale_type == tn::scale_storage::f16 ? "f16" : "f32"); },
                                   "'f32' or 'f16'")
            .def_property_readonly("has_scales", &tn::packed_ternary::has_scales, "False when packed from bare codes")
            .def_property_readonly("storage_bytes", &tn::packed_ternary::storage_bytes, "code bytes (without SIMD padding) + scale bytes")
            .def("__repr__", [](const tn::packed_ternary& p) {
                return "PackedTernary(layout=" + std::string(p.layout == tn::packed_layout::two_bit ? "2bit" : "base3") +
                       ", shape=(" + std::to_string(p.rows) + ", " + std::to_string(p.cols) + "), scale_storage=" +
                       (p.scale_type == tn::scale_storage::f16 ? "f16" : "f32") + ")";
            });

        const auto pack = [](bool base3) {
            return [base3](const py::object& x, const std::string& storage) {
                const char* fn = base3 ? "pack_base3" : "pack_2bit";
                if (py::isinstance<py_ternary>(x))
                {
                    const auto st = parse_storage(storage, fn);
                    return visit(x.cast<const py_ternary&>(), [&](const auto& t) {
                        return without_gil([&] { return base3 ? tn::pack_base3(t, st) : tn::pack_2bit(t, st); });
                    });
                }
                const auto codes = codes_of(x, fn);
                return without_gil([&] { return base3 ? tn::pack_base3(codes) : tn::pack_2bit(codes); });
            };
        };
        m.def("pack_2bit", pack(false), py::arg("m"), py::arg("scale_storage") = "f32",
              "Packs a TernaryMatrix (codes and scales, scales as 'f32' or 'f16') or bare int8 codes [rows, cols] into\n"
              "tessera's 2-bit layout (code = w + 1, four per byte). Returns a PackedTernary.");
        m.def("pack_base3", pack(true), py::arg("m"), py::arg("scale_storage") = "f32",
              "As pack_2bit, in tessera's base-3 layout (five weights per byte, 1.6 bits per weight).");
        m.def("unpack_2bit", [](const tn::packed_ternary& p) { return to_numpy(tn::unpack_2bit(p)); }, py::arg("packed"),
              "The int8 codes [rows, cols] of a 2-bit PackedTernary (pack_2bit's inverse).");
        m.def("unpack_base3", [](const tn::packed_ternary& p) { return to_numpy(tn::unpack_base3(p)); }, py::arg("packed"),
              "The int8 codes [rows, cols] of a base-3 PackedTernary.");
        m.def("quantize_pack_2bit", [](const py::object& W, std::size_t group_size, double eps, const std::string& scale,
                                       const std::string& granularity, const std::string& storage) {
                  tn::quantize_options o;
                  o.group_size = group_size;
                  o.eps = eps;
                  o.scale = parse_rule(scale);
                  o.granularity = parse_granularity(granularity, "ternary::quantize_pack_2bit");
                  const auto st = parse_storage(storage, "ternary::quantize_pack_2bit");
                  return dispatch(W, [&](auto tag) {
                      using T = decltype(tag);
                      const auto a = as_array<T>(W);
                      const auto w = view<T, 2>(a, "ternary::quantize_pack_2bit", "W");
                      return without_gil([&] { return tn::quantize_pack_2bit(w, o, st); });
                  });
              },
              py::arg("W"), py::arg("group_size") = tn::quantize_options{}.group_size,
              py::arg("eps") = tn::quantize_options{}.eps, py::arg("scale") = "absmean",
              py::arg("granularity") = "per_group", py::arg("scale_storage") = "f32",
              "quantize_absmean then pack_2bit in one pass (the same codes and scales). Releases the GIL.");

        py::class_<tn::int8_activations>(m, "Int8Activations",
                                         "int8 activations: values [batch, cols] in [-127, 127] and float32 scales [batch, n_blocks];\n"
                                         "x[b, k] ~ values[b, k] * scales[b, k // block_size].")
            .def_property_readonly("values", [](py::object self) { return member_view(self.cast<const tn::int8_activations&>().values, self); }, "int8 [batch, cols]")
            .def_property_readonly("scales", [](py::object self) { return member_view(self.cast<const tn::int8_activations&>().scales, self); }, "float32 [batch, n_blocks]")
            .def_readonly("block_size", &tn::int8_activations::block_size, "values per scale (cols when per token)")
            .def_property_readonly("shape", [](const tn::int8_activations& a) { return py::make_tuple(a.batch(), a.cols()); }, "(batch, cols)")
            .def("dequantize", [](const tn::int8_activations& a) { return to_numpy(a.dequantize()); }, "values * scales, float32 [batch, cols]");
        m.def("quantize_activations_int8", &quantize_acts, py::arg("X"), py::arg("block_size") = tn::activation_options{}.block_size,
              py::arg("per_token") = false,
              "Absmax int8 quantization of each row of X ([batch, cols], or one row [cols]): q = round(x * 127 / max|x_block|),\n"
              "scale max|x_block| / 127 per block of `block_size` (or per row with per_token=True). Returns Int8Activations.");

        m.def("gemv", [](const tn::packed_ternary& W, const tn::int8_activations& x, const std::string& kernel) {
                  const auto o = kernel_options(kernel, "ternary::gemv");
                  return to_numpy(without_gil([&] { return tn::gemv(W, x, o); }));
              },
              py::arg("W"), py::arg("x"), py::arg("kernel") = "automatic",
              "y = W x for a PackedTernary W [N, K] (2-bit or base-3) and one int8 activation row x (Int8Activations, batch 1):\n"
              "exact int32 sums per 64 weights, float scales. Returns float32 [N]. Releases the GIL.");
        m.def("gemm", [](const tn::packed_ternary& W, const tn::int8_activations& X, const std::string& kernel) {
                  const auto o = kernel_options(kernel, "ternary::gemm");
                  return to_numpy(without_gil([&] { return tn::gemm(W, X, o); }));
              },
              py::arg("W"), py::arg("X"), py::arg("kernel") = "automatic",
              "Y = X W^T for int8 activations X [B, K]: float32 [B, N], row b equal to gemv(W, X_b) bit for bit. Releases the GIL.");
        m.def("gemv_float", [](const tn::packed_ternary& W, const py::object& x, const std::string& kernel) {
                  const auto o = kernel_options(kernel, "ternary::gemv_float");
                  const auto a = as_array<float>(x);
                  const auto v = view<float, 1>(a, "ternary::gemv_float", "x");
                  return to_numpy(without_gil([&] { return tn::gemv_float(W, v, o); }));
              },
              py::arg("W"), py::arg("x"), py::arg("kernel") = "automatic",
              "y = W x with float activations x [K] (converted to float32), W (2-bit layout) dequantized on the fly.\n"
              "Returns float32 [N]. Releases the GIL.");
        m.def("kernel_available", [](const std::string& k) { return tn::kernel_available(parse_kernel(k, "ternary::kernel_available")); },
              py::arg("kernel"), "True when this CPU runs the kernel ('automatic', 'scalar', 'avx2', 'avx512').");

        // ggml TQ2_0 / TQ1_0 and bitnet.cpp I2_S bytes.
        const auto encode = [](bool tq1) {
            return [tq1](const py::object& W) {
                auto w = to_xtensor<float, 2>(as_array<float>(W), tq1 ? "encode_tq1_0" : "encode_tq2_0", "W");
                return to_numpy(without_gil([&] { return tq1 ? tn::encode_tq1_0(w) : tn::encode_tq2_0(w); }));
            };
        };
        m.def("encode_tq2_0", encode(false), py::arg("W"),
              "ggml's own TQ2_0 quantizer (absmax per 256 weights) of float32 W [rows, cols], cols % 256 == 0:\n"
              "the bytes ggml writes (66 per block), as a uint8 array.");
        m.def("encode_tq1_0", encode(true), py::arg("W"), "ggml's TQ1_0 quantizer (54 bytes per 256 weights), as a uint8 array.");
        const auto to_fmt = [](int which) {
            return [which](const py_ternary& t) {
                return visit(t, [&](const auto& x) {
                    return to_numpy(which == 2 ? tn::to_tq2_0(x) : which == 1 ? tn::to_tq1_0(x) : tn::to_i2_s(x));
                });
            };
        };
        m.def("to_tq2_0", to_fmt(2), py::arg("m"),
              "TernaryMatrix -> TQ2_0 bytes (uint8 array): codes bit-exact, d = float16 of the group's scale\n"
              "(cols and group_size multiples of 256).");
        m.def("to_tq1_0", to_fmt(1), py::arg("m"), "TernaryMatrix -> TQ1_0 bytes (uint8 array).");
        m.def("to_i2_s", to_fmt(0), py::arg("m"),
              "TernaryMatrix (per_tensor granularity) -> bitnet.cpp I2_S bytes (uint8 array; cols % 128 == 0).");
        const auto from_fmt = [](int which) {
            return [which](const py::object& data, std::size_t rows, std::size_t cols) {
                const auto b = to_bytes(data);
                return py_ternary{which == 2 ? tn::from_tq2_0(b, rows, cols)
                                  : which == 1 ? tn::from_tq1_0(b, rows, cols)
                                               : tn::from_i2_s(b, rows, cols)};
            };
        };
        m.def("from_tq2_0", from_fmt(2), py::arg("data"), py::arg("rows"), py::arg("cols"),
              "TQ2_0 bytes (uint8 array or bytes) of a [rows, cols] matrix -> TernaryMatrix (group_size 256, scale = d).");
        m.def("from_tq1_0", from_fmt(1), py::arg("data"), py::arg("rows"), py::arg("cols"),
              "TQ1_0 bytes -> TernaryMatrix (group_size 256, scale = d).");
        m.def("from_i2_s", from_fmt(0), py::arg("data"), py::arg("rows"), py::arg("cols"),
              "bitnet.cpp I2_S bytes -> TernaryMatrix (one per-tensor scale).");
    }
}  // namespace tessera_py
