#pragma once
/// \file gguf.hpp
/// llama.cpp's GGUF model files (versions 2 and 3): a memory-mapped reader that lists the
/// metadata and tensors and dequantizes one tensor at a time (F32, F16, BF16, F64, Q4_0, Q8_0,
/// Q4_K, Q6_K, TQ1_0, TQ2_0, bit for bit as ggml), and a writer (F32, F16, BF16, Q8_0).
/// Layout: "GGUF", uint32 version, uint64 tensor and key/value counts, the key/values, the tensor
/// infos (name, n_dims, ne[n_dims], ggml type, offset), padding to `general.alignment`, the data.

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "detail/gguf_dequant.hpp"
#include "detail/gguf_metadata.hpp"
#include "detail/gguf_parse.hpp"
#include "detail/gguf_types.hpp"
#include "detail/gguf_write.hpp"
#include "mapped_file.hpp"

namespace tessera::io
{
    namespace detail
    {
        /// A tensor's bytes inside a mapped file (valid while the gguf_file lives).
        struct gguf_bytes
        {
            const unsigned char* data = nullptr;  ///< first byte
            std::size_t size = 0;                 ///< number of bytes
        };

        /// A memory-mapped GGUF file: header validated at open, tensors decoded on demand, one
        /// at a time (the file is never read into memory as a whole).
        class gguf_file
        {
        public:
            /// Maps and validates `path`. \throws tessera::io_error (file, byte) — see parse_gguf_header.
            explicit gguf_file(const std::string& path)
                : m_file(path), m_header(parse_gguf_header(m_file.data(), m_file.size(), m_file.path()))
            {
                for (std::size_t i = 0; i < m_header.tensors.size(); ++i)
                    m_index.emplace(m_header.tensors[i].name, i);
            }
            /// Same as the constructor.
            static gguf_file open(const std::string& path) { return gguf_file(path); }

            /// The file's path.
            const std::string& path() const noexcept { return m_file.path(); }
            /// GGUF version (2 or 3).
            std::uint32_t version() const noexcept { return m_header.version; }
            /// Data alignment in bytes (general.alignment, default 32).
            std::size_t alignment() const noexcept { return m_header.alignment; }
            /// Absolute offset of the data section.
            std::size_t data_offset() const noexcept { return m_header.data_offset; }
            /// Every key/value, with typed getters: `metadata().get<std::string>("general.architecture")`.
            const gguf_metadata& metadata() const noexcept { return m_header.metadata; }
            /// Every tensor, in file order.
            const std::vector<gguf_tensor_info>& tensors() const noexcept { return m_header.tensors; }
            /// True when a tensor `name` exists.
            bool contains(const std::string& name) const { return m_index.count(name) != 0; }
            /// The info of tensor `name`. \throws tessera::invalid_argument when absent.
            const gguf_tensor_info& info(const std::string& name) const
            {
                const auto it = m_index.find(name);
                require(it != m_index.end(), "io::gguf_file::info", "name='", name, "' is not a tensor of ", path());
                return m_header.tensors[it->second];
            }
            /// The stored bytes of tensor `name` (any type), without copying.
            /// \throws tessera::invalid_argument when absent.
            gguf_bytes raw(const std::string& name) const
            {
                const gguf_tensor_info& t = info(name);
                return {m_file.data() + t.offset, t.bytes};
            }
            /// Tensor `name` dequantized to T as an xarray of its shape (numpy order). O(count).
            /// \throws tessera::invalid_argument when absent; tessera::io_error (file, tensor offset)
            ///         "unsupported ggml type Q5_K (13) for tensor 'x'" for a type ggml_type_readable rejects.
            template <class T>
            xt::xarray<T> read(const std::string& name) const
            {
                static_assert(is_real_v<T>, "tessera::io::gguf_file::read<T>: T must be float or double");
                const gguf_tensor_info& t = info(name);
                xt::xarray<T> out = xt::xarray<T>::from_shape(t.shape);
                decode(t, out.data());
                return out;
            }
            /// Tensor `name` as an `xt::xtensor<T, N>`; N must equal its number of dimensions.
            /// \throws tessera::invalid_argument when absent or of another rank; io_error as read<T>.
            template <class T, std::size_t N>
            xt::xtensor<T, N> read(const std::string& name) const
            {
                static_assert(is_real_v<T>, "tessera::io::gguf_file::read<T, N>: T must be float or double");
                const gguf_tensor_info& t = info(name);
                require(t.shape.size() == N, "io::gguf_file::read", "tensor '", name, "' has shape ", shape_to_string(t.shape),
                        ", not ", N, " dimensions");
                std::array<std::size_t, N> shape{};
                for (std::size_t d = 0; d < N; ++d)
                    shape[d] = t.shape[d];
                xt::xtensor<T, N> out = xt::xtensor<T, N>::from_shape(shape);
                decode(t, out.data());
                return out;
            }

        private:
            template <class T>
            void decode(const gguf_tensor_info& t, T* out) const
            {
                if (!ggml_type_readable(t.type))
                    throw io_error(path(), t.offset, concat("unsupported ggml type ", ggml_type_name(t.type), " (",
                                                            static_cast<std::uint32_t>(t.type), ") for tensor '", t.name, "'"));
                dequantize(t.type, m_file.data() + t.offset, t.count(), out);
            }
            mapped_file m_file;
            gguf_header m_header;
            std::map<std::string, std::size_t> m_index;
        };
    }  // namespace detail

    using detail::gguf_bytes, detail::gguf_file;
}  // namespace tessera::io
