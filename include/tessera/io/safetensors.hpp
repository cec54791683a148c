#pragma once
/// \file safetensors.hpp
/// Hugging Face `.safetensors`: an 8-byte little-endian header length N, N bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [r, c], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {"k": "v"}}`, then the data buffer (offsets are relative to its start).
/// The file is memory-mapped; tensors F32, F16, BF16 and F64 are read into float or double (any
/// dtype's bytes through safetensors_file::bytes). The writer takes float/double tensors or
/// already-encoded raw_tensor bytes of any dtype.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "dtype.hpp"
#include "mapped_file.hpp"

namespace tessera::io
{
    /// Largest safetensors JSON header accepted (the reference implementation's cap, 100 MB).
    inline constexpr std::size_t safetensors_max_header_size = 100'000'000;

    /// One tensor's entry in a safetensors header.
    struct tensor_info
    {
        std::string name;                ///< key in the header
        std::string dtype_name;          ///< "F32", "BF16", "I64", ...
        bool readable = false;           ///< true for F16, BF16, F32, F64 (the types read() converts)
        dtype type = dtype::float32;     ///< the element type when readable
        std::vector<std::size_t> shape;  ///< dimensions, outermost first
        std::size_t begin = 0;           ///< first byte, relative to the data buffer
        std::size_t end = 0;             ///< one past the last byte, relative to the data buffer
    };

    /// A named tensor of float or double (what write_safetensors writes and read_tfjs_weights returns).
    template <class T>
    struct named_tensor
    {
        std::string name;       ///< tensor name
        xt::xarray<T> values;   ///< row-major values, any rank
    };

    /// An already-encoded tensor for write_safetensors: any safetensors dtype ("U8", "F16", ...),
    /// `data` pointing at prod(shape) * itemsize little-endian bytes that outlive the call.
    struct raw_tensor
    {
        std::string name;                ///< tensor name
        std::string dtype_name;          ///< safetensors dtype name: "F32", "F16", "U8", "I64", ...
        std::vector<std::size_t> shape;  ///< dimensions, outermost first
        const unsigned char* data = nullptr;  ///< the bytes (not owned)
    };

