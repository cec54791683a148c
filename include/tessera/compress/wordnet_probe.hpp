#pragma once
/// \file wordnet_probe.hpp
/// The WordNet relational probe: how much of WordNet's noun hierarchy an embedding space keeps.
/// Over noun pairs of the embedding's vocabulary: Spearman between WordNet path similarity and
/// cosine, mean cosine by hypernym-path distance band, cosine decay along hypernym chains, and
/// per-category (lexicographer file) lift of within-category cosine over random-pair cosine.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/random.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"
#include "../io/wordnet_path.hpp"
#include "../io/word_vectors.hpp"
#include "../stats/correlation.hpp"
#include "../stats/interval.hpp"
#include "word_similarity.hpp"

namespace tessera::compress
{
    /// Options of wordnet_probe; every default is documented.
    struct wordnet_probe_options
    {
        std::size_t pairs = 20000;          ///< random pairs of distinct in-WordNet vocabulary words
        std::size_t category_pairs = 500;   ///< within-category pairs drawn per lexicographer file
        std::size_t chain_words = 2000;     ///< words whose hypernym chain is followed (all when fewer)
        std::size_t chain_depth = 6;        ///< K: chain steps k = 1..K
        std::size_t min_pairs = 30;         ///< fewer sampled pairs => status degenerate
        std::uint64_t seed = 18;            ///< sampling seed (counter_rng streams 0, 1, 2)
    };

    /// Two rows of the embedding (vocabulary positions).
    struct wordnet_word_pair
    {
        std::size_t a = 0;  ///< first row
        std::size_t b = 0;  ///< second row
    };

    /// What the probe measures on: explicit rows, so the statistics can be checked on any sample.
    struct wordnet_probe_sample
    {
        std::vector<wordnet_word_pair> pairs;           ///< random pairs (distance bands, Spearman, random cosine)
        std::vector<wordnet_word_pair> category_pairs;  ///< within-category pairs (lift)
        std::vector<std::size_t> chain_words;           ///< rows whose hypernym chain is followed
    };

    /// A mean with its count, spread and Student-t 95 % interval (stats::mean_interval; NaN
    /// interval when n < 2, NaN mean when n = 0).
    using wordnet_mean = tessera::stats::mean_interval;

    /// Mean cosine of the random pairs whose word distance d lies in [min_distance, max_distance].
    struct wordnet_band
    {
        std::uint32_t min_distance = 0;  ///< inclusive
        std::uint32_t max_distance = 0;  ///< inclusive (UINT32_MAX for the open "9+" band)
        wordnet_mean cosine;             ///< cosine statistics of the band
    };

    /// Mean cos(word, lemma of its k-th hypernym) over the chain words that reach one in the vocabulary.
    struct wordnet_chain_step
    {
        std::size_t k = 0;    ///< hypernym steps
        wordnet_mean cosine;  ///< cosine statistics at step k
    };

    /// Within-category cosine of one lexicographer file and its lift over random pairs.
    struct wordnet_category
    {
        std::string name;    ///< e.g. "noun.animal"
        std::size_t words = 0;  ///< vocabulary words whose first noun sense is in this file
        wordnet_mean cosine;    ///< over this file's category_pairs
        double lift = std::numeric_limits<double>::quiet_NaN();  ///< cosine.mean / random mean (NaN when that is <= 0)
    };

    /// Result of wordnet_probe.
    struct wordnet_probe_result
    {
        std::size_t vocabulary = 0;  ///< rows of the embedding
        std::size_t in_wordnet = 0;  ///< vocabulary words with a noun synset (wordnet::lookup)
        std::size_t pairs = 0;       ///< random pairs measured
        double spearman = std::numeric_limits<double>::quiet_NaN();  ///< rho(path similarity, cosine) over the pairs
        wordnet_mean random_cosine;                ///< cosine over all random pairs
        std::vector<wordnet_band> bands;           ///< d = 0 (synonyms), 1, 2, 3-4, 5-8, 9+
        std::vector<wordnet_chain_step> chain;     ///< k = 1..chain_depth
        std::vector<wordnet_category> categories;  ///< files with >= 2 words, by file number
        tessera::status status;                    ///< degenerate when too few pairs or rho undefined
    };

    namespace detail
    {
        /// Mean, count and 95 % interval of `x` (stats::interval_of_mean).
        inline wordnet_mean mean_interval(const std::vector<double>& x) { return tessera::stats::interval_of_mean(x); }

        /// First noun synset of each vocabulary word (wordnet::lookup), or nullopt.
        inline std::vector<std::optional<std::uint32_t>> first_senses(const io::wordnet& wn, const io::vocabulary& vocab)
        {
            std::vector<std::optional<std::uint32_t>> out(vocab.size());
            for (std::size_t i = 0; i < vocab.size(); ++i)
                if (const auto ids = wn.lookup(vocab.words[i]); !ids.empty())
                    out[i] = ids.front();
            return out;
        }

