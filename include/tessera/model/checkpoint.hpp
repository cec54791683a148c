#pragma once
/// \file checkpoint.hpp
/// One type for a model checkpoint on disk, whatever its format: a Hugging Face folder
/// (`config.json` + `model.safetensors`, or shards listed by `model.safetensors.index.json`), a
/// single `.safetensors` file, a llama2.c `.bin`, or a GGUF file. Files are memory-mapped and
/// each read<T, N>() decodes one tensor: the model is never loaded into memory as a whole.

#include <algorithm>
#include <array>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "../io/mapped_file.hpp"
#include "catalog.hpp"
#include "config.hpp"
#include "detail/sources.hpp"

namespace tessera::model
{
    /// The storage format a checkpoint was opened from.
    enum class checkpoint_format
    {
        hf_folder,    ///< a folder with config.json and model.safetensors or model.safetensors.index.json
        safetensors,  ///< one .safetensors file (config.json beside it is used when present)
        llama2c,      ///< a llama2.c "v0" .bin
        gguf          ///< a GGUF file (llama.cpp)
    };

    namespace detail
    {
        inline std::string read_text(const std::string& path)
        {
            const io::mapped_file f(path);
            return std::string(reinterpret_cast<const char*>(f.data()), f.size());
        }

        /// The shard files of a Hugging Face `model.safetensors.index.json` (text `json` from
        /// `index`, in folder `dir`), in first-use order, and its weight_map.
        /// \throws tessera::io_error naming `index` for malformed JSON, a missing or non-object
        ///         weight_map, or a shard name that is not a plain file name of the folder.
        inline std::vector<std::string> parse_safetensors_index(const std::string& json, const std::string& index,
                                                                const std::string& dir,
                                                                std::map<std::string, std::string>& weight_map)
        {
            nlohmann::json j;
            try
            {
                j = nlohmann::json::parse(json);
            }
            catch (const nlohmann::json::exception& e)
            {
                throw io_error(index, 0, concat("malformed JSON: ", e.what()));
            }
            if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
                throw io_error(index, 0, "needs an object \"weight_map\": {tensor name: shard file}");
            std::vector<std::string> shards;
            for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it)
            {
                if (!it.value().is_string())
                    throw io_error(index, 0, concat("weight_map['", it.key(), "'] is not a string"));
                const std::string shard = it.value().get<std::string>();
                if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..")
                    throw io_error(index, 0, concat("weight_map['", it.key(), "'] = '", shard,
                                                    "' is not a file name inside the folder"));
                weight_map[it.key()] = shard;
                if (std::find(shards.begin(), shards.end(), shard) == shards.end())
                    shards.push_back(shard);
            }
            for (auto& s : shards)
                s = (std::filesystem::path(dir) / s).string();
            return shards;
        }

        /// A model checkpoint: its tensors, config and catalog; tensors decoded on demand.
        class checkpoint
        {
        public:
            /// Opens `path`: a folder (Hugging Face layout), a `.safetensors` file, a file starting
            /// with "GGUF", or else a llama2.c `.bin`. Headers are validated; no tensor is read.
            /// \throws tessera::io_error naming the file (and byte offset) for a missing path, a
            ///         folder without model.safetensors(.index.json), malformed headers or JSON, a
            ///         shard tensor not listed in weight_map with that shard, or a listed tensor
            ///         missing from its shard.
            explicit checkpoint(const std::string& path) : m_path(path)
            {
                namespace fs = std::filesystem;
                std::string config_path;
                if (fs::is_directory(path))
                {
                    m_format = checkpoint_format::hf_folder;
                    config_path = (fs::path(path) / "config.json").string();
                    const std::string index = (fs::path(path) / "model.safetensors.index.json").string();
                    const std::string single = (fs::path(path) / "model.safetensors").string();
                    if (fs::exists(index))
                        open_shards(index, path);
                    else if (fs::exists(single))
                        m_source = std::make_unique<safetensors_source>(std::vector<std::string>{single});
                    else
                        throw io_error(path, 0, "folder has neither model.safetensors nor model.safetensors.index.json");
                }
                else if (path.size() >= 12 && path.compare(path.size() - 12, 12, ".safetensors") == 0)
                {
                    m_format = checkpoint_format::safetensors;
                    config_path = (fs::path(path).parent_path() / "config.json").string();
                    m_source = std::make_unique<safetensors_source>(std::vector<std::string>{path});
                }
                else if (is_gguf(path))
                {
                    m_format = checkpoint_format::gguf;
                    auto g = std::make_unique<gguf_source>(path);
                    m_config = gguf_config(g->file().metadata());
                    m_source = std::move(g);
                }
                else
                {
                    m_format = checkpoint_format::llama2c;
                    auto l = std::make_unique<llama2_source>(path);
                    m_config = llama2_model_config(l->header().config);
                    m_source = std::move(l);
                }
                bool tie_known = m_format == checkpoint_format::llama2c;
                if (!config_path.empty() && fs::is_regular_file(config_path))
                    m_config = parse_hf_config(read_text(config_path), config_path, tie_known);
                std::vector<std::string> names;
                std::vector<std::vector<std::size_t>> shapes;
                for (std::size_t i = 0; i < tensors().size(); ++i)
                {
                    m_index.emplace(tensors()[i].name, i);
                    names.push_back(tensors()[i].name);
                    shapes.push_back(tensors()[i].shape);
                }
                m_catalog = catalog_names(names);
                complete_config(m_config, m_catalog, shapes, tie_known);
            }
            /// Same as the constructor.
            static checkpoint open(const std::string& path) { return checkpoint(path); }

