#pragma once
/// \file wordnet.hpp
/// A WordNet 3.0 reader (the Princeton database files `data.<pos>`, `index.<pos>`, `<pos>.exc`,
/// e.g. Debian's wordnet-base in /usr/share/wordnet), memory-mapped: synsets with their offset,
/// lexicographer file, lemmas and pointers, hypernym and instance-hypernym edges resolved, the
/// lemma index, and nltk's morphy lookup of a word. Path similarity is in wordnet_path.hpp.

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../core/errors.hpp"
#include "detail/wordnet_parse.hpp"
#include "mapped_file.hpp"

#include <unistd.h>

namespace tessera::io
{
    /// Part of speech of one WordNet database (one set of data/index/exc files).
    enum class wordnet_pos
    {
        noun,       ///< data.noun, index.noun, noun.exc
        verb,       ///< data.verb, index.verb, verb.exc
        adjective,  ///< data.adj, index.adj, adj.exc (satellites 's' included)
        adverb      ///< data.adv, index.adv, adv.exc
    };

    namespace detail
    {
        inline const char* wordnet_suffix(wordnet_pos p) noexcept
        {
            switch (p)
            {
                case wordnet_pos::noun: return "noun";
                case wordnet_pos::verb: return "verb";
                case wordnet_pos::adjective: return "adj";
                case wordnet_pos::adverb: return "adv";
            }
            return "noun";
        }

        /// The 45 lexicographer files of WordNet 3.0 (lexnames(5WN)), by number.
        inline constexpr std::array<const char*, 45> wordnet_lex_names = {
            "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
            "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling",
            "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object", "noun.person",
            "noun.phenomenon", "noun.plant", "noun.possession", "noun.process", "noun.quantity", "noun.relation",
            "noun.shape", "noun.state", "noun.substance", "noun.time", "verb.body", "verb.change", "verb.cognition",
            "verb.communication", "verb.competition", "verb.consumption", "verb.contact", "verb.creation",
            "verb.emotion", "verb.motion", "verb.perception", "verb.possession", "verb.social", "verb.stative",
            "verb.weather", "adj.ppl"};

        /// Name of lexicographer file `n` ("noun.animal"), or "" when n >= 45.
        inline const char* wordnet_lex_name(std::size_t n) noexcept
        {
            return n < wordnet_lex_names.size() ? wordnet_lex_names[n] : "";
        }

        /// One part of speech of WordNet, parsed. Synsets are in file (offset) order.
        class wordnet
        {
        public:
            wordnet() = default;

            /// Builds the database from file images (as read_wordnet does; used by tests and the
            /// fuzzer). `exc` may be null with `exc_size` 0.
            /// \throws tessera::io_error naming the file, line and byte offset of the first
            ///         malformed token, of a pointer or index entry whose target synset is absent,
            ///         or of unsorted/duplicate offsets.
            wordnet(wordnet_pos pos, const unsigned char* data, std::size_t data_size, const std::string& data_name,
                    const unsigned char* index, std::size_t index_size, const std::string& index_name,
                    const unsigned char* exc, std::size_t exc_size, const std::string& exc_name)
                : m_pos(pos)
            {
                m_synsets = parse_wordnet_data(data, data_size, data_name);
                const char own = pos == wordnet_pos::noun ? 'n' : pos == wordnet_pos::verb ? 'v'
                                                                : pos == wordnet_pos::adverb ? 'r' : 'a';
                std::size_t k = 0;  // re-walks the lines only to report a pointer error at its line
                for_each_wordnet_line(data, data_size, data_name, [&](wordnet_tokens& tk) {
                    auto& s = m_synsets[k++];
                    for (const auto& p : s.pointers)
                    {
                        const bool hyper = p.symbol == "@", inst = p.symbol == "@i";
                        if (!hyper && !inst)
                            continue;
                        const bool same = p.target_pos == own || (own == 'a' && p.target_pos == 's');
                        const auto t = same ? find(p.target_offset) : std::nullopt;
                        if (!t)
                            tk.fail(concat("hypernym pointer ", p.symbol, " ", p.target_offset, " ", p.target_pos,
                                           " has no target synset in this file"));
                        (hyper ? s.hypernyms : s.instance_hypernyms).push_back(*t);
                    }
                });
                m_index = parse_wordnet_index(index, index_size, index_name,
                                              [this](std::uint32_t off) { return find(off); });
                if (exc != nullptr)
                    m_exceptions = parse_wordnet_exceptions(exc, exc_size, exc_name);
            }

