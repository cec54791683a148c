#pragma once
/// \file npy_header.hpp
/// Parsing and formatting of the NumPy `.npy` header (format versions 1.0, 2.0 and 3.0).
///
/// Layout: magic `\x93NUMPY`, major and minor version bytes, the header length (uint16 LE for
/// v1, uint32 LE for v2/v3), then a Python dict literal
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces and a
/// final `\n`, then the data. Supported `descr`: `<f2`, `<f4`, `<f8` (and their big-endian `>`
/// forms, byte-swapped on read) and `<u2`, which tessera reads and writes as **bfloat16 bit
/// patterns** (numpy has no bfloat16; `arr.view(np.uint16)` of an ml_dtypes bfloat16 array
/// stores exactly these bits).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../core/errors.hpp"
#include "dtype.hpp"
#include "mapped_file.hpp"

namespace tessera::io
{
    /// Largest header length accepted, in bytes (numpy itself refuses more than 10,000 by default).
    inline constexpr std::size_t npy_max_header_size = 100000;

    /// What a `.npy` header says, after validation against the file size.
    struct npy_header
    {
        dtype type = dtype::float32;     ///< element type
        bool big_endian = false;         ///< data bytes are big-endian (descr starts with '>')
        bool fortran_order = false;      ///< data is column-major (first index fastest)
        std::vector<std::size_t> shape;  ///< dimensions, outermost first, as written in the header
        std::size_t data_offset = 0;     ///< byte offset of the first element
        std::size_t data_bytes = 0;      ///< product(shape) * dtype_size(type)
        int major_version = 1;           ///< 1, 2 or 3
        std::string descr;               ///< the header's descr string, e.g. "<f4"

        /// Number of elements, product(shape) (1 for a 0-d array).
        std::size_t count() const noexcept
        {
            std::size_t n = 1;
            for (auto d : shape)
                n *= d;
            return n;
        }
    };

    namespace detail
    {
        /// A cursor over the header dict text; every failure names the file and absolute offset.
        class npy_dict_parser
        {
        public:
            npy_dict_parser(const unsigned char* p, std::size_t n, std::size_t base, const std::string& file)
                : m_p(p), m_n(n), m_base(base), m_file(file)
            {
            }
            [[noreturn]] void fail(const std::string& what) const
            {
                throw io_error(m_file, m_base + m_i, concat("malformed .npy header: ", what));
            }
            void skip_ws()
            {
                while (m_i < m_n && (m_p[m_i] == ' ' || m_p[m_i] == '\t' || m_p[m_i] == '\n' || m_p[m_i] == '\r'))
                    ++m_i;
            }
            bool peek(char c)
            {
                skip_ws();
                return m_i < m_n && m_p[m_i] == static_cast<unsigned char>(c);
            }
            void expect(char c)
            {
                if (!peek(c))
                    fail(concat("expected '", c, "'"));
                ++m_i;
            }
            std::string string()
            {
                skip_ws();
                if (m_i >= m_n || (m_p[m_i] != '\'' && m_p[m_i] != '"'))
                    fail("expected a quoted string");
                const unsigned char q = m_p[m_i++];
                std::string s;
                while (m_i < m_n && m_p[m_i] != q)
                {
                    if (s.size() > 64)
                        fail("string longer than 64 characters");
                    s.push_back(static_cast<char>(m_p[m_i++]));
                }
                if (m_i >= m_n)
                    fail("unterminated string");
                ++m_i;
                return s;
            }
            bool boolean()
            {
                skip_ws();
                if (match("True"))
                    return true;
                if (match("False"))
                    return false;
                fail("expected True or False");
            }
            std::vector<std::size_t> tuple()
            {
                expect('(');
                std::vector<std::size_t> dims;
                while (!peek(')'))
                {
                    if (dims.size() >= 64)
                        fail("more than 64 dimensions");
                    dims.push_back(integer());
                    if (m_i < m_n && (m_p[m_i] == 'L' || m_p[m_i] == 'l'))
                        ++m_i;  // Python 2 long suffix
                    if (!peek(','))
                        break;
                    ++m_i;
                }
                expect(')');
                return dims;
            }
            std::size_t integer()
            {
                skip_ws();
                if (m_i >= m_n || m_p[m_i] < '0' || m_p[m_i] > '9')
                    fail("expected a non-negative integer dimension");
                std::size_t v = 0;
                while (m_i < m_n && m_p[m_i] >= '0' && m_p[m_i] <= '9')
                {
                    if (__builtin_mul_overflow(v, std::size_t{10}, &v) ||
                        __builtin_add_overflow(v, static_cast<std::size_t>(m_p[m_i] - '0'), &v))
                        fail("dimension overflows size_t");
                    ++m_i;
                }
                return v;
            }
            bool at_end()
            {
                skip_ws();
                return m_i == m_n;
            }
            std::size_t offset()
            {
                skip_ws();
                return m_base + m_i;
            }

