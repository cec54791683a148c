// word_similarity: scores word vectors on every word-similarity benchmark in a folder (the 13 of
// ../shared/data/word-sim: MEN, SimLex-999, WS-353, RW, SimVerb, ...): Spearman and Pearson
// between human scores and cosine similarity over the covered pairs, and coverage (pairs whose
// two words are in the vocabulary / all pairs). Subword vocabularies are handled by their
// word-start markers (SentencePiece "\u2581", GPT-2 "\u0120"), detected or given.
//   word_similarity --vectors PATH [--words PATH] [--benchmarks DIR] [--markers auto|none|sentencepiece|gpt2]
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>
#include <tessera/compress/word_similarity.hpp>

#include "cli.hpp"
#include "data.hpp"
#include "provenance.hpp"

namespace tc = tessera::compress;

int main(int argc, char** argv)
{
    return example::cli::run("word_similarity", [&] {
        std::string vectors = example::default_embeddings(), words, tensor, markers = "auto";
        std::string benchmarks = (example::shared_dir() / "word-sim").string();
        bool json = false, exact_case = false;
        example::cli cli("word_similarity", "Spearman / Pearson of cosine similarity against human scores on every "
                                            "word-similarity benchmark (*.txt: word1 word2 score) in a folder.");
        cli.add("--vectors", vectors, "matrix: .npy (+ .words), .safetensors, GloVe/word2vec text", "PATH");
        cli.add("--words", words, "vocabulary, one word per row (default: .words beside a .npy)", "PATH");
        cli.add("--tensor", tensor, "tensor name inside a .safetensors file", "NAME");
        cli.add("--benchmarks", benchmarks, "folder of benchmark files", "DIR");
        cli.add("--markers", markers, "word-start markers: auto (detected), none, sentencepiece, gpt2", "M");
        cli.add("--exact-case", exact_case, "no lower-cased fallback for words absent as written");
        cli.add("--json", json, "print results as JSON");
        if (!cli.parse(argc, argv))
            return 0;
        if (markers != "auto" && markers != "none" && markers != "sentencepiece" && markers != "gpt2")
            throw example::usage_error("--markers expects auto, none, sentencepiece or gpt2, got '" +
                                       example::printable(markers) + "'");
        namespace fs = std::filesystem;
        std::vector<fs::path> files;
        if (!fs::is_directory(benchmarks))
            throw std::runtime_error("cannot read " + benchmarks + ": not a folder of word-similarity benchmarks "
                                     "(../shared/data/word-sim has 13)");
        for (const auto& f : fs::directory_iterator(benchmarks))
            if (f.is_regular_file() && f.path().extension() == ".txt")
                files.push_back(f.path());
        std::sort(files.begin(), files.end());
        if (files.empty())
            throw std::runtime_error("cannot read " + benchmarks + ": no *.txt benchmark files in it");
        const auto e = example::load_embeddings(vectors, tensor, words);
        if (e.words.size() == 0)
            throw std::runtime_error(e.source + ": no vocabulary (expected a .words file beside it, or --words)");
        tc::word_similarity_options o;
        o.fold_case = !exact_case;
        o.markers = markers == "auto"            ? tc::detect_word_markers(e.words)
                    : markers == "sentencepiece" ? std::vector<std::string>{tc::sentencepiece_marker}
                    : markers == "gpt2"          ? std::vector<std::string>{tc::gpt2_marker}
                                                 : std::vector<std::string>{};
        std::string marker_names;
        for (const auto& m : o.markers)
            marker_names += std::string(marker_names.empty() ? "" : ",") +
                            (m == tc::sentencepiece_marker ? "sentencepiece" : "gpt2");
        std::vector<tc::word_similarity_result> results;
        for (const auto& f : files)
            results.push_back(tc::evaluate_word_similarity(e.matrix, e.words, tc::read_word_similarity(f.string()), o));
        if (json)
        {
            nlohmann::json out{{"vectors", e.source},
                               {"rows", e.matrix.shape(0)},
                               {"cols", e.matrix.shape(1)},
                               {"markers", marker_names.empty() ? "none" : marker_names},
                               {"fold_case", o.fold_case},
                               {"provenance", nlohmann::json::object()},
                               {"results", nlohmann::json::array()}};
            for (const auto& [key, value] : example::provenance(argc, argv, vectors, 0))
                if (key != "seed")  // nothing here is random
                    out["provenance"][key] = value;
            for (const auto& r : results)  // NaN (fewer than 2 pairs covered) is written as null
                out["results"].push_back({{"benchmark", r.name}, {"total", r.total}, {"covered", r.covered},
                                          {"coverage", r.coverage}, {"spearman", r.spearman}, {"pearson", r.pearson}});
            std::cout << out.dump(1) << "\n";
            return 0;
        }
        std::cout << example::printable(e.source) << ": " << e.matrix.shape(0) << " words x " << e.matrix.shape(1)
                  << " dims; markers " << (marker_names.empty() ? "none" : marker_names) << "\n";
        std::printf("%-20s %6s %8s %8s %9s %8s\n", "benchmark", "pairs", "covered", "coverage", "spearman", "pearson");
        for (const auto& r : results)
            std::printf("%-20s %6zu %8zu %7.1f%% %9.4f %8.4f\n", example::printable(r.name).c_str(), r.total, r.covered,
                        100.0 * r.coverage, r.spearman, r.pearson);
        return 0;
    });
}
