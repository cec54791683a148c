#pragma once
/// \file wordnet_path.hpp
/// Shortest hypernym-path distance and path similarity in a WordNet database, as nltk 3.8
/// defines them: \f$\mathrm{sim}(a, b) = 1 / (1 + d(a, b))\f$ where d is the fewest edges from a
/// and b up to a common ancestor through hypernym ('@') and instance-hypernym ('@i') edges; for
/// verbs, adjectives and adverbs a simulated root above every top synset joins the hierarchies
/// (nltk's simulate_root; WordNet 3.0 nouns have the single root entity.n.01, so none is added).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "../core/errors.hpp"
#include "wordnet.hpp"

namespace tessera::io
{
    /// One ancestor of a synset and its fewest-edges depth above it (the synset itself at depth 0).
    struct wordnet_ancestor
    {
        std::uint32_t id = 0;     ///< synset id (position in wordnet::synsets())
        std::uint32_t depth = 0;  ///< fewest hypernym / instance-hypernym edges up to it
    };

    namespace detail
    {
        /// Every ancestor of synset `id` (itself included, depth 0) with its fewest-edges depth,
        /// by breadth-first search over hypernym and instance-hypernym edges, sorted by id.
        /// nltk: `Synset._shortest_hypernym_paths(False)`. Cost O(edges) expected (cycles in a
        /// malformed file end the search, not loop).
        /// \throws tessera::invalid_argument when id >= wn.size().
        inline std::vector<wordnet_ancestor> wordnet_ancestors(const wordnet& wn, std::uint32_t id)
        {
            require(id < wn.size(), "io::wordnet_ancestors", "id=", id, " must be < size()=", wn.size());
            std::vector<wordnet_ancestor> seen{{id, 0}};
            std::unordered_set<std::uint32_t> many;  // used once `seen` outgrows a linear search
            const auto visited = [&](std::uint32_t h) {
                if (!many.empty())
                    return many.count(h) != 0;
                return std::any_of(seen.begin(), seen.end(), [h](const wordnet_ancestor& a) { return a.id == h; });
            };
            for (std::size_t head = 0; head < seen.size(); ++head)  // `seen` is the BFS queue
            {
                const auto cur = seen[head];
                const auto& s = wn.synsets()[cur.id];
                for (const auto* edges : {&s.hypernyms, &s.instance_hypernyms})
                    for (const std::uint32_t h : *edges)
                        if (!visited(h))
                        {
                            seen.push_back({h, cur.depth + 1});
                            if (!many.empty())
                                many.insert(h);
                            else if (seen.size() > 64)
                                for (const auto& x : seen)
                                    many.insert(x.id);
                        }
            }
            std::sort(seen.begin(), seen.end(),
                      [](const wordnet_ancestor& a, const wordnet_ancestor& b) { return a.id < b.id; });
            return seen;
        }

        /// Fewest edges between two synsets given their ancestor lists (wordnet_ancestors), through
        /// a common ancestor (each list holds its synset at depth 0, so equal synsets give 0); with `simulate_root`, also through a root one edge above each
        /// deepest ancestor. std::nullopt when there is no path.
        inline std::optional<std::uint32_t> wordnet_distance(const std::vector<wordnet_ancestor>& a,
                                                             const std::vector<wordnet_ancestor>& b,
                                                             bool simulate_root)
        {
            if (a.empty() || b.empty())
                return std::nullopt;
            std::uint32_t best = std::numeric_limits<std::uint32_t>::max();
            std::uint32_t max_a = 0, max_b = 0;
            for (std::size_t i = 0, j = 0; i < a.size() && j < b.size();)
            {
                if (a[i].id < b[j].id)
                    ++i;
                else if (b[j].id < a[i].id)
                    ++j;
                else
                {
                    best = std::min(best, a[i].depth + b[j].depth);
                    ++i, ++j;
                }
            }
            if (simulate_root)
            {
                for (const auto& x : a)
                    max_a = std::max(max_a, x.depth);
                for (const auto& x : b)
                    max_b = std::max(max_b, x.depth);
                best = std::min(best, max_a + max_b + 2);
            }
            if (best == std::numeric_limits<std::uint32_t>::max())
                return std::nullopt;
            return best;
        }

        /// True when path measures on `wn` simulate a root (every part of speech but nouns, as
        /// nltk 3.8 for WordNet 3.0).
        inline bool wordnet_simulates_root(const wordnet& wn) noexcept { return wn.pos() != wordnet_pos::noun; }