        private:
            bool match(const char* word)
            {
                std::size_t k = 0;
                while (word[k] && m_i + k < m_n && m_p[m_i + k] == static_cast<unsigned char>(word[k]))
                    ++k;
                if (word[k] != '\0')
                    return false;
                m_i += k;
                return true;
            }
            const unsigned char* m_p;
            std::size_t m_n;
            std::size_t m_i = 0;
            std::size_t m_base;
            const std::string& m_file;
        };

        /// As parse_npy_header, for a prefix: `data[0, available)` holds the first bytes of a file of
        /// `size` bytes (available >= min(size, 12 + npy_max_header_size) suffices).
        inline npy_header parse_npy_header_prefix(const unsigned char* data, std::size_t available, std::size_t size,
                                                  const std::string& file)
        {
            static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
            if (size < 10)
                throw io_error(file, size, concat("truncated .npy preamble: need at least 10 bytes, file has ", size));
            for (std::size_t i = 0; i < 6; ++i)
                if (data[i] != magic[i])
                    throw io_error(file, i, "bad magic: not a .npy file (expected \\x93NUMPY)");
            npy_header h;
            h.major_version = data[6];
            if (h.major_version < 1 || h.major_version > 3)
                throw io_error(file, 6, concat("unsupported .npy format version ", int(data[6]), ".", int(data[7]),
                                               " (supported: 1.0, 2.0, 3.0)"));
            const std::size_t len_bytes = h.major_version == 1 ? 2 : 4;
            const std::size_t preamble = 8 + len_bytes;
            if (size < preamble)
                throw io_error(file, size, concat("truncated .npy preamble: need ", preamble, " bytes, file has ", size));
            const auto hlen = static_cast<std::size_t>(load_le(data + 8, len_bytes));
            if (hlen > npy_max_header_size)
                throw io_error(file, 8, concat("header length ", hlen, " exceeds the cap of ", npy_max_header_size,
                                               " bytes"));
            if (size - preamble < hlen)
                throw io_error(file, size, concat("truncated header: header length ", hlen, " needs ",
                                                  preamble + hlen, " bytes, file has ", size));
            if (available < preamble + hlen)
                throw io_error(file, available, concat("header of ", hlen, " bytes not fully available (", available, " bytes read)"));
            npy_dict_parser p(data + preamble, hlen, preamble, file);
            bool have_descr = false, have_order = false, have_shape = false;
            std::size_t descr_at = 0, shape_at = 0;
            p.expect('{');
            while (!p.peek('}'))
            {
                const std::size_t key_at = p.offset();
                const std::string key = p.string();
                p.expect(':');
                if (key == "descr" && !have_descr)
                {
                    descr_at = p.offset();
                    h.descr = p.string();
                    have_descr = true;
                }
                else if (key == "fortran_order" && !have_order)
                {
                    h.fortran_order = p.boolean();
                    have_order = true;
                }
                else if (key == "shape" && !have_shape)
                {
                    shape_at = p.offset();
                    h.shape = p.tuple();
                    have_shape = true;
                }
                else
                    throw io_error(file, key_at, concat("malformed .npy header: unexpected or repeated key '", key, "'"));
                if (!p.peek(','))
                    break;
                p.expect(',');
            }
            p.expect('}');
            if (!p.at_end())
                p.fail("unexpected text after the closing '}'");
            if (!have_descr || !have_order || !have_shape)
                throw io_error(file, preamble, "malformed .npy header: needs the keys 'descr', 'fortran_order' and 'shape'");

            const std::string& d = h.descr;
            const bool order_ok = d.size() == 3 && (d[0] == '<' || d[0] == '>' || d[0] == '=');
            const std::string kind = order_ok ? d.substr(1) : std::string();
            h.big_endian = order_ok && d[0] == '>';
            if (kind == "f2")
                h.type = dtype::float16;
            else if (kind == "f4")
                h.type = dtype::float32;
            else if (kind == "f8")
                h.type = dtype::float64;
            else if (kind == "u2")
                h.type = dtype::bfloat16;
            else
                throw io_error(file, descr_at, concat("unsupported dtype '", d,
                                                      "' (supported: <f2, <f4, <f8, and <u2 read as bfloat16 bits)"));
            std::size_t count = 1;
            for (auto dim : h.shape)
                count = checked_mul(count, dim, file, shape_at, "shape product");
            h.data_bytes = checked_mul(count, dtype_size(h.type), file, shape_at, "data size (shape product * itemsize)");
            h.data_offset = preamble + hlen;
            const std::size_t have = size - h.data_offset;
            if (have < h.data_bytes)
                throw io_error(file, size, concat("truncated data: shape ", shape_to_string(h.shape), " of ", d, " needs ",
                                                  h.data_bytes, " bytes from byte ", h.data_offset, ", file has ", have));
            if (have > h.data_bytes)
                throw io_error(file, h.data_offset + h.data_bytes,
                               concat("header lies about the shape: shape ", shape_to_string(h.shape), " of ", d,
                                      " covers ", h.data_bytes, " bytes but ", have - h.data_bytes,
                                      " more bytes follow"));
            return h;
        }

