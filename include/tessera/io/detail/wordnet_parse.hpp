#pragma once
/// \file wordnet_parse.hpp
/// Internals of io/wordnet.hpp: the WordNet 3.0 database line formats (wndb(5WN)) parsed from
/// memory-mapped bytes: `data.<pos>` synset lines, `index.<pos>` lemma lines and `<pos>.exc`
/// exception lines. Every token is bounds-checked; errors name the file, the 1-based line and the
/// byte offset.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../../core/errors.hpp"
#include "../word_vectors.hpp"

namespace tessera::io
{
    /// One pointer of a synset (wndb(5WN)): `symbol target_offset pos source/target`.
    struct wordnet_pointer
    {
        std::string symbol;              ///< e.g. "@" hypernym, "@i" instance hypernym, "~" hyponym
        std::uint32_t target_offset = 0;  ///< synset offset of the target in data.<target_pos>
        char target_pos = 'n';           ///< 'n', 'v', 'a', 's' or 'r'
        std::uint16_t source_target = 0;  ///< 0 for a semantic pointer, else source/target word numbers (hex "sstt")
    };

    /// One synset of a WordNet data file.
    struct wordnet_synset
    {
        std::uint32_t offset = 0;                  ///< byte offset of its line in data.<pos>: the synset id
        std::uint8_t lex_file = 0;                 ///< lexicographer file number (see wordnet_lex_name)
        char ss_type = 'n';                        ///< 'n', 'v', 'a', 's' (adjective satellite) or 'r'
        std::vector<std::string> lemmas;           ///< words as written (spaces are '_'; adjective markers stripped)
        std::vector<wordnet_pointer> pointers;     ///< every pointer, in file order
        std::vector<std::uint32_t> hypernyms;      ///< synsets() indices of the '@' targets of the same pos
        std::vector<std::uint32_t> instance_hypernyms;  ///< synsets() indices of the '@i' targets
    };

    namespace detail
    {
        /// Whitespace tokenizer over one line that reports errors at the token's byte offset.
        class wordnet_tokens
        {
        public:
            wordnet_tokens(const line_reader& lr, std::string_view line) : m_lr(lr), m_line(line) {}
            /// Next space-separated token; fails naming `what` when the line has ended.
            std::string_view next(const char* what)
            {
                while (m_pos < m_line.size() && is_blank(m_line[m_pos]))
                    ++m_pos;
                if (m_pos >= m_line.size())
                    m_lr.fail(concat("line ends where ", what, " was expected"), m_pos);
                const std::size_t b = m_pos;
                while (m_pos < m_line.size() && !is_blank(m_line[m_pos]))
                    ++m_pos;
                m_last = b;
                return m_line.substr(b, m_pos - b);
            }
            /// Next token as an unsigned number in `base` (10 or 16) not above `max`.
            std::uint64_t number(const char* what, int base, std::uint64_t max)
            {
                const std::string_view t = next(what);
                std::uint64_t v = 0;
                bool ok = !t.empty() && t.size() <= 12;
                for (std::size_t i = 0; ok && i < t.size(); ++i)
                {
                    const char c = t[i];
                    int d = -1;
                    if (c >= '0' && c <= '9')
                        d = c - '0';
                    else if (base == 16 && c >= 'a' && c <= 'f')
                        d = c - 'a' + 10;
                    else if (base == 16 && c >= 'A' && c <= 'F')
                        d = c - 'A' + 10;
                    ok = d >= 0;
                    v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d < 0 ? 0 : d);
                }
                if (!ok || v > max)
                    fail(concat(what, " must be a ", base == 16 ? "hexadecimal" : "decimal", " number <= ", max,
                                ", got \"", t, "\""));
                return v;
            }
            /// True when only blanks remain on the line.
            bool at_end() noexcept
            {
                while (m_pos < m_line.size() && is_blank(m_line[m_pos]))
                    ++m_pos;
                return m_pos >= m_line.size();
            }
            [[noreturn]] void fail(const std::string& msg) const { m_lr.fail(msg, m_last); }

        private:
            const line_reader& m_lr;
            std::string_view m_line;
            std::size_t m_pos = 0, m_last = 0;
        };

        /// True for a WordNet licence/header line (data and index files start with lines that
        /// begin with two spaces) or a blank line.
        inline bool wordnet_skip_line(std::string_view line) noexcept
        {
            return line.empty() || line[0] == ' ';
        }

        inline bool wordnet_valid_pos(char c) noexcept
        {
            return c == 'n' || c == 'v' || c == 'a' || c == 's' || c == 'r';
        }

        /// Calls `f(tokens)` for every synset/lemma line of a WordNet file image (licence header
        /// lines and blank lines skipped), with a tokenizer that reports errors at the line.
        template <class F>
        void for_each_wordnet_line(const unsigned char* data, std::size_t size, const std::string& file, F&& f)
        {
            line_reader lr(data, size, file);
            std::string_view line;
            while (lr.next(line))
                if (!wordnet_skip_line(line))
                {
                    wordnet_tokens tk(lr, line);
                    f(tk);
                }
        }