            /// Part of speech of this database.
            wordnet_pos pos() const noexcept { return m_pos; }
            /// Every synset, in offset order; a synset's id in this API is its position here.
            const std::vector<wordnet_synset>& synsets() const noexcept { return m_synsets; }
            /// Number of synsets.
            std::size_t size() const noexcept { return m_synsets.size(); }
            /// Synset `id`. \throws tessera::invalid_argument when id >= size().
            const wordnet_synset& synset(std::size_t id) const
            {
                require(id < m_synsets.size(), "io::wordnet::synset", "id=", id, " must be < size()=", m_synsets.size());
                return m_synsets[id];
            }
            /// Id of the synset at data-file offset `offset` (binary search), or std::nullopt.
            std::optional<std::uint32_t> find(std::uint32_t offset) const noexcept
            {
                const auto it = std::lower_bound(m_synsets.begin(), m_synsets.end(), offset,
                                                 [](const wordnet_synset& s, std::uint32_t o) { return s.offset < o; });
                if (it == m_synsets.end() || it->offset != offset)
                    return std::nullopt;
                return static_cast<std::uint32_t>(it - m_synsets.begin());
            }
            /// Synset ids of an exact index lemma (lower case, '_' for spaces), in sense order;
            /// nullptr when the lemma is not in index.<pos>.
            const std::vector<std::uint32_t>* lemma_synsets(const std::string& lemma) const
            {
                const auto it = m_index.find(lemma);
                return it == m_index.end() ? nullptr : &it->second;
            }
            /// nltk's synset name `lemma.pos.NN` ("dog.n.01"): the first lemma lower-cased, the
            /// ss_type, and the synset's 1-based position in that lemma's index entry; "" when the
            /// lemma's index entry does not list it (a malformed database).
            /// \throws tessera::invalid_argument when id >= size().
            std::string name(std::size_t id) const
            {
                const auto& s = synset(id);
                std::string lemma = s.lemmas.front();
                for (char& c : lemma)
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                const auto* ids = lemma_synsets(lemma);
                if (ids == nullptr)
                    return std::string();
                const auto it = std::find(ids->begin(), ids->end(), id);
                if (it == ids->end())
                    return std::string();
                const auto sense = static_cast<std::size_t>(it - ids->begin()) + 1;
                return concat(lemma, ".", s.ss_type, ".", sense < 10 ? "0" : "", sense);
            }
            /// Number of lemmas in the index.
            std::size_t lemma_count() const noexcept { return m_index.size(); }

            /// nltk's `_morphy(word, pos)` (nltk 3.8): the base forms of `word` present in the
            /// index: the exception list when `word` is in it, else `word` and its one-step
            /// detachments (noun: -s, -ses, -ves, -xes, -zes, -ches, -shes, -men, -ies), else
            /// detachments repeated until one is found. `word` is taken as given (see lookup).
            std::vector<std::string> morphy(const std::string& word) const
            {
                std::vector<std::string> out;
                const auto keep = [&](const std::vector<std::string>& forms) {
                    out.clear();
                    for (const auto& f : forms)
                        if (m_index.count(f) && std::find(out.begin(), out.end(), f) == out.end())
                            out.push_back(f);
                    return !out.empty();
                };
                if (const auto e = m_exceptions.find(word); e != m_exceptions.end())
                {
                    std::vector<std::string> forms{word};
                    forms.insert(forms.end(), e->second.begin(), e->second.end());
                    keep(forms);
                    return out;
                }
                std::vector<std::string> forms = detach({word});
                std::vector<std::string> first{word};
                first.insert(first.end(), forms.begin(), forms.end());
                if (keep(first))
                    return out;
                while (!forms.empty())
                {
                    forms = detach(forms);
                    if (keep(forms))
                        return out;
                }
                return out;
            }

