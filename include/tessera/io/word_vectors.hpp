#pragma once
/// \file word_vectors.hpp
/// Word-vector files: GloVe text (`word v1 ... vd` per line), word2vec text (a `count dim`
/// header line, then GloVe-style lines) and word2vec binary (`count dim\n`, then per word the
/// UTF-8 word, one space, d little-endian float32 and an optional `\n`), plus the vocabulary
/// (`.words`: one word per line, row order) that goes beside a `.npy` matrix.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "dtype.hpp"
#include "mapped_file.hpp"

namespace tessera::io
{
    /// Words in row order plus the word -> row map.
    struct vocabulary
    {
        std::vector<std::string> words;                      ///< row i holds words[i]
        std::unordered_map<std::string, std::size_t> index;  ///< word -> row

        /// Number of words.
        std::size_t size() const noexcept { return words.size(); }
        /// True when `w` is in the vocabulary.
        bool contains(const std::string& w) const { return index.count(w) != 0; }
        /// Row of `w`, or std::nullopt.
        std::optional<std::size_t> find(const std::string& w) const
        {
            const auto it = index.find(w);
            return it == index.end() ? std::nullopt : std::optional<std::size_t>(it->second);
        }
        /// Row of `w`. \throws tessera::invalid_argument when `w` is absent.
        std::size_t row(const std::string& w) const
        {
            const auto it = index.find(w);
            require(it != index.end(), "io::vocabulary::row", "word='", w, "' is not in the vocabulary of ", words.size(),
                    " words");
            return it->second;
        }
        /// Appends `w` as the next row; returns false (and changes nothing) if it is a duplicate.
        bool add(std::string w)
        {
            const auto [it, inserted] = index.emplace(w, words.size());
            if (inserted)
                words.push_back(std::move(w));
            return inserted;
        }
    };

    /// A vocabulary and its `size() x dim` matrix (row i is the vector of vocab.words[i]).
    template <class T>
    struct word_vectors
    {
        vocabulary vocab;            ///< words in row order
        xt::xtensor<T, 2> vectors;   ///< [vocab.size(), dim], row-major
    };

    namespace detail
    {
        /// Splits a text image into lines and tracks 1-based line numbers and byte offsets.
        class line_reader
        {
        public:
            line_reader(const unsigned char* data, std::size_t size, const std::string& file)
                : m_data(reinterpret_cast<const char*>(data)), m_size(size), m_file(file)
            {
            }
            /// Next line without its terminator (and without a trailing '\r'); false at the end.
            bool next(std::string_view& line)
            {
                if (m_pos >= m_size)
                    return false;
                m_line_start = m_pos;
                ++m_line;
                std::size_t e = m_pos;
                while (e < m_size && m_data[e] != '\n')
                    ++e;
                std::size_t len = e - m_pos;
                if (len > 0 && m_data[m_pos + len - 1] == '\r')
                    --len;
                line = std::string_view(m_data + m_pos, len);
                m_pos = e < m_size ? e + 1 : e;
                return true;
            }
            [[noreturn]] void fail(const std::string& what, std::size_t column = 0) const
            {
                throw io_error(m_file, m_line_start + column, what, m_line);
            }
            std::size_t line() const noexcept { return m_line; }
            std::size_t line_start() const noexcept { return m_line_start; }

        private:
            const char* m_data;
            std::size_t m_size;
            std::size_t m_pos = 0, m_line_start = 0, m_line = 0;
            const std::string& m_file;
        };

        inline bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

        /// Parses a word2vec "count dim" header line; false unless it is two numbers with dim > 0.
        inline bool parse_count_dim(std::string_view line, std::size_t& count, std::size_t& dim) noexcept
        {
            const char* end = line.data() + line.size();
            const auto r1 = std::from_chars(line.data(), end, count);
            const char* p = r1.ptr;
            while (p < end && is_blank(*p))
                ++p;
            const auto r2 = std::from_chars(p, end, dim);
            return r1.ec == std::errc() && r2.ec == std::errc() && r2.ptr == end && dim > 0;
        }