        /// Draws the probe's sample: `pairs` random pairs of distinct in-WordNet words (stream 0),
        /// `category_pairs` distinct-word pairs per lexicographer file holding >= 2 words
        /// (stream 1), and up to `chain_words` distinct words (stream 2), all from counter_rng by
        /// position (same seed => same sample).
        /// \throws tessera::invalid_argument when wn is not a noun database.
        inline wordnet_probe_sample sample_wordnet_probe(const io::wordnet& wn, const io::vocabulary& vocab,
                                                         const wordnet_probe_options& options = {})
        {
            require(wn.pos() == io::wordnet_pos::noun, "compress::sample_wordnet_probe", "wn must be a noun database");
            const auto first = first_senses(wn, vocab);
            std::vector<std::size_t> cand;
            std::vector<std::vector<std::size_t>> by_file(io::detail::wordnet_lex_names.size() + 1);
            for (std::size_t i = 0; i < first.size(); ++i)
                if (first[i])
                {
                    cand.push_back(i);
                    by_file[std::min<std::size_t>(wn.synsets()[*first[i]].lex_file, by_file.size() - 1)].push_back(i);
                }
            wordnet_probe_sample s;
            const counter_rng rng0(options.seed, 0), rng1(options.seed, 1);
            const auto draw_pair = [](const counter_rng& rng, std::uint64_t pos, const std::vector<std::size_t>& from) {
                const std::uint64_t n = from.size();
                const std::uint64_t i = rng.uniform_index(pos, n);
                std::uint64_t j = rng.uniform_index(pos + 1, n - 1);
                j += j >= i ? 1 : 0;
                return wordnet_word_pair{from[i], from[j]};
            };
            if (cand.size() >= 2)
                for (std::size_t p = 0; p < options.pairs; ++p)
                    s.pairs.push_back(draw_pair(rng0, 2 * static_cast<std::uint64_t>(p), cand));
            for (std::size_t f = 0; f < by_file.size(); ++f)
                if (by_file[f].size() >= 2)
                    for (std::size_t p = 0; p < options.category_pairs; ++p)
                        s.category_pairs.push_back(
                            draw_pair(rng1, 2 * static_cast<std::uint64_t>(f * options.category_pairs + p), by_file[f]));
            const std::size_t k = std::min(options.chain_words, cand.size());
            for (const auto i : sample_without_replacement(cand.size(), k, options.seed, 2))
                s.chain_words.push_back(cand[i]);
            return s;
        }

