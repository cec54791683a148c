/// \file bind_io.cpp
/// tessera.io: .npy, .safetensors, word vectors (GloVe / word2vec text), GGUF listing and
/// reading (docs/python.md). Readers return new numpy arrays owned by the C++ result (no
/// second copy); errors are OSError with the file and byte / line.

#include <tessera/io.hpp>

#include "common.hpp"

namespace tessera_py
{
    namespace
    {
        namespace tio = tessera::io;

        /// True for dtype float32, false for float64; anything else is a ValueError.
        bool is_float32(const py::object& dtype, const char* fn)
        {
            const py::dtype dt = py::dtype::from_args(dtype);
            const bool f32 = dt.kind() == 'f' && dt.itemsize() == 4;
            tessera::require(f32 || (dt.kind() == 'f' && dt.itemsize() == 8), fn, "dtype=", dt.attr("name").cast<std::string>(),
                             " must be float32 or float64");
            return f32;
        }

        template <class T>
        py::object read_npy_as(const std::string& path, std::size_t ndim)
        {
            switch (ndim)
            {
                case 1: return to_numpy(without_gil([&] { return tio::read_npy<T, 1>(path); }));
                case 2: return to_numpy(without_gil([&] { return tio::read_npy<T, 2>(path); }));
                case 3: return to_numpy(without_gil([&] { return tio::read_npy<T, 3>(path); }));
                case 4: return to_numpy(without_gil([&] { return tio::read_npy<T, 4>(path); }));
                default: break;
            }
            tessera::require(false, "io::read_npy", "the array in ", path, " has ", ndim, " dimensions; 1 to 4 are read");
            return py::none();
        }

        py::object gguf_to_py(const tio::detail::gguf_value& v)
        {
            return std::visit(
                [](const auto& x) -> py::object {
                    using V = std::decay_t<decltype(x)>;
                    if constexpr (std::is_same_v<V, tio::detail::gguf_array>)
                    {
                        py::list l;
                        for (const auto& e : x.values)
                            l.append(gguf_to_py(e));
                        return std::move(l);
                    }
                    else if constexpr (std::is_same_v<V, std::string>)
                        return py::str(x);
                    else
                        return py::cast(x);
                },
                v.value());
        }

        py::dict tensor_dict(const tio::detail::gguf_tensor_info& t)
        {
            py::dict d;
            d["name"] = t.name;
            d["shape"] = py::tuple(py::cast(t.shape));
            d["type"] = tio::ggml_type_name(t.type);
            d["readable"] = tio::ggml_type_readable(t.type);
            d["offset"] = t.offset;
            d["bytes"] = t.bytes;
            return d;
        }
    }  // namespace