        /// Fewest hypernym/instance-hypernym edges between synsets a and b (0 when a == b), as
        /// nltk's `a.shortest_path_distance(b, simulate_root=...)` with path_similarity's root rule.
        /// \return std::nullopt when no path joins them (never for WordNet 3.0 nouns).
        /// \throws tessera::invalid_argument when an id is >= wn.size().
        inline std::optional<std::uint32_t> synset_distance(const wordnet& wn, std::uint32_t a, std::uint32_t b)
        {
            if (a == b)
            {
                require(a < wn.size(), "io::synset_distance", "a=", a, " must be < size()=", wn.size());
                return 0;
            }
            return wordnet_distance(wordnet_ancestors(wn, a), wordnet_ancestors(wn, b), wordnet_simulates_root(wn));
        }

        /// Path similarity \f$1 / (1 + d(a, b))\f$ (nltk `a.path_similarity(b)`), in (0, 1].
        /// \return NaN when no path joins the synsets (nltk returns None).
        /// \throws tessera::invalid_argument when an id is >= wn.size().
        inline double path_similarity(const wordnet& wn, std::uint32_t a, std::uint32_t b)
        {
            const auto d = synset_distance(wn, a, b);
            return d ? 1.0 / (1.0 + static_cast<double>(*d)) : std::numeric_limits<double>::quiet_NaN();
        }

        /// nltk's `(s.hypernyms() + s.instance_hypernyms())[0]`: the hypernym with the smallest
        /// nltk name (wordnet::name; nltk sorts related synsets by name), else the smallest-named
        /// instance hypernym; std::nullopt at a root.
        /// \throws tessera::invalid_argument when id >= wn.size().
        inline std::optional<std::uint32_t> first_hypernym(const wordnet& wn, std::uint32_t id)
        {
            const auto& s = wn.synset(id);
            const auto& up = !s.hypernyms.empty() ? s.hypernyms : s.instance_hypernyms;
            if (up.empty())
                return std::nullopt;
            if (up.size() == 1)
                return up.front();
            std::uint32_t best = up.front();
            std::string best_name = wn.name(best);
            for (std::size_t i = 1; i < up.size(); ++i)
                if (std::string n = wn.name(up[i]); n < best_name)
                    best = up[i], best_name = std::move(n);
            return best;
        }

        /// Ancestor lists of every synset of a word (wordnet::lookup: lower-cased, morphy), the
        /// unit of word-level path measures; empty when the word is not in the database.
        inline std::vector<std::vector<wordnet_ancestor>> word_ancestors(const wordnet& wn, const std::string& word)
        {
            std::vector<std::vector<wordnet_ancestor>> out;
            for (const std::uint32_t id : wn.lookup(word))
                out.push_back(wordnet_ancestors(wn, id));
            return out;
        }

        /// Fewest edges between any synset of one word and any synset of the other (given their
        /// word_ancestors lists); std::nullopt when a word has no synset or no pair is joined.
        inline std::optional<std::uint32_t> word_distance(const std::vector<std::vector<wordnet_ancestor>>& a,
                                                          const std::vector<std::vector<wordnet_ancestor>>& b,
                                                          bool simulate_root)
        {
            std::optional<std::uint32_t> best;
            for (const auto& x : a)
                for (const auto& y : b)
                {
                    const auto d = wordnet_distance(x, y, simulate_root);  // 0 for the same synset (itself at depth 0)
                    if (d && (!best || *d < *best))
                        best = d;
                }
            return best;
        }

        /// Word path similarity: the maximum of path_similarity over the synset pairs of the two
        /// words, i.e. \f$1 / (1 + \min d)\f$ (`max(s.path_similarity(t) for s in wn.synsets(w1, pos)
        /// for t in wn.synsets(w2, pos))` in nltk).
        /// \return NaN when a word is not in the database or no pair is joined.
        inline double word_path_similarity(const wordnet& wn, const std::string& w1, const std::string& w2)
        {
            const auto d = word_distance(word_ancestors(wn, w1), word_ancestors(wn, w2), wordnet_simulates_root(wn));
            return d ? 1.0 / (1.0 + static_cast<double>(*d)) : std::numeric_limits<double>::quiet_NaN();
        }
    }  // namespace detail

    using detail::first_hypernym, detail::path_similarity, detail::synset_distance, detail::word_ancestors,
        detail::word_distance, detail::word_path_similarity, detail::wordnet_ancestors,
        detail::wordnet_distance;
}  // namespace tessera::io
