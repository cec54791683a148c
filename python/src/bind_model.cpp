/// \file bind_model.cpp
/// tessera.model: open a checkpoint (HF folder, .safetensors, GGUF, llama2.c .bin), list and
/// read its tensors as numpy arrays, and run the terrain battery, returned as the same JSON the
/// C++ `to_json` and `examples/model_terrain --json` produce, parsed into Python objects.

#include <string>
#include <vector>

#include <tessera/model/battery.hpp>
#include <tessera/model/checkpoint.hpp>

#include "common.hpp"

namespace tessera_py
{
    namespace
    {
        namespace md = tessera::model;

        py::dict config_dict(const md::model_config& c)
        {
            py::dict d;
            d["architecture"] = c.architecture;
            d["model_type"] = c.model_type;
            d["n_layers"] = c.n_layers;
            d["hidden"] = c.hidden;
            d["intermediate"] = c.intermediate;
            d["n_heads"] = c.n_heads;
            d["n_kv_heads"] = c.n_kv_heads;
            d["vocab_size"] = c.vocab_size;
            d["max_positions"] = c.max_positions;
            d["tie_word_embeddings"] = c.tie_word_embeddings;
            return d;
        }

        py::dict tensor_dict(const md::checkpoint_tensor& t, const md::catalog_entry& e)
        {
            py::dict d;
            d["name"] = t.name;
            d["shape"] = py::tuple(py::cast(t.shape));
            d["dtype"] = t.dtype;
            d["bytes"] = t.bytes;
            d["readable"] = t.readable;
            d["role"] = md::to_string(e.role);
            d["layer"] = e.layer;
            d["bias"] = e.bias;
            d["layout"] = e.layout == md::tensor_layout::out_in ? "out_in" : "in_out";
            return d;
        }

        template <class T, std::size_t N>
        py::object read_n(const md::checkpoint& ck, const std::string& name)
        {
            return to_numpy(without_gil([&] { return ck.read<T, N>(name); }));
        }

        template <class T>
        py::object read_as(const md::checkpoint& ck, const std::string& name, std::size_t ndim)
        {
            switch (ndim)
            {
            case 1: return read_n<T, 1>(ck, name);
            case 2: return read_n<T, 2>(ck, name);
            case 3: return read_n<T, 3>(ck, name);
            default: break;
            }
            tessera::require(ndim == 4, "model::checkpoint::read", "tensor '", name, "' has ", ndim,
                             " dimensions; 1 to 4 are supported");
            return read_n<T, 4>(ck, name);
        }

        py::object read_py(const md::checkpoint& ck, const std::string& name, const py::object& dtype)
        {
            const py::dtype dt = py::dtype::from_args(dtype);
            const auto& info = ck.info(name);
            if (dt.is(py::dtype::of<float>()))
                return read_as<float>(ck, name, info.shape.size());
            tessera::require(dt.is(py::dtype::of<double>()), "model::checkpoint::read", "dtype must be float32 or float64, got ",
                             py::repr(dt).cast<std::string>());
            return read_as<double>(ck, name, info.shape.size());
        }
    }  // namespace

    void bind_model(py::module_& m)
    {
        m.doc() = "Model checkpoints and the terrain battery (docs/model.md).";

        py::class_<md::checkpoint>(m, "Checkpoint",
                                   "A model checkpoint: a Hugging Face folder, a .safetensors file, a GGUF file or a llama2.c .bin.\n"
                                   "Headers are validated on open; tensors are decoded on demand by read().")
            .def(py::init([](const std::string& path) { return md::checkpoint(path); }), py::arg("path"),
                 "Opens `path` (OSError naming the file and byte offset for a missing or malformed file).")
            .def_property_readonly("path", &md::checkpoint::path, "the path given")
            .def_property_readonly("format", [](const md::checkpoint& c) { return std::string(md::to_string(c.format())); },
                                   "'hf_folder', 'safetensors', 'gguf' or 'llama2c'")
            .def_property_readonly("config", [](const md::checkpoint& c) { return config_dict(c.config()); },
                                   "architecture hyper-parameters as a dict (0 = unknown)")
            .def_property_readonly("tensors", [](const md::checkpoint& c) {
                py::list out;
                for (std::size_t i = 0; i < c.tensors().size(); ++i)
                    out.append(tensor_dict(c.tensors()[i], c.catalog()[i]));
                return out;
            }, "every tensor in storage order: dicts of name, shape, dtype (stored), bytes, readable, role, layer, bias, layout")
            .def_property_readonly("names", [](const md::checkpoint& c) {
                std::vector<std::string> n;
                for (const auto& t : c.tensors())
                    n.push_back(t.name);
                return n;
            }, "tensor names in storage order")
            .def("info", [](const md::checkpoint& c, const std::string& name) {
                return tensor_dict(c.info(name), c.role(name));
            }, py::arg("name"), "The dict of one tensor (ValueError naming checkpoint when absent).")
            .def("read", &read_py, py::arg("name"), py::arg("dtype") = py::dtype::of<float>(),
                 "Tensor `name` decoded (F32/F16/BF16/F64, GGUF quantized types that tessera decodes) to float32 (default)\n"
                 "or float64, in its stored shape (1 to 4 dimensions). ValueError when absent; OSError when its stored type\n"
                 "cannot be decoded. Releases the GIL while decoding.")
            .def("__contains__", &md::checkpoint::contains, py::arg("name"))
            .def("__len__", [](const md::checkpoint& c) { return c.tensors().size(); })
            .def("__repr__", [](const md::checkpoint& c) {
                return "Checkpoint('" + c.path() + "', format=" + md::to_string(c.format()) + ", tensors=" +
                       std::to_string(c.tensors().size()) + ")";
            });

        m.def("run_battery",
              [](const py::object& checkpoint, bool layers, bool cross_layer, bool embedding_terrain) {
                  md::battery_options o;
                  o.layers = layers;
                  o.cross_layer = cross_layer;
                  o.embedding_terrain = embedding_terrain;
                  std::string text;
                  if (py::isinstance<md::checkpoint>(checkpoint))
                  {
                      const auto& ck = checkpoint.cast<const md::checkpoint&>();
                      text = without_gil([&] { return md::to_json(md::run_battery(ck, o)).dump(); });
                  }
                  else
                  {
                      const auto path = py::str(checkpoint).cast<std::string>();
                      text = without_gil([&] { return md::to_json(md::run_battery(md::checkpoint(path), o)).dump(); });
                  }
                  return py::module_::import("json").attr("loads")(text);
              },
              py::arg("checkpoint"), py::arg("layers") = true, py::arg("cross_layer") = true,
              py::arg("embedding_terrain") = true,
              "The terrain battery of a Checkpoint (or a path): per-tensor spectra and statistics, per-layer QK^T and FFN\n"
              "metrics, cross-layer cosines, the embedding terrain. Returns a dict parsed (json.loads) from the JSON of\n"
              "tessera::model::to_json, the same as `model_terrain --json`: keys tensors, layers, cross_layer, embedding,\n"
              "skipped; statuses are {code, message} dicts; an infinite condition number is the string 'inf'.\n"
              "Releases the GIL.");
    }
}  // namespace tessera_py
