#pragma once
/// \file word_similarity.hpp
/// Word-similarity benchmarks (MEN, SimLex-999, WordSim-353, ...): reading `word1 word2 score`
/// files, a vocabulary index, and the Spearman/Pearson correlation between human scores and the
/// cosine similarity of the embedding rows of each covered pair.

#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "../io/word_vectors.hpp"
#include "../stats/correlation.hpp"

namespace tessera::compress
{
    /// One human-rated word pair.
    struct word_similarity_pair
    {
        std::string first;   ///< first word, as written in the file
        std::string second;  ///< second word
        double score = 0.0;  ///< human similarity / relatedness score
    };

    /// A named word-similarity benchmark.
    struct word_similarity_set
    {
        std::string name;                          ///< e.g. the file stem "EN-MEN-TR-3k"
        std::vector<word_similarity_pair> pairs;  ///< pairs in file order
    };

    /// Agreement of an embedding with one benchmark.
    struct word_similarity_result
    {
        std::string name;                                          ///< benchmark name
        double spearman = std::numeric_limits<double>::quiet_NaN();  ///< Spearman rho over covered pairs (NaN if < 2 covered)
        double pearson = std::numeric_limits<double>::quiet_NaN();   ///< Pearson r over covered pairs (NaN if < 2 covered)
        std::size_t covered = 0;                                   ///< pairs whose two words are in the vocabulary
        std::size_t total = 0;                                     ///< pairs in the benchmark
        double coverage = 0.0;                                     ///< covered / total
    };

    /// Options of evaluate_word_similarity().
    struct word_similarity_options
    {
        /// Look a word up lower-cased when it is absent as written ("Jerusalem" -> "jerusalem"):
        /// benchmark files mix cases, most embedding vocabularies are lower case.
        bool fold_case = true;
        /// Word-start markers of a subword vocabulary, tried as a prefix before the bare word
        /// ("cat" is looked up as "\u2581cat", then "cat"): {sentencepiece_marker} for SentencePiece
        /// vocabularies (T5, ALBERT, USE-lite), {gpt2_marker} for GPT-2/RoBERTa byte-level BPE.
        /// Empty (default): words are looked up as written. detect_word_markers() picks them.
        std::vector<std::string> markers;
    };

    /// SentencePiece's word-start marker U+2581 ("\u2581", UTF-8 E2 96 81).
    inline const std::string sentencepiece_marker = "\xE2\x96\x81";
    /// GPT-2 byte-level BPE's marker of a leading space, U+0120 ("\u0120", UTF-8 C4 A0).
    inline const std::string gpt2_marker = "\xC4\xA0";

    namespace detail
    {
        inline std::string to_lower_ascii(std::string s)
        {
            for (char& ch : s)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            return s;
        }

        /// Row of `word` under `options`: for the word as written, then (fold_case) lower-cased,
        /// each marker + word first, then the bare word. A marked token is the whole-word piece of
        /// a subword vocabulary, the bare one a word-internal piece, hence the order.
        inline std::optional<std::size_t> find_word(const io::vocabulary& vocab, const std::string& word,
                                                    const word_similarity_options& options)
        {
            const std::string lower = options.fold_case ? to_lower_ascii(word) : word;
            for (const std::string* form : {&word, &lower})
            {
                if (form == &lower && lower == word)
                    break;
                for (const auto& m : options.markers)
                    if (auto r = vocab.find(m + *form))
                        return r;
                if (auto r = vocab.find(*form))
                    return r;
            }
            return std::nullopt;
        }

        /// find_word with only case folding (no markers): the lower-cased word when `fold_case`
        /// and the word as written is absent.
        inline std::optional<std::size_t> find_word(const io::vocabulary& vocab, const std::string& word, bool fold_case)
        {
            word_similarity_options o;
            o.fold_case = fold_case;
            return find_word(vocab, word, o);
        }

        /// The word-start markers (sentencepiece_marker, gpt2_marker) that begin at least
        /// `min_fraction` of the vocabulary's entries: the `markers` option for that vocabulary.
        /// \throws tessera::invalid_argument unless 0 < min_fraction <= 1.
        inline std::vector<std::string> detect_word_markers(const io::vocabulary& vocab, double min_fraction = 0.1)
        {
            require(min_fraction > 0.0 && min_fraction <= 1.0, "compress::detect_word_markers", "min_fraction=", min_fraction,
                    " must be in (0, 1]");
            std::vector<std::string> found;
            for (const std::string* m : {&sentencepiece_marker, &gpt2_marker})
            {
                std::size_t count = 0;
                for (const auto& w : vocab.words)
                    count += w.compare(0, m->size(), *m) == 0 ? 1 : 0;
                if (vocab.size() > 0 && static_cast<double>(count) >= min_fraction * static_cast<double>(vocab.size()))
                    found.push_back(*m);
            }
            return found;
        }