        /// The probe on an explicit sample (see wordnet_probe for the measures).
        /// \param wn a noun database (io::read_wordnet); \param embeddings E [vocab.size(), d].
        /// \throws tessera::invalid_argument when E's rows differ from the vocabulary, E holds
        ///         NaN/Inf, a sample row is out of range or names a word without a noun synset.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        wordnet_probe_result wordnet_probe(const io::wordnet& wn, const xt::xexpression<E>& embeddings,
                                           const io::vocabulary& vocab, const wordnet_probe_sample& sample,
                                           const wordnet_probe_options& options = {})
        {
            const char* fn = "compress::wordnet_probe";
            require(wn.pos() == io::wordnet_pos::noun, fn, "wn must be a noun database");
            const auto ev = tessera::detail::evaluate<value_type_t<E>, 2>(embeddings, fn, "embeddings");
            const auto& M = ev.get();
            require(M.shape(0) == vocab.size(), fn, "embeddings has ", M.shape(0), " rows (shape ",
                    shape_to_string(M.shape()), ") but the vocabulary has ", vocab.size(), " words");
            require_finite(M, fn, "embeddings");
            const auto first = first_senses(wn, vocab);
            wordnet_probe_result r;
            r.vocabulary = vocab.size();
            for (const auto& f : first)
                r.in_wordnet += f ? 1 : 0;
            const auto check = [&](std::size_t row, const char* what) {
                require(row < vocab.size(), fn, what, " row=", row, " must be < vocabulary size ", vocab.size());
                if (!first[row])
                    require(false, fn, what, " row ", row, " ('", vocab.words[row], "') has no noun synset");
            };
            std::vector<std::vector<std::vector<io::wordnet_ancestor>>> anc(vocab.size());
            const auto ancestors = [&](std::size_t row) -> const auto& {
                if (anc[row].empty())
                    anc[row] = io::word_ancestors(wn, vocab.words[row]);
                return anc[row];
            };
            static constexpr std::uint32_t edges[][2] = {{0, 0}, {1, 1}, {2, 2}, {3, 4}, {5, 8}, {9, UINT32_MAX}};
            std::vector<std::vector<double>> band_cos(std::size(edges));
            std::vector<double> sim, cosv;
            for (const auto& p : sample.pairs)
            {
                check(p.a, "pairs");
                check(p.b, "pairs");
                const auto d = io::word_distance(ancestors(p.a), ancestors(p.b), false);
                const double c = row_cosine(M, p.a, p.b);
                cosv.push_back(c);
                if (!d)
                    continue;  // unreachable for WordNet 3.0 nouns (one root)
                sim.push_back(1.0 / (1.0 + static_cast<double>(*d)));
                for (std::size_t b = 0; b < std::size(edges); ++b)
                    if (*d >= edges[b][0] && *d <= edges[b][1])
                        band_cos[b].push_back(c);
            }
            r.pairs = cosv.size();
            r.random_cosine = mean_interval(cosv);
            for (std::size_t b = 0; b < std::size(edges); ++b)
                r.bands.push_back({edges[b][0], edges[b][1], mean_interval(band_cos[b])});
            if (sim.size() == cosv.size() && sim.size() >= 2)
                r.spearman = stats::spearman(xt::adapt(sim, {sim.size()}), xt::adapt(cosv, {cosv.size()}));
            for (std::size_t k = 1; k <= options.chain_depth; ++k)
            {
                std::vector<double> v;
                for (const std::size_t w : sample.chain_words)
                {
                    check(w, "chain_words");
                    std::optional<std::uint32_t> s = first[w];
                    for (std::size_t step = 0; step < k && s; ++step)
                        s = io::first_hypernym(wn, *s);
                    if (!s)
                        continue;
                    for (const auto& lemma : wn.synsets()[*s].lemmas)
                        if (const auto row = vocab.find(to_lower_ascii(lemma)))
                        {
                            v.push_back(row_cosine(M, w, *row));
                            break;
                        }
                }
                r.chain.push_back({k, mean_interval(v)});
            }
            std::vector<std::size_t> words(io::detail::wordnet_lex_names.size() + 1, 0);
            std::vector<std::vector<double>> within(words.size());
            for (const auto& f : first)
                if (f)
                    ++words[std::min<std::size_t>(wn.synsets()[*f].lex_file, words.size() - 1)];
            for (const auto& p : sample.category_pairs)
            {
                check(p.a, "category_pairs");
                check(p.b, "category_pairs");
                const std::size_t fa = wn.synsets()[*first[p.a]].lex_file, fb = wn.synsets()[*first[p.b]].lex_file;
                require(fa == fb, fn, "category_pairs rows ", p.a, " and ", p.b, " are in different lexicographer files");
                within[std::min(fa, words.size() - 1)].push_back(row_cosine(M, p.a, p.b));
            }
            for (std::size_t f = 0; f < words.size(); ++f)
                if (words[f] >= 2)
                {
                    wordnet_category c;
                    c.name = f < io::detail::wordnet_lex_names.size() ? io::wordnet_lex_name(f) : "other";
                    c.words = words[f];
                    c.cosine = mean_interval(within[f]);
                    if (r.random_cosine.mean > 0.0)
                        c.lift = c.cosine.mean / r.random_cosine.mean;
                    r.categories.push_back(std::move(c));
                }
            if (r.pairs < options.min_pairs)
                r.status = {status_code::degenerate, concat(r.pairs, " pairs of in-WordNet words (", r.in_wordnet,
                                                            " of ", r.vocabulary, " words have a noun synset); at least ",
                                                            options.min_pairs, " are needed")};
            else if (!std::isfinite(r.spearman))
                r.status = {status_code::degenerate, "Spearman is undefined: path similarity or cosine is constant"};
            return r;
        }

        /// The WordNet relational probe over noun pairs of an embedding's vocabulary, on the
        /// sample drawn by sample_wordnet_probe(wn, vocab, options):
        /// - Spearman \f$\rho\f$ between path similarity \f$1/(1+d)\f$ (d: fewest hypernym edges
        ///   between any noun senses, io::word_distance, as nltk) and \f$\cos(E_a, E_b)\f$;
        /// - mean cosine by d band: 0, 1, 2, 3-4, 5-8, 9+, with counts and 95 % intervals;
        /// - chain decay: mean \f$\cos(w, h_k(w))\f$ for k = 1..K, \f$h_k\f$ the first lemma found
        ///   in the vocabulary (lower-cased) of the k-th io::first_hypernym of w's first noun sense;
        /// - lift per lexicographer file of w's first sense: mean within-file cosine / mean random cosine.
        /// \return status degenerate when fewer than min_pairs pairs exist (e.g. a vocabulary
        ///         without English nouns) or Spearman is undefined. Cost O(pairs * (d + a^2 s^2)),
        ///         a ancestors and s senses per word.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        wordnet_probe_result wordnet_probe(const io::wordnet& wn, const xt::xexpression<E>& embeddings,
                                           const io::vocabulary& vocab, const wordnet_probe_options& options = {})
        {
            return wordnet_probe(wn, embeddings, vocab, sample_wordnet_probe(wn, vocab, options), options);
        }
    }  // namespace detail

    using detail::sample_wordnet_probe, detail::wordnet_probe;
}  // namespace tessera::compress