        /// Parses and validates the header of the `.npy` image `data[0, size)`: magic, version,
        /// header-length cap, dict syntax and keys, dtype, shape-product overflow, and that the
        /// data region is exactly the rest of the file.
        /// \throws tessera::io_error naming `file` and the byte offset of the first problem.
        inline npy_header parse_npy_header(const unsigned char* data, std::size_t size, const std::string& file)
        {
            return parse_npy_header_prefix(data, size, size, file);
        }

        /// The bytes of a version 1.0 (or 2.0 when longer than 65,535) header for `shape`,
        /// padded so that the data starts at a multiple of 64 bytes, as numpy writes it.
        inline std::string format_npy_header(dtype t, const std::vector<std::size_t>& shape, bool fortran_order)
        {
            const char* descr = t == dtype::float16 ? "<f2" : t == dtype::bfloat16 ? "<u2" : t == dtype::float32 ? "<f4" : "<f8";
            std::string dict = concat("{'descr': '", descr, "', 'fortran_order': ", fortran_order ? "True" : "False",
                                      ", 'shape': (");
            for (std::size_t i = 0; i < shape.size(); ++i)
                dict += concat(shape[i], shape.size() == 1 || i + 1 < shape.size() ? "," : "",
                               i + 1 < shape.size() ? " " : "");
            dict += "), }";
            std::size_t preamble = 10;
            std::size_t total = (preamble + dict.size() + 1 + 63) / 64 * 64;
            if (total - preamble > 65535)
            {
                preamble = 12;
                total = (preamble + dict.size() + 1 + 63) / 64 * 64;
            }
            const std::size_t hlen = total - preamble;
            std::string out("\x93NUMPY", 6);
            out.push_back(static_cast<char>(preamble == 10 ? 1 : 2));
            out.push_back(0);
            for (std::size_t i = 0; i < preamble - 8; ++i)
                out.push_back(static_cast<char>((hlen >> (8 * i)) & 0xffu));
            out += dict;
            out.append(hlen - dict.size() - 1, ' ');
            out.push_back('\n');
            return out;
        }
    }  // namespace detail

    /// Parses and validates a `.npy` header from bytes; see detail::parse_npy_header.
    using detail::parse_npy_header, detail::parse_npy_header_prefix;
    /// Formats a `.npy` header numpy-style (data aligned to 64 bytes).
    using detail::format_npy_header;
}  // namespace tessera::io
