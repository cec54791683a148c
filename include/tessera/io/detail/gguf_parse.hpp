#pragma once
/// \file gguf_parse.hpp
/// Validating parser of a GGUF header (versions 2 and 3, little-endian): magic, version, counts,
/// every metadata key/value, the tensor infos, `general.alignment` and the data section's layout.
/// Every length and count is checked against the bytes that remain before it is used, so a
/// malformed image throws tessera::io_error (file, byte offset) and never reads out of bounds.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "../../core/errors.hpp"
#include "../mapped_file.hpp"
#include "gguf_metadata.hpp"
#include "gguf_types.hpp"

namespace tessera::io
{
    namespace detail
    {
        /// Default alignment of GGUF tensor data (GGUF_DEFAULT_ALIGNMENT) when `general.alignment` is absent.
        inline constexpr std::size_t gguf_default_alignment = 32;
        /// Deepest array nesting accepted (arrays of arrays of ...).
        inline constexpr int gguf_max_array_depth = 8;

        /// One tensor of a GGUF file.
        struct gguf_tensor_info
        {
            std::string name;                ///< the tensor's name
            std::vector<std::size_t> shape;  ///< numpy order: ne reversed, so a matrix is [ne[1], ne[0]] = [rows, cols]
            ggml_type type = ggml_type::f32; ///< element / block encoding
            std::size_t offset = 0;          ///< absolute file offset of the first byte (data section + stored offset)
            std::size_t bytes = 0;           ///< size of the data in bytes
            /// Number of elements (product of shape).
            std::size_t count() const noexcept
            {
                std::size_t c = 1;
                for (std::size_t d : shape)
                    c *= d;
                return c;
            }
        };

        /// The validated header of a GGUF image.
        struct gguf_header
        {
            std::uint32_t version = 3;                       ///< 2 or 3
            std::size_t alignment = gguf_default_alignment;  ///< general.alignment or 32
            gguf_metadata metadata;                          ///< every key/value, in file order
            std::vector<gguf_tensor_info> tensors;           ///< in file order
            std::size_t data_offset = 0;                     ///< first byte of the data section
        };

        /// Bounds-checked little-endian reads from `data[0, size)`.
        class gguf_cursor
        {
        public:
            gguf_cursor(const unsigned char* data, std::size_t size, const std::string& file)
                : m_data(data), m_size(size), m_file(file)
            {
            }
            std::size_t pos() const noexcept { return m_pos; }
            std::size_t remaining() const noexcept { return m_size - m_pos; }
            io_error fail(std::size_t at, const std::string& what) const { return io_error(m_file, at, what); }
            void need(std::size_t n, const char* what) const
            {
                if (n > remaining())
                    throw fail(m_pos, concat("truncated: ", what, " needs ", n, " bytes, ", remaining(), " remain of ", m_size));
            }
            std::uint64_t uint(std::size_t n, const char* what)
            {
                need(n, what);
                const std::uint64_t v = load_le(m_data + m_pos, n);
                m_pos += n;
                return v;
            }
            std::string string(const char* what)
            {
                const std::size_t at = m_pos;
                const std::uint64_t n = uint(8, what);
                if (n > remaining())
                    throw fail(at, concat(what, " length ", n, " runs past the end of the file (", remaining(), " bytes remain)"));
                std::string s(reinterpret_cast<const char*>(m_data + m_pos), static_cast<std::size_t>(n));
                m_pos += static_cast<std::size_t>(n);
                return s;
            }

        private:
            const unsigned char* m_data;
            std::size_t m_size;
            std::size_t m_pos = 0;
            const std::string& m_file;
        };

