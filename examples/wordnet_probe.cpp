// wordnet_probe: how much of WordNet's noun hierarchy an embedding space keeps (seed notebook
// section 2). Spearman between WordNet path similarity and cosine over sampled noun pairs, mean
// cosine by hypernym distance band, cosine decay along hypernym chains, per-category lift.
//   wordnet_probe [--input M.npy] [--words V] [--wordnet DIR] [--top N] [--pairs N] [--seed S] [--json]
// SentencePiece vocabularies (USE-lite): tokens starting with U+2581 are looked up without it;
// word-internal pieces are never matched.
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>
#include <xtensor/xview.hpp>
#include <tessera/compress/wordnet_probe.hpp>
#include <tessera/io/wordnet.hpp>

#include "cli.hpp"
#include "data.hpp"
#include "provenance.hpp"

namespace tc = tessera::compress;

// Row labels for WordNet look-up: with SentencePiece markers on >= 10 % of the entries, a marked
// token is its word and an unmarked piece is labelled "##piece" (no WordNet lemma starts so).
static tessera::io::vocabulary lookup_labels(const tessera::io::vocabulary& v, bool& stripped)
{
    const std::string marker = "\xE2\x96\x81";
    std::size_t marked = 0;
    for (const auto& w : v.words)
        marked += w.compare(0, marker.size(), marker) == 0 ? 1 : 0;
    stripped = marked * 10 >= v.size() && marked > 0;
    if (!stripped)
        return v;
    tessera::io::vocabulary out;
    for (std::size_t i = 0; i < v.size(); ++i)
    {
        const auto& w = v.words[i];
        const bool m = w.compare(0, marker.size(), marker) == 0;
        if (!out.add(m ? w.substr(marker.size()) : "##" + w))
            out.add("##row" + std::to_string(i));  // a duplicate after stripping: keep the row, unmatched
    }
    return out;
}

static nlohmann::json mean_json(const tc::wordnet_mean& m)  // NaN is written as null
{
    return {{"count", m.count}, {"mean", m.mean}, {"ci95", {m.low, m.high}}};
}

