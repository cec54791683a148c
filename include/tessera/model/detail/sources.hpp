#pragma once
/// \file sources.hpp
/// The storage back-ends behind model::checkpoint: each lists its tensors and decodes one
/// tensor on request from a memory mapping. A new format plugs in as one more tensor_source.

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "../../core/errors.hpp"
#include "../../io/dtype.hpp"
#include "../../io/gguf.hpp"
#include "../../io/mapped_file.hpp"
#include "../../io/safetensors.hpp"
#include "../llama2_checkpoint.hpp"

namespace tessera::model
{
    /// One tensor of a checkpoint, as stored.
    struct checkpoint_tensor
    {
        std::string name;                ///< name in the checkpoint
        std::vector<std::size_t> shape;  ///< dimensions, outermost first (GGUF: numpy order [rows, cols])
        std::string dtype;               ///< stored type: "F32", "F16", "BF16", "F64", or a GGUF type ("Q8_0", ...)
        std::size_t bytes = 0;           ///< stored size in bytes
        bool readable = false;           ///< true when read<T>() can decode the stored type
    };

    namespace detail
    {
        using tessera::concat;

        /// A storage back-end: the tensors (in storage order) and a decoder of tensor `i` into a
        /// float or double buffer of its element count. Decoding maps nothing new and allocates
        /// nothing beyond `dst`.
        class tensor_source
        {
        public:
            virtual ~tensor_source() = default;
            /// The tensors, in storage order.
            const std::vector<checkpoint_tensor>& tensors() const noexcept { return m_tensors; }
            /// Decodes tensor `i` (readable) into `dst`.
            virtual void decode(std::size_t i, float* dst) const = 0;
            /// \copydoc decode
            virtual void decode(std::size_t i, double* dst) const = 0;

        protected:
            std::vector<checkpoint_tensor> m_tensors;
        };

        /// tensor_source whose two decode() overrides call `Derived::run<T>(i, dst)`.
        template <class Derived>
        class source_base : public tensor_source
        {
        public:
            void decode(std::size_t i, float* dst) const final { static_cast<const Derived&>(*this).run(i, dst); }
            void decode(std::size_t i, double* dst) const final { static_cast<const Derived&>(*this).run(i, dst); }
        };

        /// One or more safetensors files (a Hugging Face folder's shards), each memory-mapped.
        class safetensors_source final : public source_base<safetensors_source>
        {
        public:
            /// Maps `files` (paths) and lists their tensors in file then offset order.
            /// \throws tessera::io_error from the safetensors header validation.
            explicit safetensors_source(const std::vector<std::string>& files)
            {
                for (const auto& f : files)
                    m_files.push_back(std::make_unique<io::safetensors_file>(f));
                for (std::size_t k = 0; k < m_files.size(); ++k)
                    for (const auto& t : m_files[k]->tensors())
                    {
                        m_tensors.push_back({t.name, t.shape, t.dtype_name, t.end - t.begin, t.readable});
                        m_where.emplace_back(k, &t);
                    }
            }
            /// The mapped files.
            const std::vector<std::unique_ptr<io::safetensors_file>>& files() const noexcept { return m_files; }
            /// The file index holding tensor `i`.
            std::size_t file_of(std::size_t i) const noexcept { return m_where[i].first; }

        private:
            friend class source_base;
            template <class T>
            void run(std::size_t i, T* dst) const
            {
                const io::tensor_info& t = *m_where[i].second;
                io::decode(m_files[m_where[i].first]->bytes(t), t.type, false, dst, (t.end - t.begin) / io::dtype_size(t.type));
            }
            std::vector<std::unique_ptr<io::safetensors_file>> m_files;
            std::vector<std::pair<std::size_t, const io::tensor_info*>> m_where;
        };

        /// A llama2.c "v0" checkpoint, memory-mapped; names as parse_llama2_header.
        class llama2_source final : public source_base<llama2_source>
        {
        public:
            /// Maps `path` and validates its header against the file size.
            /// \throws tessera::io_error (see parse_llama2_header).
            explicit llama2_source(const std::string& path)
                : m_file(path), m_header(parse_llama2_header(m_file.data(), m_file.size(), path))
            {
                for (const auto& a : m_header.arrays)
                {
                    std::size_t n = 4;
                    for (const std::size_t d : a.shape)
                        n *= d;
                    m_tensors.push_back({a.name, a.shape, "F32", n, true});
                }
            }
            /// The validated header.
            const llama2_header& header() const noexcept { return m_header; }

        private:
            friend class source_base;
            template <class T>
            void run(std::size_t i, T* dst) const
            {
                io::decode(m_file.data() + m_header.arrays[i].offset, io::dtype::float32, false, dst, m_tensors[i].bytes / 4);
            }
            io::mapped_file m_file;
            llama2_header m_header;
        };

        /// A GGUF file (io::gguf_file), memory-mapped; tensors dequantized as ggml does.
        class gguf_source final : public source_base<gguf_source>
        {
        public:
            /// Maps and validates `path`. \throws tessera::io_error (see io::gguf_file).
            explicit gguf_source(const std::string& path) : m_file(path)
            {
                for (const auto& t : m_file.tensors())
                    m_tensors.push_back({t.name, t.shape, io::ggml_type_name(t.type), t.bytes, io::ggml_type_readable(t.type)});
            }
            /// The mapped file (metadata).
            const io::gguf_file& file() const noexcept { return m_file; }

        private:
            friend class source_base;
            template <class T>
            void run(std::size_t i, T* dst) const
            {
                const auto& t = m_file.tensors()[i];
                io::dequantize(t.type, m_file.raw(t.name).data, t.count(), dst);
            }
            io::gguf_file m_file;
        };
    }  // namespace detail
}  // namespace tessera::model