        /// Parses every synset line of a data.<pos> image (pointers not yet resolved).
        inline std::vector<wordnet_synset> parse_wordnet_data(const unsigned char* data, std::size_t size,
                                                              const std::string& file)
        {
            std::vector<wordnet_synset> out;
            for_each_wordnet_line(data, size, file, [&](wordnet_tokens& tk) {
                wordnet_synset s;
                s.offset = static_cast<std::uint32_t>(tk.number("synset_offset", 10, 0xffffffffu));
                if (!out.empty() && s.offset <= out.back().offset)
                    tk.fail(concat("synset_offset ", s.offset, " is not above the previous one (",
                                   out.back().offset, "): data files are sorted by offset"));
                s.lex_file = static_cast<std::uint8_t>(tk.number("lex_filenum", 10, 99));
                const std::string_view type = tk.next("ss_type");
                if (type.size() != 1 || !wordnet_valid_pos(type[0]))
                    tk.fail(concat("ss_type must be one of n v a s r, got \"", type, "\""));
                s.ss_type = type[0];
                const auto words = tk.number("w_cnt", 16, 0xff);
                if (words == 0)
                    tk.fail("w_cnt must be at least 1, got 0");
                for (std::uint64_t w = 0; w < words; ++w)
                {
                    std::string_view word = tk.next("word");
                    if (s.ss_type == 'a' || s.ss_type == 's')
                        if (const auto p = word.find('('); p != std::string_view::npos && p > 0 && word.back() == ')')
                            word = word.substr(0, p);  // syntactic marker: (a), (p), (ip)
                    s.lemmas.emplace_back(word);
                    (void)tk.number("lex_id", 16, 0xf);
                }
                const auto pointers = tk.number("p_cnt", 10, 999);
                s.pointers.reserve(pointers);
                for (std::uint64_t p = 0; p < pointers; ++p)
                {
                    wordnet_pointer ptr;
                    ptr.symbol = std::string(tk.next("pointer_symbol"));
                    ptr.target_offset = static_cast<std::uint32_t>(tk.number("pointer offset", 10, 0xffffffffu));
                    const std::string_view pos = tk.next("pointer pos");
                    if (pos.size() != 1 || !wordnet_valid_pos(pos[0]))
                        tk.fail(concat("pointer pos must be one of n v a s r, got \"", pos, "\""));
                    ptr.target_pos = pos[0];
                    ptr.source_target = static_cast<std::uint16_t>(tk.number("source/target", 16, 0xffff));
                    s.pointers.push_back(std::move(ptr));
                }
                out.push_back(std::move(s));  // verb frames and the gloss are not kept
            });
            return out;
        }

        /// Parses an index.<pos> image into lemma -> synset ids (in file order, i.e. sense order);
        /// `resolve(offset)` maps a synset offset to its id (std::optional; empty = absent).
        template <class Resolve>
        std::unordered_map<std::string, std::vector<std::uint32_t>>
        parse_wordnet_index(const unsigned char* data, std::size_t size, const std::string& file, Resolve&& resolve)
        {
            std::unordered_map<std::string, std::vector<std::uint32_t>> out;
            for_each_wordnet_line(data, size, file, [&](wordnet_tokens& tk) {
                std::string lemma(tk.next("lemma"));
                (void)tk.next("pos");
                const auto synsets = tk.number("synset_cnt", 10, 0xffff);
                const auto pointers = tk.number("p_cnt", 10, 0xffff);
                for (std::uint64_t p = 0; p < pointers; ++p)
                    (void)tk.next("ptr_symbol");
                (void)tk.number("sense_cnt", 10, 0xffff);
                (void)tk.number("tagsense_cnt", 10, 0xffff);
                std::vector<std::uint32_t> offsets;
                for (std::uint64_t k = 0; k < synsets; ++k)
                {
                    const auto off = static_cast<std::uint32_t>(tk.number("synset_offset", 10, 0xffffffffu));
                    const auto id = resolve(off);
                    if (!id)
                        tk.fail(concat("lemma \"", lemma, "\" names synset ", off, ", absent from the data file"));
                    offsets.push_back(*id);
                }
                if (!out.emplace(std::move(lemma), std::move(offsets)).second)
                    tk.fail("duplicate lemma in the index");
            });
            return out;
        }

        /// Parses a <pos>.exc image: `inflected base [base ...]` per line.
        inline std::unordered_map<std::string, std::vector<std::string>>
        parse_wordnet_exceptions(const unsigned char* data, std::size_t size, const std::string& file)
        {
            std::unordered_map<std::string, std::vector<std::string>> out;
            for_each_wordnet_line(data, size, file, [&](wordnet_tokens& tk) {
                std::string form(tk.next("inflected form"));
                std::vector<std::string> bases;
                bases.emplace_back(tk.next("base form"));
                while (!tk.at_end())
                    bases.emplace_back(tk.next("base form"));
                out[std::move(form)] = std::move(bases);  // a repeated form: the last line wins (as nltk)
            });
            return out;
        }
    }  // namespace detail
}  // namespace tessera::io