            /// nltk's `wn.synsets(word, pos)`: ASCII lower-cases `word`, then the synsets of each
            /// morphy form in order (a synset reached twice is listed twice, as nltk does).
            std::vector<std::uint32_t> lookup(std::string word) const
            {
                for (char& c : word)
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                std::vector<std::uint32_t> ids;
                for (const auto& f : morphy(word))
                {
                    const auto& v = m_index.at(f);
                    ids.insert(ids.end(), v.begin(), v.end());
                }
                return ids;
            }

        private:
            std::vector<std::string> detach(const std::vector<std::string>& forms) const
            {
                static const std::pair<const char*, const char*> noun[] = {
                    {"s", ""}, {"ses", "s"}, {"ves", "f"}, {"xes", "x"}, {"zes", "z"},
                    {"ches", "ch"}, {"shes", "sh"}, {"men", "man"}, {"ies", "y"}};
                static const std::pair<const char*, const char*> verb[] = {
                    {"s", ""}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""}, {"ing", "e"}, {"ing", ""}};
                static const std::pair<const char*, const char*> adj[] = {{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}};
                const std::pair<const char*, const char*>* rules = noun;
                std::size_t n = std::size(noun);
                if (m_pos == wordnet_pos::verb)
                    rules = verb, n = std::size(verb);
                else if (m_pos == wordnet_pos::adjective)
                    rules = adj, n = std::size(adj);
                else if (m_pos == wordnet_pos::adverb)
                    n = 0;
                std::vector<std::string> out;
                for (const auto& f : forms)
                    for (std::size_t r = 0; r < n; ++r)
                    {
                        const std::string_view old(rules[r].first);
                        if (f.size() >= old.size() && f.compare(f.size() - old.size(), old.size(), old) == 0)
                            out.push_back(f.substr(0, f.size() - old.size()) + rules[r].second);
                    }
                return out;
            }

            wordnet_pos m_pos = wordnet_pos::noun;
            std::vector<wordnet_synset> m_synsets;
            std::unordered_map<std::string, std::vector<std::uint32_t>> m_index;
            std::unordered_map<std::string, std::vector<std::string>> m_exceptions;
        };

        /// Reads one part of speech of a WordNet database directory: `dir/data.<pos>`,
        /// `dir/index.<pos>` and, when present, `dir/<pos>.exc` (memory-mapped; ~0.5 s for nouns).
        /// \param dir e.g. "/usr/share/wordnet" (Debian wordnet-base, WordNet 3.0).
        /// \throws tessera::io_error when a file cannot be opened or is malformed (file, line, byte).
        inline wordnet read_wordnet(const std::string& dir, wordnet_pos pos = wordnet_pos::noun)
        {
            const std::string suffix = wordnet_suffix(pos);
            const mapped_file data(dir + "/data." + suffix);
            const mapped_file index(dir + "/index." + suffix);
            data.advise_sequential();
            index.advise_sequential();
            const std::string exc_path = dir + "/" + suffix + ".exc";
            std::optional<mapped_file> exc;
            if (::access(exc_path.c_str(), F_OK) == 0)
                exc.emplace(exc_path);
            return wordnet(pos, data.data(), data.size(), data.path(), index.data(), index.size(), index.path(),
                           exc ? exc->data() : nullptr, exc ? exc->size() : 0, exc_path);
        }
    }  // namespace detail

    using detail::read_wordnet, detail::wordnet, detail::wordnet_lex_name;
}  // namespace tessera::io