        /// Reads a `word1 word2 score` file (tab- or space-separated, CRLF accepted; blank lines
        /// and lines starting with '#' skipped; extra columns ignored). The set's name is the
        /// file name without directory and extension.
        /// \throws tessera::io_error (file, line) when the file cannot be opened, a line has
        ///         fewer than 3 fields, or a score is not a finite number.
        inline word_similarity_set read_word_similarity(const std::string& path)
        {
            std::ifstream in(path);
            if (!in)
                throw io_error(path, 0, "cannot open file");
            word_similarity_set set;
            const std::size_t slash = path.find_last_of('/');
            set.name = path.substr(slash == std::string::npos ? 0 : slash + 1);
            if (const std::size_t dot = set.name.rfind('.'); dot != std::string::npos && dot > 0)
                set.name.erase(dot);
            std::string line;
            std::uint64_t lineno = 0;
            while (std::getline(in, line))
            {
                ++lineno;
                if (!line.empty() && line.back() == '\r')
                    line.pop_back();
                std::istringstream fields(line);
                std::string a, b, s;
                if (!(fields >> a))
                    continue;  // blank
                if (a[0] == '#')
                    continue;
                if (!(fields >> b >> s))
                    throw io_error(path, 0, concat("expected 'word1 word2 score', got \"", line, "\""), lineno);
                double score = 0.0;
                std::size_t used = 0;
                try
                {
                    score = std::stod(s, &used);
                }
                catch (const std::exception&)
                {
                    used = 0;
                }
                if (used != s.size() || !std::isfinite(score))
                    throw io_error(path, 0, concat("score \"", s, "\" is not a finite number"), lineno);
                set.pairs.push_back({std::move(a), std::move(b), score});
            }
            return set;
        }

        /// Cosine similarity of rows i and j of E [n, d], accumulated in double (0 when a row is zero).
        template <class T>
        double row_cosine(const xt::xtensor<T, 2>& E, std::size_t i, std::size_t j)
        {
            const std::size_t d = E.shape(1);
            const T* a = E.data() + i * d;
            const T* b = E.data() + j * d;
            double ab = 0.0, aa = 0.0, bb = 0.0;
            for (std::size_t k = 0; k < d; ++k)
            {
                ab += static_cast<double>(a[k]) * static_cast<double>(b[k]);
                aa += static_cast<double>(a[k]) * static_cast<double>(a[k]);
                bb += static_cast<double>(b[k]) * static_cast<double>(b[k]);
            }
            return aa > 0.0 && bb > 0.0 ? ab / std::sqrt(aa * bb) : 0.0;
        }

        /// Scores an embedding on a benchmark: over the pairs whose two words are in `vocab`
        /// (io::vocabulary, e.g. from io::read_words; looked up by find_word under `options`:
        /// case folding, subword word-start markers),
        /// Spearman (ties averaged, as scipy.stats.spearmanr) and Pearson correlation between
        /// the human scores and \f$\cos(E_{w_1}, E_{w_2})\f$.
        /// \param embeddings E [vocab.size(), d], row i the vector of vocab.words[i].
        /// \return correlations (NaN when fewer than 2 pairs are covered) and coverage.
        /// \throws tessera::invalid_argument if E's row count differs from the vocabulary size.
        /// Cost O(pairs * d + pairs log pairs).
        template <class E, requires_t<is_real_expression_v<E>> = true>
        word_similarity_result evaluate_word_similarity(const xt::xexpression<E>& embeddings,
                                                        const io::vocabulary& vocab, const word_similarity_set& set,
                                                        const word_similarity_options& options = {})
        {
            const char* fn = "compress::evaluate_word_similarity";
            const auto ev = tessera::detail::evaluate<value_type_t<E>, 2>(embeddings, fn, "embeddings");
            const auto& M = ev.get();
            require(M.shape(0) == vocab.size(), fn, "embeddings has ", M.shape(0), " rows (shape ",
                    shape_to_string(M.shape()), ") but the vocabulary has ", vocab.size(), " words");
            word_similarity_result r;
            r.name = set.name;
            r.total = set.pairs.size();
            std::vector<double> gold, pred;
            for (const auto& p : set.pairs)
            {
                const auto a = find_word(vocab, p.first, options);
                const auto b = find_word(vocab, p.second, options);
                if (!a || !b)
                    continue;
                gold.push_back(p.score);
                pred.push_back(row_cosine(M, *a, *b));
            }
            r.covered = gold.size();
            r.coverage = r.total ? static_cast<double>(r.covered) / static_cast<double>(r.total) : 0.0;
            if (r.covered >= 2)
            {
                const auto g = xt::adapt(gold, {gold.size()});
                const auto q = xt::adapt(pred, {pred.size()});
                r.spearman = stats::spearman(g, q);
                r.pearson = stats::pearson(g, q);
            }
            return r;
        }
    }  // namespace detail

    using detail::evaluate_word_similarity, detail::read_word_similarity, detail::detect_word_markers,
        detail::find_word;
}  // namespace tessera::compress