        inline gguf_value parse_gguf_value(gguf_cursor& c, std::uint32_t type, int depth, const std::string& key)
        {
            const std::size_t at = c.pos();
            switch (static_cast<gguf_value_type>(type))
            {
                case gguf_value_type::uint8: return static_cast<std::uint8_t>(c.uint(1, "uint8 value"));
                case gguf_value_type::int8: return static_cast<std::int8_t>(static_cast<std::uint8_t>(c.uint(1, "int8 value")));
                case gguf_value_type::uint16: return static_cast<std::uint16_t>(c.uint(2, "uint16 value"));
                case gguf_value_type::int16: return static_cast<std::int16_t>(static_cast<std::uint16_t>(c.uint(2, "int16 value")));
                case gguf_value_type::uint32: return static_cast<std::uint32_t>(c.uint(4, "uint32 value"));
                case gguf_value_type::int32: return static_cast<std::int32_t>(static_cast<std::uint32_t>(c.uint(4, "int32 value")));
                case gguf_value_type::uint64: return static_cast<std::uint64_t>(c.uint(8, "uint64 value"));
                case gguf_value_type::int64: return static_cast<std::int64_t>(c.uint(8, "int64 value"));
                case gguf_value_type::float32:
                {
                    const auto u = static_cast<std::uint32_t>(c.uint(4, "float32 value"));
                    float f = 0;
                    std::memcpy(&f, &u, 4);
                    return f;
                }
                case gguf_value_type::float64:
                {
                    const std::uint64_t u = c.uint(8, "float64 value");
                    double f = 0;
                    std::memcpy(&f, &u, 8);
                    return f;
                }
                case gguf_value_type::boolean:
                {
                    const std::uint64_t b = c.uint(1, "bool value");
                    if (b > 1)
                        throw c.fail(at, concat("key '", key, "': bool value ", b, " is not 0 or 1"));
                    return b == 1;
                }
                case gguf_value_type::string: return c.string("string value");
                case gguf_value_type::array:
                {
                    if (depth >= gguf_max_array_depth)
                        throw c.fail(at, concat("key '", key, "': arrays nested deeper than ", gguf_max_array_depth));
                    gguf_array a;
                    const auto et = static_cast<std::uint32_t>(c.uint(4, "array element type"));
                    if (et > 12)
                        throw c.fail(at, concat("key '", key, "': unknown array element type ", et));
                    a.type = static_cast<gguf_value_type>(et);
                    const std::size_t count_at = c.pos();
                    const std::uint64_t n = c.uint(8, "array length");
                    const std::size_t isz = gguf_value_size(a.type);
                    const std::size_t least = isz != 0 ? isz : a.type == gguf_value_type::string ? 8 : 12;
                    if (n > c.remaining() / least)
                        throw c.fail(count_at, concat("key '", key, "': array of ", n, " ", gguf_value_type_name(a.type),
                                                      " needs at least ", least, " bytes each, ", c.remaining(), " bytes remain"));
                    a.values.reserve(static_cast<std::size_t>(n));
                    for (std::uint64_t i = 0; i < n; ++i)
                        a.values.push_back(parse_gguf_value(c, et, depth + 1, key));
                    return a;
                }
            }
            throw c.fail(at > 4 ? at - 4 : 0, concat("key '", key, "': unknown value type ", type));
        }