        /// Parses `word v1 ... vd` into `out` (appending); returns the word. d = expected
        /// (0: any, set from this line). Errors name the line and the column's byte offset.
        template <class T>
        std::string_view parse_vector_line(const line_reader& lr, std::string_view line, std::size_t& dim,
                                           std::vector<T>& out)
        {
            std::size_t i = 0;
            while (i < line.size() && !is_blank(line[i]))
                ++i;
            if (i == 0)
                lr.fail("line starts with a blank or is empty: expected 'word v1 ... vd'");
            const std::string_view word = line.substr(0, i);
            std::size_t count = 0;
            while (true)
            {
                while (i < line.size() && is_blank(line[i]))
                    ++i;
                if (i >= line.size())
                    break;
                std::size_t j = i;
                while (j < line.size() && !is_blank(line[j]))
                    ++j;
                double v = 0.0;
                const char* first = line.data() + i;
                const char* last = line.data() + j;
                if (*first == '+')
                    ++first;
                const auto r = std::from_chars(first, last, v);
                if (r.ec != std::errc() || r.ptr != last)
                    lr.fail(concat("word '", word, "': value ", count + 1, " '", line.substr(i, j - i),
                                   "' is not a number"), i);
                out.push_back(static_cast<T>(v));
                ++count;
                i = j;
            }
            if (dim == 0)
            {
                if (count == 0)
                    lr.fail(concat("word '", word, "' has no values"));
                dim = count;
            }
            else if (count != dim)
                lr.fail(concat("ragged row: word '", word, "' has ", count, " values, expected ", dim));
            return word;
        }

        template <class T>
        word_vectors<T> parse_text_vectors(const unsigned char* data, std::size_t size, const std::string& file,
                                           bool word2vec_header)
        {
            static_assert(is_real_v<T>, "tessera::io word-vector readers: T must be float or double");
            line_reader lr(data, size, file);
            std::string_view line;
            std::size_t dim = 0, expected_rows = 0;
            bool have_count = false;
            if (word2vec_header)
            {
                if (!lr.next(line))
                    throw io_error(file, 0, "empty file: expected a 'count dim' header line", 1);
                if (!parse_count_dim(line, expected_rows, dim))
                    lr.fail(concat("expected a 'count dim' header with dim > 0, got '", line.substr(0, 64), "'"));
                have_count = true;
            }
            word_vectors<T> wv;
            std::vector<T> values;
            while (lr.next(line))
            {
                if (line.empty() && lr.line_start() + 1 >= size)
                    break;  // a final newline
                const std::string_view word = parse_vector_line(lr, line, dim, values);
                if (have_count && wv.vocab.size() == expected_rows)
                    lr.fail(concat("more rows than the header's count of ", expected_rows));
                std::string w(word);
                if (!wv.vocab.add(w))
                    lr.fail(concat("duplicate word '", w, "' (first at row ", wv.vocab.index.at(w), ")"));
            }
            if (have_count && wv.vocab.size() != expected_rows)
                throw io_error(file, size, concat("truncated: header says ", expected_rows, " words, file has ",
                                                  wv.vocab.size()), lr.line() + 1);
            wv.vectors = xt::xtensor<T, 2>::from_shape({wv.vocab.size(), dim});
            std::copy(values.begin(), values.end(), wv.vectors.data());
            return wv;
        }

        /// GloVe text from bytes. \throws tessera::io_error with the line number (ragged row,
        /// non-number, duplicate word, empty line).
        template <class T>
        word_vectors<T> parse_glove_text(const unsigned char* data, std::size_t size, const std::string& file)
        {
            return parse_text_vectors<T>(data, size, file, false);
        }

        /// word2vec text (header `count dim`) from bytes; the row count must match the header.
        template <class T>
        word_vectors<T> parse_word2vec_text(const unsigned char* data, std::size_t size, const std::string& file)
        {
            return parse_text_vectors<T>(data, size, file, true);
        }