int main(int argc, char** argv)
{
    return example::cli::run("wordnet_probe", [&] {
        std::string input = example::default_embeddings(), tensor, words, wordnet_dir = "/usr/share/wordnet";
        tc::wordnet_probe_options o;
        std::size_t top = 0;
        bool as_json = false;
        example::cli cli("wordnet_probe", "WordNet relational probe: path similarity vs cosine, distance bands, "
                                          "hypernym chains and category lift of an embedding's nouns.");
        cli.add("--input", input, "matrix: .npy (+ .words), .safetensors, GloVe/word2vec text", "PATH");
        cli.add("--tensor", tensor, "tensor name inside a .safetensors file", "NAME");
        cli.add("--words", words, "vocabulary file (one word per line) for .npy/.safetensors input", "PATH");
        cli.add("--wordnet", wordnet_dir, "WordNet 3.0 database folder (Debian wordnet-base)", "DIR");
        cli.add("--pairs", o.pairs, "random noun pairs", "N", std::size_t(0), std::size_t(1) << 26);
        cli.add("--category-pairs", o.category_pairs, "within-category pairs per lexicographer file", "N",
                std::size_t(0), std::size_t(1) << 20);
        cli.add("--chain-words", o.chain_words, "words whose hypernym chain is followed", "N", std::size_t(0),
                std::size_t(1) << 24);
        cli.add("--chain-depth", o.chain_depth, "hypernym steps K", "K", std::size_t(1), std::size_t(64));
        cli.add("--top", top, "use only the first N rows (GloVe lists words by corpus frequency); 0: all", "N");
        cli.add("--seed", o.seed, "sampling seed");
        cli.add("--json", as_json, "print results as JSON");
        if (!cli.parse(argc, argv))
            return 0;
        const auto e = example::load_embeddings(input, tensor, words);
        if (e.words.size() == 0)
            throw std::runtime_error(e.source + ": no vocabulary (expected a .words file beside it, or --words)");
        bool stripped = false;
        auto labels = lookup_labels(e.words, stripped);
        const std::size_t rows = top == 0 ? labels.size() : std::min(top, labels.size());
        for (std::size_t i = rows; i < labels.size(); ++i)
            labels.index.erase(labels.words[i]);
        labels.words.resize(rows);
        const auto wn = tessera::io::read_wordnet(wordnet_dir);
        const auto r = tc::wordnet_probe(wn, xt::view(e.matrix, xt::range(0, rows), xt::all()), labels, o);
        if (as_json)
        {
            nlohmann::json out{{"input", e.source}, {"rows", r.vocabulary}, {"cols", e.matrix.shape(1)}, {"top", top},
                               {"sentencepiece_markers_stripped", stripped}, {"in_wordnet", r.in_wordnet},
                               {"pairs", r.pairs}, {"spearman", r.spearman},
                               {"random_cosine", mean_json(r.random_cosine)},
                               {"status", tessera::to_string(r.status.code)}, {"status_message", r.status.message},
                               {"bands", nlohmann::json::array()}, {"chain", nlohmann::json::array()},
                               {"categories", nlohmann::json::array()}, {"provenance", nlohmann::json::object()}};
            for (const auto& b : r.bands)
                out["bands"].push_back({{"min_distance", b.min_distance}, {"max_distance", b.max_distance},
                                        {"cosine", mean_json(b.cosine)}});
            for (const auto& c : r.chain)
                out["chain"].push_back({{"k", c.k}, {"cosine", mean_json(c.cosine)}});
            for (const auto& c : r.categories)
                out["categories"].push_back({{"category", c.name}, {"words", c.words},
                                             {"cosine", mean_json(c.cosine)}, {"lift", c.lift}});
            for (const auto& [key, value] : example::provenance(argc, argv, input, o.seed))
                out["provenance"][key] = value;
            std::cout << out.dump(1) << "\n";
            return 0;
        }
        std::cout << example::printable(e.source) << ": " << r.vocabulary << " words x " << e.matrix.shape(1)
                  << " dims, " << r.in_wordnet << " with a WordNet noun sense"
                  << (stripped ? " (SentencePiece markers stripped)" : "") << "\n";
        std::cout << "status: " << tessera::to_string(r.status.code)
                  << (r.status.message.empty() ? "" : " (" + r.status.message + ")") << "\n";
        std::printf("Spearman(path similarity, cosine) over %zu pairs: %.4f\n", r.pairs, r.spearman);
        std::printf("random-pair cosine: %.4f [%.4f, %.4f]\n\n", r.random_cosine.mean, r.random_cosine.low,
                    r.random_cosine.high);
        std::printf("%-10s %8s %9s %21s\n", "distance", "pairs", "cosine", "95% interval");
        for (const auto& b : r.bands)
        {
            const std::string name = b.min_distance == b.max_distance ? std::to_string(b.min_distance)
                                     : b.max_distance == UINT32_MAX   ? std::to_string(b.min_distance) + "+"
                                         : std::to_string(b.min_distance) + "-" + std::to_string(b.max_distance);
            std::printf("%-10s %8zu %9.4f   [%8.4f, %8.4f]\n", name.c_str(), b.cosine.count, b.cosine.mean,
                        b.cosine.low, b.cosine.high);
        }
        std::printf("\n%-10s %8s %9s %21s\n", "hypernym k", "words", "cosine", "95% interval");
        for (const auto& c : r.chain)
            std::printf("%-10zu %8zu %9.4f   [%8.4f, %8.4f]\n", c.k, c.cosine.count, c.cosine.mean, c.cosine.low,
                        c.cosine.high);
        std::printf("\n%-20s %7s %7s %9s %7s\n", "category", "words", "pairs", "cosine", "lift");
        for (const auto& c : r.categories)
            std::printf("%-20s %7zu %7zu %9.4f %7.2f\n", c.name.c_str(), c.words, c.cosine.count, c.cosine.mean, c.lift);
        return 0;
    });
}