            /// The path given to open().
            const std::string& path() const noexcept { return m_path; }
            /// The format detected.
            checkpoint_format format() const noexcept { return m_format; }
            /// The architecture hyper-parameters (see model_config; 0 = unknown).
            const model_config& config() const noexcept { return m_config; }
            /// Every tensor, in storage order (shards in weight_map order, then by offset).
            const std::vector<checkpoint_tensor>& tensors() const noexcept { return m_source->tensors(); }
            /// The catalog: role, layer and layout of every tensor, parallel to tensors().
            const std::vector<catalog_entry>& catalog() const noexcept { return m_catalog; }
            /// True when a tensor `name` exists.
            bool contains(const std::string& name) const { return m_index.count(name) != 0; }
            /// The stored description of tensor `name`. \throws tessera::invalid_argument when absent.
            const checkpoint_tensor& info(const std::string& name) const { return tensors()[index(name)]; }
            /// The catalog entry of tensor `name`. \throws tessera::invalid_argument when absent.
            const catalog_entry& role(const std::string& name) const { return m_catalog[index(name)]; }

            /// Tensor `name` decoded to T (float or double) as an `xt::xtensor<T, N>` of its stored
            /// shape. O(elements); reads only that tensor's bytes.
            /// \throws tessera::invalid_argument when absent or not N-dimensional; tessera::io_error
            ///         (file, tensor) when its stored type cannot be decoded (e.g. I64, Q5_K).
            template <class T, std::size_t N = 2>
            xt::xtensor<T, N> read(const std::string& name) const
            {
                static_assert(is_real_v<T>, "tessera::model::checkpoint::read<T, N>: T must be float or double");
                const std::size_t i = index(name);
                const checkpoint_tensor& t = tensors()[i];
                require(t.shape.size() == N, "model::checkpoint::read", "tensor '", name, "' has shape ",
                        shape_to_string(t.shape), ", not ", N, " dimensions");
                if (!t.readable)
                    throw io_error(m_path, 0, concat("tensor '", name, "' has stored type ", t.dtype,
                                                     ", which checkpoint::read cannot decode"));
                std::array<std::size_t, N> shape{};
                for (std::size_t d = 0; d < N; ++d)
                    shape[d] = t.shape[d];
                xt::xtensor<T, N> out = xt::xtensor<T, N>::from_shape(shape);
                m_source->decode(i, out.data());
                return out;
            }

        private:
            static bool is_gguf(const std::string& path)
            {
                const io::mapped_file f(path);
                return f.size() >= 4 && std::string(reinterpret_cast<const char*>(f.data()), 4) == "GGUF";
            }
            std::size_t index(const std::string& name) const
            {
                const auto it = m_index.find(name);
                require(it != m_index.end(), "model::checkpoint", "name='", name, "' is not a tensor of ", m_path);
                return it->second;
            }
            void open_shards(const std::string& index, const std::string& dir)
            {
                std::map<std::string, std::string> weight_map;
                const auto shards = parse_safetensors_index(read_text(index), index, dir, weight_map);
                auto src = std::make_unique<safetensors_source>(shards);
                std::set<std::string> seen;
                for (std::size_t i = 0; i < src->tensors().size(); ++i)
                {
                    const std::string& name = src->tensors()[i].name;
                    const std::string& file = shards[src->file_of(i)];
                    const auto it = weight_map.find(name);
                    if (it == weight_map.end() || (std::filesystem::path(dir) / it->second).string() != file)
                        throw io_error(index, 0, concat("tensor '", name, "' of ", file, " is not listed in weight_map",
                                                        it == weight_map.end() ? "" : concat(" (listed in ", it->second, ")")));
                    seen.insert(name);
                }
                for (const auto& [name, shard] : weight_map)
                    if (seen.count(name) == 0)
                        throw io_error(index, 0, concat("weight_map lists '", name, "' in ", shard, ", which has no such tensor"));
                m_source = std::move(src);
            }

            std::string m_path;
            checkpoint_format m_format = checkpoint_format::hf_folder;
            model_config m_config;
            std::unique_ptr<tensor_source> m_source;
            std::map<std::string, std::size_t> m_index;
            std::vector<catalog_entry> m_catalog;
        };

        /// Name of a format: "hf_folder", "safetensors", "llama2c", "gguf".
        inline const char* to_string(checkpoint_format f) noexcept
        {
            return f == checkpoint_format::hf_folder ? "hf_folder" : f == checkpoint_format::safetensors ? "safetensors"
                   : f == checkpoint_format::llama2c ? "llama2c" : "gguf";
        }
    }  // namespace detail

    using detail::checkpoint, detail::parse_safetensors_index, detail::to_string;
}  // namespace tessera::model