        /// word2vec binary from bytes. \throws tessera::io_error with the byte offset
        /// (bad header, count*dim*4 overflow or beyond the file, truncated word or vector,
        /// word over 4096 bytes, duplicate word, trailing data).
        template <class T>
        word_vectors<T> parse_word2vec_binary(const unsigned char* data, std::size_t size, const std::string& file)
        {
            static_assert(is_real_v<T>, "tessera::io::read_word2vec_binary<T>: T must be float or double");
            line_reader lr(data, size, file);
            std::string_view line;
            if (!lr.next(line))
                throw io_error(file, 0, "empty file: expected a 'count dim' header line");
            std::size_t rows = 0, dim = 0;
            if (!parse_count_dim(line, rows, dim))
                throw io_error(file, 0, concat("expected a 'count dim' header with dim > 0, got '", line.substr(0, 64), "'"));
            std::size_t pos = line.size() + 1;
            const std::size_t row_bytes = checked_mul(dim, 4, file, 0, "vector size (dim * 4)");
            const std::size_t all = checked_mul(rows, row_bytes, file, 0, "data size (count * dim * 4)");
            if (all > size)
                throw io_error(file, 0, concat("header says ", rows, " x ", dim, " float32 (", all,
                                               " bytes) but the file has only ", size, " bytes"));
            word_vectors<T> wv;
            wv.vectors = xt::xtensor<T, 2>::from_shape({rows, dim});
            wv.vocab.words.reserve(rows);
            for (std::size_t r = 0; r < rows; ++r)
            {
                while (pos < size && (data[pos] == '\n' || data[pos] == '\r'))
                    ++pos;
                const std::size_t start = pos;
                while (pos < size && data[pos] != ' ')
                {
                    if (pos - start >= 4096)
                        throw io_error(file, start, concat("row ", r, ": word longer than 4096 bytes"));
                    ++pos;
                }
                if (pos >= size)
                    throw io_error(file, start, concat("truncated: row ", r, " of ", rows, " ends inside its word"));
                std::string w(reinterpret_cast<const char*>(data) + start, pos - start);
                if (w.empty())
                    throw io_error(file, start, concat("row ", r, ": empty word"));
                ++pos;
                if (size - pos < row_bytes)
                    throw io_error(file, pos, concat("truncated: vector of '", w, "' needs ", row_bytes, " bytes, ",
                                                     size - pos, " left"));
                decode(data + pos, dtype::float32, false, wv.vectors.data() + r * dim, dim);
                pos += row_bytes;
                if (!wv.vocab.add(w))
                    throw io_error(file, start, concat("duplicate word '", w, "' (first at row ", wv.vocab.index.at(w), ")"));
            }
            while (pos < size && (data[pos] == '\n' || data[pos] == '\r'))
                ++pos;
            if (pos != size)
                throw io_error(file, pos, concat(size - pos, " bytes of trailing data after ", rows, " rows"));
            return wv;
        }

        /// Reads a GloVe text file (`word v1 ... vd` per line). O(file size).
        /// \throws tessera::io_error naming the file and line (see parse_glove_text).
        template <class T>
        word_vectors<T> read_glove_text(const std::string& path)
        {
            mapped_file f(path);
            return parse_glove_text<T>(f.data(), f.size(), path);
        }
        /// Reads a word2vec text file (`count dim` header). \throws tessera::io_error with the line.
        template <class T>
        word_vectors<T> read_word2vec_text(const std::string& path)
        {
            mapped_file f(path);
            return parse_word2vec_text<T>(f.data(), f.size(), path);
        }
        /// Reads a word2vec binary file. \throws tessera::io_error with the byte offset.
        template <class T>
        word_vectors<T> read_word2vec_binary(const std::string& path)
        {
            mapped_file f(path);
            return parse_word2vec_binary<T>(f.data(), f.size(), path);
        }

        /// Reads a `.words` file: one word per line, row order. \throws tessera::io_error with
        /// the line number on an empty or duplicate word.
        inline vocabulary read_words(const std::string& path)
        {
            mapped_file f(path);
            line_reader lr(f.data(), f.size(), path);
            vocabulary v;
            std::string_view line;
            while (lr.next(line))
            {
                if (line.empty() && lr.line_start() + 1 >= f.size())
                    break;
                if (line.empty())
                    lr.fail("empty word");
                std::string w(line);
                if (!v.add(w))
                    lr.fail(concat("duplicate word '", w, "' (first at row ", v.index.at(w), ")"));
            }
            return v;
        }

        /// Writes `v.words` one per line. \throws tessera::invalid_argument if a word contains
        /// '\n'; tessera::io_error if the file cannot be written.
        inline void write_words(const std::string& path, const vocabulary& v)
        {
            std::string out;
            for (const auto& w : v.words)
            {
                require(w.find('\n') == std::string::npos && !w.empty(), "io::write_words",
                        "words must be non-empty and free of newlines, got '", w, "'");
                out += w;
                out.push_back('\n');
            }
            std::FILE* fp = std::fopen(path.c_str(), "wb");
            if (!fp)
                throw io_error(path, 0, "cannot open for writing");
            const std::size_t n = std::fwrite(out.data(), 1, out.size(), fp);
            if (std::fclose(fp) != 0 || n != out.size())
                throw io_error(path, n, "write failed");
        }
    }  // namespace detail

    using detail::parse_glove_text, detail::parse_word2vec_binary, detail::parse_word2vec_text,
        detail::read_glove_text, detail::read_word2vec_binary, detail::read_word2vec_text, detail::read_words,
        detail::write_words;
}  // namespace tessera::io