    namespace detail
    {
        inline std::size_t safetensors_itemsize(const std::string& d)
        {
            static const std::map<std::string, std::size_t> sizes = {
                {"BOOL", 1}, {"U8", 1}, {"I8", 1}, {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
                {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4}, {"F64", 8}, {"I64", 8}, {"U64", 8}};
            const auto it = sizes.find(d);
            return it == sizes.end() ? 0 : it->second;
        }

        /// The validated header of a safetensors image.
        struct safetensors_header
        {
            std::vector<tensor_info> tensors;             ///< sorted by begin offset
            std::map<std::string, std::string> metadata;  ///< the __metadata__ entries
            std::size_t data_offset = 0;                  ///< 8 + header length
        };

        /// Parses and validates the header of the safetensors image `data[0, size)`: header
        /// length within the cap and the file, JSON syntax, every entry's dtype/shape/offsets,
        /// shape * itemsize == end - begin (overflow-checked), offsets sorted, non-overlapping
        /// and covering the data buffer exactly.
        /// \throws tessera::io_error naming `file` and the byte offset (8 for entry errors).
        inline safetensors_header parse_safetensors_header(const unsigned char* data, std::size_t size,
                                                           const std::string& file)
        {
            if (size < 8)
                throw io_error(file, size, concat("truncated: need an 8-byte header length, file has ", size, " bytes"));
            const std::uint64_t n = load_le(data, 8);
            if (n > safetensors_max_header_size)
                throw io_error(file, 0, concat("header length ", n, " exceeds the cap of ", safetensors_max_header_size, " bytes"));
            if (n > size - 8)
                throw io_error(file, size, concat("truncated header: header length ", n, " needs ", n + 8,
                                                  " bytes, file has ", size));
            safetensors_header h;
            h.data_offset = 8 + static_cast<std::size_t>(n);
            nlohmann::json j;
            try
            {
                j = nlohmann::json::parse(data + 8, data + h.data_offset);
            }
            catch (const nlohmann::json::parse_error& e)
            {
                throw io_error(file, 8 + (e.byte > 0 ? e.byte - 1 : 0), concat("malformed JSON header: ", e.what()));
            }
            catch (const nlohmann::json::exception& e)  // e.g. out_of_range 406: a number overflows
            {
                throw io_error(file, 8, concat("malformed JSON header: ", e.what()));
            }
            if (!j.is_object())
                throw io_error(file, 8, "malformed header: the JSON is not an object");
            const std::size_t buffer = size - h.data_offset;
            for (auto it = j.begin(); it != j.end(); ++it)
            {
                const std::string& name = it.key();
                const auto& v = it.value();
                auto bad = [&](const std::string& what) { return io_error(file, 8, concat("tensor '", name, "': ", what)); };
                if (name == "__metadata__")
                {
                    if (!v.is_object())
                        throw bad("__metadata__ must be an object of strings");
                    for (auto m = v.begin(); m != v.end(); ++m)
                    {
                        if (!m.value().is_string())
                            throw bad(concat("__metadata__ value of '", m.key(), "' is not a string"));
                        h.metadata[m.key()] = m.value().get<std::string>();
                    }
                    continue;
                }
                if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
                    throw bad("entry needs 'dtype', 'shape' and 'data_offsets'");
                tensor_info t;
                t.name = name;
                if (!v["dtype"].is_string())
                    throw bad("'dtype' is not a string");
                t.dtype_name = v["dtype"].get<std::string>();
                const std::size_t isz = safetensors_itemsize(t.dtype_name);
                if (isz == 0)
                    throw bad(concat("unknown dtype '", t.dtype_name, "'"));
                t.readable = t.dtype_name == "F32" || t.dtype_name == "F16" || t.dtype_name == "BF16" || t.dtype_name == "F64";
                t.type = t.dtype_name == "F16" ? dtype::float16 : t.dtype_name == "BF16" ? dtype::bfloat16
                         : t.dtype_name == "F64" ? dtype::float64 : dtype::float32;
                const auto& s = v["shape"];
                if (!s.is_array() || s.size() > 64)
                    throw bad("'shape' must be an array of at most 64 non-negative integers");
                std::size_t count = 1;
                for (const auto& d : s)
                {
                    if (!d.is_number_unsigned())
                        throw bad("'shape' must hold non-negative integers");
                    t.shape.push_back(d.get<std::size_t>());
                    count = checked_mul(count, t.shape.back(), file, 8, concat("tensor '", name, "': shape product").c_str());
                }
                const std::size_t bytes = checked_mul(count, isz, file, 8, concat("tensor '", name, "': byte size").c_str());
                const auto& o = v["data_offsets"];
                if (!o.is_array() || o.size() != 2 || !o[0].is_number_unsigned() || !o[1].is_number_unsigned())
                    throw bad("'data_offsets' must be [begin, end] of non-negative integers");
                t.begin = o[0].get<std::size_t>();
                t.end = o[1].get<std::size_t>();
                if (t.begin > t.end || t.end > buffer)
                    throw bad(concat("data_offsets [", t.begin, ", ", t.end, "] out of range of the ", buffer,
                                     "-byte data buffer"));
                if (t.end - t.begin != bytes)
                    throw bad(concat("data_offsets [", t.begin, ", ", t.end, "] hold ", t.end - t.begin, " bytes but shape ",
                                     shape_to_string(t.shape), " of ", t.dtype_name, " needs ", bytes));
                h.tensors.push_back(std::move(t));
            }
            std::sort(h.tensors.begin(), h.tensors.end(),
                      [](const tensor_info& a, const tensor_info& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
            std::size_t expect = 0;
            for (const auto& t : h.tensors)
            {
                if (t.begin != expect)
                    throw io_error(file, h.data_offset + std::min(t.begin, expect),
                                   concat("tensor '", t.name, "' starts at data byte ", t.begin, " but the previous tensor ends at ",
                                          expect, t.begin < expect ? " (overlap)" : " (hole)"));
                expect = t.end;
            }
            if (expect != buffer)
                throw io_error(file, h.data_offset + expect, concat("header lies about the data: tensors cover ", expect,
                                                                    " bytes, data buffer has ", buffer));
            return h;
        }

        inline void check_readable(const tensor_info& t, const safetensors_header& h, const std::string& file)
        {
            if (!t.readable)
                throw io_error(file, h.data_offset + t.begin, concat("tensor '", t.name, "' has unsupported dtype ",
                                                                     t.dtype_name, " (supported: F16, BF16, F32, F64)"));
        }

        /// Decodes tensor `t` of the validated image `data` (header `h`) into an xarray<T>.
        /// \throws tessera::io_error (file, offset) when t's dtype is not F16/BF16/F32/F64.
        template <class T>
        xt::xarray<T> read_tensor(const unsigned char* data, const safetensors_header& h, const tensor_info& t,
                                  const std::string& file)
        {
            static_assert(is_real_v<T>, "tessera::io::read_tensor<T>: T must be float or double");
            check_readable(t, h, file);
            xt::xarray<T> out = xt::xarray<T>::from_shape(t.shape);
            decode(data + h.data_offset + t.begin, t.type, false, out.data(), out.size());
            return out;
        }

        /// A memory-mapped safetensors file: list tensors, read one by name.
        class safetensors_file
        {
        public:
            /// Maps and validates `path`. \throws tessera::io_error (see parse_safetensors_header).
            explicit safetensors_file(const std::string& path) : m_file(path),
                m_header(parse_safetensors_header(m_file.data(), m_file.size(), path))
            {
            }
            /// Every tensor, sorted by offset.
            const std::vector<tensor_info>& tensors() const noexcept { return m_header.tensors; }
            /// The `__metadata__` strings.
            const std::map<std::string, std::string>& metadata() const noexcept { return m_header.metadata; }
            /// True when a tensor `name` exists.
            bool contains(const std::string& name) const { return find(name) != nullptr; }
            /// The entry of `name`. \throws tessera::invalid_argument when absent.
            const tensor_info& info(const std::string& name) const
            {
                const tensor_info* t = find(name);
                require(t != nullptr, "io::safetensors_file::info", "name='", name, "' is not a tensor of ", m_file.path());
                return *t;
            }
            /// Reads tensor `name` converted to T, any rank. O(count).
            /// \throws tessera::invalid_argument when absent; tessera::io_error (file, offset) for
            ///         a dtype other than F16/BF16/F32/F64.
            template <class T>
            xt::xarray<T> read(const std::string& name) const
            {
                static_assert(is_real_v<T>, "tessera::io::safetensors_file::read<T>: T must be float or double");
                const tensor_info& t = info(name);
                xt::xarray<T> out = xt::xarray<T>::from_shape(t.shape);
                read_into(t, out.data());  // checks the dtype before writing
                return out;
            }
            /// Reads a 2-D tensor `name` as an `xt::xtensor<T, 2>`.
            /// \throws tessera::invalid_argument when absent or not 2-D; io_error as read().
            template <class T>
            xt::xtensor<T, 2> read_matrix(const std::string& name) const
            {
                const tensor_info& t = info(name);
                require(t.shape.size() == 2, "io::safetensors_file::read_matrix", "tensor '", name,
                        "' must be 2-D, has shape ", shape_to_string(t.shape));
                xt::xtensor<T, 2> out = xt::xtensor<T, 2>::from_shape({t.shape[0], t.shape[1]});
                read_into(t, out.data());  // checks the dtype before writing
                return out;
            }
            /// Decodes tensor `t` (an entry of tensors(), F16/BF16/F32/F64) into `out[0, count)`.
            /// Stored as T and 1 MiB or more: read with pread straight into `out`, advised huge
            /// pages and faulted in (core/memory.hpp), one part per thread
            /// (file_descriptor::read_large); copying out of the mapping
            /// faults every 4 KiB page twice, source and destination (3.6x the stdio floor on a
            /// 39 MB factor). Else decoded from the mapping. O(bytes).
            /// \throws tessera::io_error (file, offset) for another dtype or a failed read.
            template <class T>
            void read_into(const tensor_info& t, T* out) const
            {
                static_assert(is_real_v<T>, "tessera::io::safetensors_file::read_into<T>: T must be float or double");
                check_readable(t, m_header, m_file.path());
                const std::size_t n = t.end - t.begin;
                if (t.type == dtype_of<T>() && n >= (std::size_t(1) << 20))
                {
                    advise_huge_pages(out, n);
                    tessera::detail::prefault(out, n);
                    file_descriptor(m_file.path()).read_large(reinterpret_cast<unsigned char*>(out), n, data_offset() + t.begin);
                    return;
                }
                decode(bytes(t), t.type, false, out, n / dtype_size(t.type));
            }
            /// The file's path.
            const std::string& path() const noexcept { return m_file.path(); }
            /// Absolute offset of the data buffer (8 + header length): tensor t's first byte is at
            /// data_offset() + t.begin in the file.
            std::size_t data_offset() const noexcept { return m_header.data_offset; }
            /// The stored bytes of `t` (an entry of tensors()) inside the mapping, `t.end - t.begin`
            /// of them, for decoding without a copy; valid while this object lives.
            const unsigned char* bytes(const tensor_info& t) const noexcept
            {
                return m_file.data() + m_header.data_offset + t.begin;
            }

        private:
            const tensor_info* find(const std::string& name) const
            {
                for (const auto& t : m_header.tensors)
                    if (t.name == name)
                        return &t;
                return nullptr;
            }
            mapped_file m_file;
            safetensors_header m_header;
        };

        /// Writes already-encoded `tensors` (in the given order, contiguous) as a safetensors file
        /// with optional `__metadata__`: the one safetensors writer (write_safetensors of float or
        /// double tensors encodes, then calls this). Each tensor's bytes are taken as they are.
        /// \throws tessera::invalid_argument on an empty, duplicate or '__metadata__' name, an
        ///         unknown dtype name or a null data pointer for a non-empty tensor;
        ///         tessera::io_error naming the file and byte offset when writing fails.
        inline void write_safetensors(const std::string& path, const std::vector<raw_tensor>& tensors,
                                      const std::map<std::string, std::string>& metadata = {})
        {
            nlohmann::json j = nlohmann::json::object();
            std::size_t off = 0;
            std::vector<std::size_t> sizes;
            for (const auto& t : tensors)
            {
                require(!t.name.empty() && t.name != "__metadata__" && !j.contains(t.name), "io::write_safetensors",
                        "tensor names must be non-empty, unique and not '__metadata__', got '", t.name, "'");
                const std::size_t isz = safetensors_itemsize(t.dtype_name);
                require(isz != 0, "io::write_safetensors", "tensor '", t.name, "': dtype must be a safetensors dtype (F32, U8, ...), got '",
                        t.dtype_name, "'");
                std::size_t bytes = isz;
                for (std::size_t d : t.shape)
                    bytes *= d;
                require(bytes == 0 || t.data != nullptr, "io::write_safetensors", "tensor '", t.name, "': data is null for shape ",
                        shape_to_string(t.shape));
                j[t.name] = {{"dtype", t.dtype_name}, {"shape", t.shape}, {"data_offsets", {off, off + bytes}}};
                sizes.push_back(bytes);
                off += bytes;
            }
            if (!metadata.empty())
                j["__metadata__"] = metadata;
            std::string header = j.dump();
            header.append((8 - header.size() % 8) % 8, ' ');
            std::FILE* fp = std::fopen(path.c_str(), "wb");
            if (!fp)
                throw io_error(path, 0, "cannot open for writing");
            std::size_t written = 0;
            auto put = [&](const void* p, std::size_t n) {
                if (n != 0 && std::fwrite(p, 1, n, fp) != n)
                {
                    std::fclose(fp);
                    throw io_error(path, written, "write failed");
                }
                written += n;
            };
            unsigned char len[8];
            for (std::size_t i = 0; i < 8; ++i)
                len[i] = static_cast<unsigned char>((header.size() >> (8 * i)) & 0xffu);
            put(len, 8);
            put(header.data(), header.size());
            for (std::size_t i = 0; i < tensors.size(); ++i)
                put(tensors[i].data, sizes[i]);
            if (std::fclose(fp) != 0)
                throw io_error(path, written, "close failed");
        }

        /// Writes `tensors` (in the given order, contiguous) as a safetensors file with element
        /// type `type` (narrowing rounds to nearest even) and optional `__metadata__`. Tensors
        /// already of `type` are written from their own buffers, others encoded first.
        /// \throws tessera::invalid_argument on an empty or duplicate name; tessera::io_error
        ///         naming the file and byte offset when writing fails.
        template <class T>
        void write_safetensors(const std::string& path, const std::vector<named_tensor<T>>& tensors,
                               dtype type = dtype_of<T>(), const std::map<std::string, std::string>& metadata = {})
        {
            static_assert(is_real_v<T>, "tessera::io::write_safetensors<T>: T must be float or double");
            const char* dname = type == dtype::float16 ? "F16" : type == dtype::bfloat16 ? "BF16" : type == dtype::float32 ? "F32" : "F64";
            std::vector<std::vector<unsigned char>> encoded(type == dtype_of<T>() ? 0 : tensors.size());
            std::vector<raw_tensor> raw;
            raw.reserve(tensors.size());
            for (std::size_t i = 0; i < tensors.size(); ++i)
            {
                const auto& t = tensors[i];
                const unsigned char* data = reinterpret_cast<const unsigned char*>(t.values.data());
                if (!encoded.empty())
                {
                    encoded[i].resize(t.values.size() * dtype_size(type));
                    encode(t.values.data(), type, encoded[i].data(), t.values.size());
                    data = encoded[i].data();
                }
                raw.push_back({t.name, dname, std::vector<std::size_t>(t.values.shape().begin(), t.values.shape().end()), data});
            }
            write_safetensors(path, raw, metadata);
        }
    }  // namespace detail

    using detail::parse_safetensors_header, detail::read_tensor, detail::safetensors_file,
        detail::safetensors_header, detail::write_safetensors;
}  // namespace tessera::io