    void bind_io(py::module_& m)
    {
        m.doc() = "Readers and writers: .npy, .safetensors, GloVe / word2vec text, GGUF.";

        m.def(
            "read_npy",
            [](const std::string& path, const py::object& dtype) {
                const bool given = !dtype.is_none(), f32_given = given && is_float32(dtype, "io::read_npy");
                const auto header = tio::read_npy_header(path);
                const std::size_t ndim = header.shape.size();
                // float16 / bfloat16 / float32 -> float32 unless a dtype is given
                const bool f32 = given ? f32_given : header.type != tio::dtype::float64;
                return f32 ? read_npy_as<float>(path, ndim) : read_npy_as<double>(path, ndim);
            },
            py::arg("path"), py::arg("dtype") = py::none(),
            "Reads a .npy file (<f2, <f4, <f8, bfloat16 as <u2; either byte order; C or Fortran order; 1 to 4\n"
            "dimensions) into a new C-contiguous array. dtype None keeps float64 as float64 and reads the\n"
            "others as float32; else float32 or float64. Releases the GIL. Raises OSError (file: byte N: why) on a bad file.");
        m.def(
            "npy_shape", [](const std::string& path) { return py::tuple(py::cast(tio::read_npy_header(path).shape)); },
            py::arg("path"), "The shape in a .npy header (reads the header only).");
        m.def(
            "write_npy",
            [](const std::string& path, const py::object& array, const py::object& dtype) {
                return dispatch(array, [&](auto tag) {
                    using T = decltype(tag);
                    const auto a = as_array<T>(array);
                    const tio::dtype type = dtype.is_none() ? tio::dtype_of<T>()
                                                            : (is_float32(dtype, "io::write_npy") ? tio::dtype::float32 : tio::dtype::float64);
                    switch (a.ndim())
                    {
                        case 1: tio::write_npy(path, view<T, 1>(a, "io::write_npy", "array"), type); break;
                        case 2: tio::write_npy(path, view<T, 2>(a, "io::write_npy", "array"), type); break;
                        case 3: tio::write_npy(path, view<T, 3>(a, "io::write_npy", "array"), type); break;
                        default:
                            tessera::require(false, "io::write_npy", "array must have 1 to 3 dimensions, got shape ",
                                             shape_string(a));
                    }
                    return py::none();
                });
            },
            py::arg("path"), py::arg("array"), py::arg("dtype") = py::none(),
            "Writes array (1 to 3 dimensions) as a C-order .npy file numpy.load reads; dtype float32 / float64\n"
            "(default: the array's).");

        m.def(
            "safetensors_list",
            [](const std::string& path) {
                const tio::safetensors_file f(path);
                py::list out;
                for (const auto& t : f.tensors())
                {
                    py::dict d;
                    d["name"] = t.name;
                    d["dtype"] = t.dtype_name;
                    d["shape"] = py::tuple(py::cast(t.shape));
                    d["readable"] = t.readable;
                    out.append(d);
                }
                return out;
            },
            py::arg("path"), "The tensors of a .safetensors file: list of {name, dtype, shape, readable}.");
        m.def(
            "safetensors_metadata", [](const std::string& path) { return tio::safetensors_file(path).metadata(); },
            py::arg("path"), "The __metadata__ string map of a .safetensors file.");
        m.def(
            "read_safetensors",
            [](const std::string& path, const py::object& names, const py::object& dtype) {
                const bool f32 = dtype.is_none() || is_float32(dtype, "io::read_safetensors");
                const tio::safetensors_file f(path);
                py::dict out;
                std::vector<std::string> wanted;
                if (names.is_none())
                {
                    for (const auto& t : f.tensors())
                        if (t.readable)
                            wanted.push_back(t.name);
                }
                else
                    wanted = names.cast<std::vector<std::string>>();
                for (const auto& n : wanted)
                    out[py::str(n)] = f32 ? py::object(to_numpy(f.read<float>(n))) : py::object(to_numpy(f.read<double>(n)));
                return out;
            },
            py::arg("path"), py::arg("names") = py::none(), py::arg("dtype") = py::none(),
            "{name: array} of a .safetensors file (F16, BF16, F32, F64 converted to dtype, default float32);\n"
            "names=None reads every readable tensor.");
        m.def(
            "write_safetensors",
            [](const std::string& path, const py::dict& tensors, const std::map<std::string, std::string>& metadata) {
                std::vector<tio::named_tensor<float>> ts;
                for (const auto& kv : tensors)
                {
                    const auto a = as_array<float>(kv.second);
                    std::vector<std::size_t> shape(a.shape(), a.shape() + a.ndim());
                    xt::xarray<float> v = xt::adapt(a.data(), static_cast<std::size_t>(a.size()), xt::no_ownership(), shape);
                    ts.push_back({kv.first.cast<std::string>(), std::move(v)});
                }
                tio::write_safetensors(path, ts, tio::dtype::float32, metadata);
            },
            py::arg("path"), py::arg("tensors"), py::arg("metadata") = std::map<std::string, std::string>{},
            "Writes {name: array} as float32 tensors of a .safetensors file (with optional string metadata).");

        // (words, vectors) of a text word-vector reader, float32 unless dtype says float64.
        const auto text_reader = [](auto read32, auto read64, const char* fn) {
            return [read32, read64, fn](const std::string& path, const py::object& dtype) {
                const auto convert = [](auto&& wv) { return py::make_tuple(wv.vocab.words, to_numpy(std::move(wv.vectors))); };
                if (dtype.is_none() || is_float32(dtype, fn))
                    return convert(without_gil([&] { return read32(path); }));
                return convert(without_gil([&] { return read64(path); }));
            };
        };
        m.def("read_glove_text",
              text_reader([](const std::string& p) { return tio::read_glove_text<float>(p); },
                          [](const std::string& p) { return tio::read_glove_text<double>(p); }, "io::read_glove_text"),
              py::arg("path"), py::arg("dtype") = py::none(),
              "Reads a GloVe text file ('word v1 ... vd' per line) -> (words: list[str], vectors [n, d]).\n"
              "Default dtype float32. Raises OSError (file: line N: why) on a malformed line. Releases the GIL.");
        m.def("read_word2vec_text",
              text_reader([](const std::string& p) { return tio::read_word2vec_text<float>(p); },
                          [](const std::string& p) { return tio::read_word2vec_text<double>(p); }, "io::read_word2vec_text"),
              py::arg("path"), py::arg("dtype") = py::none(),
              "Reads a word2vec text file (a 'count dim' line, then GloVe lines) -> (words, vectors).");
        m.def(
            "read_words", [](const std::string& path) { return tio::read_words(path).words; }, py::arg("path"),
            "The words of a one-word-per-line file (e.g. glove100d.words) as a list.");

        py::class_<tio::gguf_file>(m, "GGUFFile", "A memory-mapped llama.cpp GGUF v2/v3 file (header validated on open).")
            .def(py::init<const std::string&>(), py::arg("path"), "Maps and validates path (OSError on a bad file).")
            .def_property_readonly("path", &tio::gguf_file::path, "file path")
            .def_property_readonly("version", &tio::gguf_file::version, "GGUF version (2 or 3)")
            .def_property_readonly("alignment", &tio::gguf_file::alignment, "data alignment in bytes")
            .def_property_readonly(
                "tensors",
                [](const tio::gguf_file& f) {
                    py::list l;
                    for (const auto& t : f.tensors())
                        l.append(tensor_dict(t));
                    return l;
                },
                "list of {name, shape (numpy order), type (ggml name), readable, offset, bytes}")
            .def_property_readonly(
                "metadata",
                [](const tio::gguf_file& f) {
                    py::dict d;
                    for (const auto& kv : f.metadata().entries())
                        d[py::str(kv.first)] = gguf_to_py(kv.second);
                    return d;
                },
                "every key/value as a dict (arrays as lists)")
            .def("__contains__", &tio::gguf_file::contains, py::arg("name"), "has a tensor of that name")
            .def(
                "read",
                [](const tio::gguf_file& f, const std::string& name, const py::object& dtype) -> py::object {
                    if (dtype.is_none() || is_float32(dtype, "io::gguf_file::read"))
                        return to_numpy(without_gil([&] { return f.read<float>(name); }));
                    return to_numpy(without_gil([&] { return f.read<double>(name); }));
                },
                py::arg("name"), py::arg("dtype") = py::none(),
                "Tensor name dequantized (F32, F16, BF16, F64, Q4_0, Q8_0, Q4_K, Q6_K, TQ1_0, TQ2_0) to dtype\n"
                "(default float32), shape in numpy order. OSError for an unsupported type. Releases the GIL.")
            .def("__repr__", [](const tio::gguf_file& f) {
                return "GGUFFile('" + f.path() + "', version=" + std::to_string(f.version()) + ", tensors=" +
                       std::to_string(f.tensors().size()) + ")";
            });
    }
}  // namespace tessera_py
