#pragma once
/// \file vocabulary.hpp
/// Helpers to build an aligned pair of embedding matrices from two vocabularies: intersect the
/// vocabularies, split the shared words into anchors and held-out words by seed, gather rows,
/// and centre / unit-normalise rows.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "../core/random.hpp"
#include "../core/traits.hpp"
#include "detail/moments.hpp"

namespace tessera::align
{
    /// How words are turned into matching keys by intersect_vocabularies().
    struct vocabulary_options
    {
        /// A prefix removed from words of the first / second vocabulary before matching
        /// (e.g. "\xE2\x96\x81", the SentencePiece word-start mark U+2581).
        std::string strip_prefix_a{};
        std::string strip_prefix_b{};
        /// Keep only words that carry their side's prefix (whole words of a SentencePiece vocabulary).
        bool require_prefix = false;
        /// Fold ASCII letters to lower case before matching.
        bool lowercase = false;
        /// Keep only keys made of ASCII lower-case letters after folding (no digits, punctuation).
        bool letters_only = false;
    };

    /// Words shared by two vocabularies, with their row indices in each.
    struct vocabulary_match
    {
        std::vector<std::string> words;      ///< matching keys, in the order of the first vocabulary
        std::vector<std::size_t> index_a;    ///< row of words[i] in the first vocabulary
        std::vector<std::size_t> index_b;    ///< row of words[i] in the second vocabulary
        std::size_t size() const noexcept { return words.size(); }
    };

    /// A deterministic split of n items into anchors (fit) and held-out (evaluation) sets.
    struct anchor_split
    {
        std::vector<std::size_t> anchors;   ///< ascending indices in [0, n)
        std::vector<std::size_t> held_out;  ///< ascending, the complement of anchors
    };

    namespace detail
    {
        inline bool make_key(const std::string& word, const std::string& prefix, const vocabulary_options& o,
                             std::string& key)
        {
            const bool has = !prefix.empty() && word.compare(0, prefix.size(), prefix) == 0;
            if (o.require_prefix && !prefix.empty() && !has)
                return false;
            key = has ? word.substr(prefix.size()) : word;
            if (key.empty())
                return false;
            for (char& c : key)
            {
                if (o.lowercase && c >= 'A' && c <= 'Z')
                    c = static_cast<char>(c - 'A' + 'a');
                if (o.letters_only && !(c >= 'a' && c <= 'z'))
                    return false;
            }
            return true;
        }

        /// Words present in both vocabularies (after the key rules of `opts`), in the order of
        /// `a`; when several words of one side map to the same key, the first one wins.
        /// Cost O(|a| + |b|) expected (hash map of b's keys).
        inline vocabulary_match intersect_vocabularies(const std::vector<std::string>& a,
                                                       const std::vector<std::string>& b,
                                                       const vocabulary_options& opts = {})
        {
            std::unordered_map<std::string, std::size_t> in_b;
            in_b.reserve(b.size());
            std::string key;
            for (std::size_t j = 0; j < b.size(); ++j)
                if (make_key(b[j], opts.strip_prefix_b, opts, key))
                    in_b.emplace(key, j);
            vocabulary_match m;
            std::unordered_map<std::string, bool> seen;
            for (std::size_t i = 0; i < a.size(); ++i)
            {
                if (!make_key(a[i], opts.strip_prefix_a, opts, key))
                    continue;
                const auto it = in_b.find(key);
                if (it == in_b.end() || !seen.emplace(key, true).second)
                    continue;
                m.words.push_back(key);
                m.index_a.push_back(i);
                m.index_b.push_back(it->second);
            }
            return m;
        }

        /// Splits [0, n) into floor(anchor_fraction * n) anchors, drawn uniformly without
        /// replacement from tessera::counter_rng(seed), and the held-out rest. Same seed, same split.
        /// \throws tessera::invalid_argument if anchor_fraction is not in [0, 1].
        inline anchor_split split_anchors(std::size_t n, double anchor_fraction, std::uint64_t seed = 0)
        {
            require(anchor_fraction >= 0.0 && anchor_fraction <= 1.0, "align::split_anchors",
                    "anchor_fraction must be in [0, 1], got ", anchor_fraction);
            const auto k = static_cast<std::size_t>(std::floor(anchor_fraction * static_cast<double>(n)));
            const auto picked = tessera::sample_without_replacement(n, std::min(k, n), seed);
            std::vector<char> is_anchor(n, 0);
            for (const auto v : picked)
                is_anchor[static_cast<std::size_t>(v)] = 1;
            anchor_split s;
            s.anchors.reserve(k);
            s.held_out.reserve(n - std::min(k, n));
            for (std::size_t i = 0; i < n; ++i)
                (is_anchor[i] ? s.anchors : s.held_out).push_back(i);
            return s;
        }

        /// The rows X[indices[i], :] as a new [indices.size(), d] matrix.
        /// \throws tessera::invalid_argument if an index is out of range.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        auto gather_rows(const xt::xexpression<E>& X, const std::vector<std::size_t>& indices)
        {
            using T = value_type_t<E>;
            auto ex = tessera::detail::evaluate<T, 2>(X, "align::gather_rows", "X");
            const auto& x = ex.get();
            const std::size_t n = x.shape(0), d = x.shape(1);
            for (std::size_t i = 0; i < indices.size(); ++i)
                require(indices[i] < n, "align::gather_rows", "indices[", i, "]=", indices[i], " is out of range for X ",
                        shape_to_string(x.shape()));
            xt::xtensor<T, 2> out = xt::xtensor<T, 2>::from_shape({indices.size(), d});
            for (std::size_t i = 0; i < indices.size(); ++i)
                std::copy(x.data() + indices[i] * d, x.data() + (indices[i] + 1) * d, out.data() + i * d);
            return out;
        }

        /// Subtracts the column mean (when `center`) and then scales every row to unit Euclidean
        /// norm (when `unit`; all-zero rows stay zero). Means and norms in double.
        /// \return [n, d], same type as X.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        auto center_and_normalize(const xt::xexpression<E>& X, bool center = true, bool unit = true)
        {
            using T = value_type_t<E>;
            auto x = tessera::detail::evaluate_matrix<T>(X, "align::center_and_normalize", "X");
            const std::size_t n = x.shape(0), d = x.shape(1);
            const std::vector<double> mean =
                center && n > 0 ? column_mean(x, {}, static_cast<double>(n)) : std::vector<double>(d, 0.0);
            tessera::parallel_for(0, static_cast<std::ptrdiff_t>(n), [&](std::ptrdiff_t r) {
                T* row = x.data() + static_cast<std::size_t>(r) * d;
                double ss = 0.0;
                for (std::size_t j = 0; j < d; ++j)
                {
                    const double v = static_cast<double>(row[j]) - mean[j];
                    ss += v * v;
                }
                const double f = unit && ss > 0.0 ? 1.0 / std::sqrt(ss) : 1.0;
                for (std::size_t j = 0; j < d; ++j)
                    row[j] = static_cast<T>((static_cast<double>(row[j]) - mean[j]) * f);
            }, 256);
            return x;
        }
    }  // namespace detail

    using detail::center_and_normalize, detail::gather_rows, detail::intersect_vocabularies,
        detail::split_anchors;
}  // namespace tessera::align