        /// Parses and validates the GGUF image `data[0, size)`: magic "GGUF"; version 2 or 3 (1 and
        /// big-endian files refused); counts that fit the file; keys unique, values of known types,
        /// strings and arrays within the file; `general.alignment` a uint32 power of two; tensor
        /// names unique, n_dims <= 4, element counts without 64-bit overflow, rows a whole number of
        /// blocks, known ggml types, offsets aligned, inside the file and not overlapping.
        /// \throws tessera::io_error naming `file` and the byte offset of the offending field.
        inline gguf_header parse_gguf_header(const unsigned char* data, std::size_t size, const std::string& file)
        {
            gguf_cursor c(data, size, file);
            gguf_header h;
            c.need(4, "magic");
            if (std::memcmp(data, "GGUF", 4) != 0)
                throw c.fail(0, "not a GGUF file: the magic is not \"GGUF\"");
            c.uint(4, "magic");
            const auto version = static_cast<std::uint32_t>(c.uint(4, "version"));
            if (version == 1)
                throw c.fail(4, "GGUF version 1 is not supported (only versions 2 and 3; re-convert with a current llama.cpp)");
            if ((version & 0xffffu) == 0 && (version >> 24) >= 1 && (version >> 24) <= 3)
                throw c.fail(4, concat("big-endian GGUF (version ", version >> 24, ") is not supported"));
            if (version != 2 && version != 3)
                throw c.fail(4, concat("unknown GGUF version ", version, " (versions 2 and 3 are supported)"));
            h.version = version;
            const std::uint64_t n_tensors = c.uint(8, "tensor count");
            const std::uint64_t n_kv = c.uint(8, "metadata count");
            // a tensor info takes at least 24 bytes, a key/value at least 13
            if (n_tensors > c.remaining() / 24)
                throw c.fail(8, concat("tensor count ", n_tensors, " cannot fit in the ", c.remaining(), " bytes that remain"));
            if (n_kv > c.remaining() / 13)
                throw c.fail(16, concat("metadata count ", n_kv, " cannot fit in the ", c.remaining(), " bytes that remain"));
            for (std::uint64_t i = 0; i < n_kv; ++i)
            {
                const std::size_t at = c.pos();
                std::string key = c.string("metadata key");
                if (h.metadata.contains(key))
                    throw c.fail(at, concat("duplicate metadata key '", key, "'"));
                const auto type = static_cast<std::uint32_t>(c.uint(4, "value type"));
                gguf_value v = parse_gguf_value(c, type, 0, key);
                h.metadata.set(key, std::move(v));
            }
            if (const gguf_value* a = h.metadata.find("general.alignment"))
            {
                const auto* u = std::get_if<std::uint32_t>(&a->value());
                if (!u || *u == 0 || (*u & (*u - 1)) != 0)
                    throw c.fail(24, concat("general.alignment must be a uint32 power of two, got ",
                                            u ? concat(*u) : std::string(gguf_value_type_name(a->type()))));
                h.alignment = *u;
            }
            std::map<std::string, std::size_t> names;
            std::vector<std::size_t> rel(static_cast<std::size_t>(n_tensors));
            for (std::uint64_t i = 0; i < n_tensors; ++i)
            {
                const std::size_t at = c.pos();
                gguf_tensor_info t;
                t.name = c.string("tensor name");
                if (!names.emplace(t.name, static_cast<std::size_t>(i)).second)
                    throw c.fail(at, concat("duplicate tensor name '", t.name, "'"));
                auto bad = [&](std::size_t where, const std::string& what) { return c.fail(where, concat("tensor '", t.name, "': ", what)); };
                const std::size_t dims_at = c.pos();
                const std::uint64_t n_dims = c.uint(4, "n_dims");
                if (n_dims > 4)
                    throw bad(dims_at, concat("n_dims=", n_dims, " exceeds 4"));
                std::uint64_t ne[4] = {1, 1, 1, 1};
                std::uint64_t count = 1;
                for (std::size_t d = 0; d < n_dims; ++d)
                {
                    ne[d] = c.uint(8, "ne");
                    if (ne[d] > static_cast<std::uint64_t>(INT64_MAX) || __builtin_mul_overflow(count, ne[d], &count) ||
                        count > static_cast<std::uint64_t>(INT64_MAX))
                        throw bad(dims_at, concat("element count overflows 63 bits at ne[", d, "]=", ne[d]));
                }
                for (std::size_t d = n_dims; d-- > 0;)
                    t.shape.push_back(static_cast<std::size_t>(ne[d]));
                const std::size_t type_at = c.pos();
                const auto type = static_cast<std::uint32_t>(c.uint(4, "ggml type"));
                const ggml_type_traits tr = ggml_traits(type);
                if (!tr.name)
                    throw bad(type_at, concat("unknown ggml type ", type));
                t.type = static_cast<ggml_type>(type);
                if (ne[0] % tr.block != 0)
                    throw bad(dims_at, concat("row length ne[0]=", ne[0], " is not a multiple of the ", tr.name, " block of ", tr.block));
                if (__builtin_mul_overflow(static_cast<std::size_t>(count / tr.block), tr.bytes, &t.bytes))
                    throw bad(dims_at, "byte size overflows 64 bits");
                const std::size_t off_at = c.pos();
                const std::uint64_t off = c.uint(8, "tensor offset");
                if (off % h.alignment != 0)
                    throw bad(off_at, concat("offset ", off, " is not a multiple of the alignment ", h.alignment));
                rel[static_cast<std::size_t>(i)] = off_at;
                t.offset = static_cast<std::size_t>(off);  // relative for now
                h.tensors.push_back(std::move(t));
            }
            const std::size_t end = c.pos();
            h.data_offset = end + (h.alignment - end % h.alignment) % h.alignment;
            const std::size_t avail = h.data_offset <= size ? size - h.data_offset : 0;
            std::vector<std::size_t> order(h.tensors.size());
            for (std::size_t i = 0; i < order.size(); ++i)
            {
                order[i] = i;
                const gguf_tensor_info& t = h.tensors[i];
                if (t.offset > avail || t.bytes > avail - t.offset)
                    throw c.fail(rel[i], concat("tensor '", t.name, "': data [", t.offset, ", +", t.bytes, ") lies outside the ",
                                                avail, "-byte data section at byte ", h.data_offset));
            }
            std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return h.tensors[a].offset < h.tensors[b].offset; });
            const gguf_tensor_info* last = nullptr;  // the non-empty tensor ending furthest so far
            for (std::size_t k : order)
            {
                const gguf_tensor_info& t = h.tensors[k];
                if (t.bytes == 0)
                    continue;
                if (last && t.offset < last->offset + last->bytes)
                    throw c.fail(h.data_offset + t.offset, concat("tensor '", t.name, "' overlaps tensor '", last->name, "' (data [",
                                                                  t.offset, ", +", t.bytes, ") vs [", last->offset, ", +", last->bytes, "))"));
                if (!last || t.offset + t.bytes > last->offset + last->bytes)
                    last = &t;
            }
            for (auto& t : h.tensors)
                t.offset += h.data_offset;
            return h;
        }
    }  // namespace detail

    using detail::gguf_default_alignment, detail::gguf_header, detail::gguf_tensor_info,
        detail::parse_gguf_header;
}  // namespace tessera::io
