#pragma once
/// \file llama2_tokenizer.hpp
/// The llama2.c tokenizer file (`tokenizer.bin`, `tok512.bin`, ...) and token decoding.
///
/// Layout: int32 max_token_length, then for each token a float32 score, an int32 byte length
/// and that many UTF-8 bytes. The file does not store the token count: it comes from the model.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../core/errors.hpp"

namespace tessera::model
{
    namespace detail
    {
        using tessera::concat;
        using tessera::require;

        /// A whole file in memory with bounds-checked little-endian reads that throw
        /// tessera::io_error naming the file and the byte offset.
        class byte_reader
        {
        public:
            explicit byte_reader(const std::string& path) : m_path(path)
            {
                std::ifstream in(path, std::ios::binary);
                if (!in)
                    throw io_error(path, 0, "cannot open file");
                m_bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
                if (in.bad())
                    throw io_error(path, m_bytes.size(), "read failed");
            }
            std::size_t size() const noexcept { return m_bytes.size(); }
            std::size_t offset() const noexcept { return m_pos; }
            const std::string& path() const noexcept { return m_path; }

            void need(std::uint64_t count, const char* what) const
            {
                if (count > m_bytes.size() - m_pos)
                    throw io_error(m_path, m_pos,
                                   concat("truncated: ", what, " needs ", count, " bytes, only ", m_bytes.size() - m_pos,
                                          " remain (file has ", m_bytes.size(), ")"));
            }
            std::int32_t i32(const char* what)
            {
                need(4, what);
                std::int32_t v;
                std::memcpy(&v, m_bytes.data() + m_pos, 4);
                m_pos += 4;
                return v;
            }
            float f32(const char* what)
            {
                need(4, what);
                float v;
                std::memcpy(&v, m_bytes.data() + m_pos, 4);
                m_pos += 4;
                return v;
            }
            std::string bytes(std::size_t n, const char* what)
            {
                need(n, what);
                std::string s(m_bytes.data() + m_pos, n);
                m_pos += n;
                return s;
            }
        private:
            std::string m_path;
            std::vector<char> m_bytes;
            std::size_t m_pos = 0;
        };

        /// A llama2.c SentencePiece-style vocabulary: one byte string and one merge score per token.
        class llama2_tokenizer
        {
        public:
            /// The beginning-of-sequence token of llama2.c models (also the end delimiter).
            static constexpr int bos = 1;

            llama2_tokenizer() = default;
            /// A tokenizer from explicit pieces and scores (same length).
            /// \throws tessera::invalid_argument when the lengths differ.
            llama2_tokenizer(std::vector<std::string> pieces, std::vector<float> scores)
                : m_pieces(std::move(pieces)), m_scores(std::move(scores))
            {
                require(m_pieces.size() == m_scores.size(), "model::llama2_tokenizer", "pieces.size()=", m_pieces.size(),
                        " must equal scores.size()=", m_scores.size());
            }

            /// Number of tokens.
            std::size_t size() const noexcept { return m_pieces.size(); }
            /// The raw byte string of `token`. \throws tessera::invalid_argument when out of range.
            const std::string& piece(int token) const
            {
                check(token, "model::llama2_tokenizer::piece");
                return m_pieces[static_cast<std::size_t>(token)];
            }
            /// The merge score of `token`. \throws tessera::invalid_argument when out of range.
            float score(int token) const
            {
                check(token, "model::llama2_tokenizer::score");
                return m_scores[static_cast<std::size_t>(token)];
            }

            /// The text `token` contributes after `previous`, as llama2.c prints it: the leading
            /// space of the first piece after BOS is dropped, and byte tokens `<0xAB>` become
            /// that byte.
            /// \throws tessera::invalid_argument when a token is out of range.
            std::string decode(int previous, int token) const
            {
                std::string p = piece(token);
                if (previous == bos && !p.empty() && p[0] == ' ')
                    p.erase(0, 1);
                if (p.size() == 6 && p[0] == '<' && p[1] == '0' && p[2] == 'x' && p[5] == '>')
                {
                    const int hi = hex(p[3]), lo = hex(p[4]);
                    if (hi >= 0 && lo >= 0)
                        return std::string(1, static_cast<char>(hi * 16 + lo));
                }
                return p;
            }

            /// The text of a token sequence: BOS tokens (including the first) produce nothing,
            /// every other token `decode(previous, token)`.
            std::string decode(const std::vector<int>& tokens) const
            {
                std::string text;
                int previous = bos;
                for (int t : tokens)
                {
                    if (t != bos)
                        text += decode(previous, t);
                    previous = t;
                }
                return text;
            }

        private:
            static int hex(char ch) noexcept
            {
                if (ch >= '0' && ch <= '9')
                    return ch - '0';
                if (ch >= 'A' && ch <= 'F')
                    return ch - 'A' + 10;
                if (ch >= 'a' && ch <= 'f')
                    return ch - 'a' + 10;
                return -1;
            }
            void check(int token, const char* fn) const
            {
                require(token >= 0 && static_cast<std::size_t>(token) < m_pieces.size(), fn, "token=", token,
                        " must be in [0, ", m_pieces.size(), ")");
            }
            std::vector<std::string> m_pieces;
            std::vector<float> m_scores;
        };

        /// Reads a llama2.c tokenizer file holding `vocab_size` tokens.
        /// \param path e.g. tok512.bin; \param vocab_size the model's config.vocab_size (>= 1).
        /// \throws tessera::io_error (file, byte offset) when the file is truncated, a length is
        ///         negative or exceeds max_token_length, or bytes remain after the last token;
        ///         tessera::invalid_argument when vocab_size is 0.
        inline llama2_tokenizer read_llama2_tokenizer(const std::string& path, std::size_t vocab_size)
        {
            require(vocab_size >= 1, "model::read_llama2_tokenizer", "vocab_size=", vocab_size, " must be >= 1");
            byte_reader r(path);
            const std::int32_t max_len = r.i32("max_token_length");
            if (max_len < 0)
                throw io_error(path, 0, concat("max_token_length=", max_len, " must be >= 0"));
            std::vector<std::string> pieces;
            std::vector<float> scores;
            pieces.reserve(vocab_size);
            scores.reserve(vocab_size);
            for (std::size_t i = 0; i < vocab_size; ++i)
            {
                scores.push_back(r.f32("token score"));
                const std::size_t at = r.offset();
                const std::int32_t len = r.i32("token length");
                if (len < 0 || len > max_len)
                    throw io_error(path, at,
                                   concat("token ", i, ": length=", len, " must be in [0, max_token_length=", max_len,
                                          "]"));
                pieces.push_back(r.bytes(static_cast<std::size_t>(len), "token bytes"));
            }
            if (r.offset() != r.size())
                throw io_error(path, r.offset(),
                               concat(r.size() - r.offset(), " bytes left after ", vocab_size,
                                      " tokens: the tokenizer does not match vocab_size=", vocab_size));
            return llama2_tokenizer(std::move(pieces), std::move(scores));
        }
    }  // namespace detail

    using detail::llama2_tokenizer, detail::read_llama2_tokenizer;
}  // namespace tessera::model
