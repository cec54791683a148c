#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <tessera/compress/word_similarity.hpp>
#include <tessera/io/npy.hpp>
#include <tessera/io/word_vectors.hpp>

#include "test_support.hpp"

namespace tc = tessera::compress;

namespace
{
    std::string write_text(const std::string& name, const std::string& text)
    {
        const auto p = std::filesystem::temp_directory_path() / name;
        std::ofstream(p, std::ios::binary) << text;
        return p.string();
    }
    tessera::io::vocabulary make_vocab(const std::vector<std::string>& words)
    {
        tessera::io::vocabulary v;
        for (const auto& w : words)
            REQUIRE(v.add(w));
        return v;
    }
    nlohmann::json reference()
    {
        return nlohmann::json::parse(std::ifstream(tessera_test::fixture("compress/report_reference.json")))["wordsim"];
    }
}  // namespace

TEST_CASE("read_word_similarity accepts tabs, spaces, CRLF, comments and blank lines")
{
    const auto p = write_text("tessera_ws_ok.txt", "# a comment\ncat\tdog\t8.5\r\n\n  car truck 8  extra\r\nSun\tmoon\t-1e-1\n");
    const auto s = tc::read_word_similarity(p);
    CHECK(s.name == "tessera_ws_ok");
    REQUIRE(s.pairs.size() == 3);
    CHECK(s.pairs[0].first == "cat");
    CHECK(s.pairs[0].second == "dog");
    CHECK(s.pairs[0].score == 8.5);
    CHECK(s.pairs[1].second == "truck");
    CHECK(s.pairs[1].score == 8.0);
    CHECK(s.pairs[2].first == "Sun");
    CHECK(s.pairs[2].score == -0.1);
}

TEST_CASE("malformed word-similarity files name the file and line")
{
    CHECK_THROWS_WITH_AS(tc::read_word_similarity(write_text("tessera_ws_bad1.txt", "a b 1\nc d\n")),
                         doctest::Contains("tessera_ws_bad1.txt: line 2: expected 'word1 word2 score'"),
                         tessera::io_error);
    CHECK_THROWS_WITH_AS(tc::read_word_similarity(write_text("tessera_ws_bad2.txt", "a b 1x\n")),
                         doctest::Contains("line 1: score \"1x\" is not a finite number"), tessera::io_error);
    CHECK_THROWS_WITH_AS(tc::read_word_similarity(write_text("tessera_ws_bad3.txt", "a b nan\n")),
                         doctest::Contains("line 1: score \"nan\""), tessera::io_error);
    CHECK_THROWS_AS(tc::read_word_similarity("/nonexistent/ws.txt"), tessera::io_error);
}

TEST_CASE("find_word: exact match first, lower-cased fallback when folding")
{
    const auto v = make_vocab({"the", "Paris", "paris", "cat"});
    CHECK(tc::find_word(v, "the", true) == 0u);
    CHECK(tc::find_word(v, "Paris", true) == 1u);
    CHECK(tc::find_word(v, "paris", true) == 2u);
    CHECK(tc::find_word(v, "PARIS", true) == 2u);
    CHECK(tc::find_word(v, "CAT", true) == 3u);
    CHECK(!tc::find_word(v, "CAT", false));
    CHECK(!tc::find_word(v, "dog", true));
}

TEST_CASE_TEMPLATE("evaluate_word_similarity matches scipy on a small benchmark", T, float, double)
{
    const auto ref = reference();
    const std::vector<std::string> words = ref["words"];
    const std::vector<double> flat = ref["vectors"];
    const std::size_t d = ref["dim"];
    xt::xtensor<T, 2> E = xt::xtensor<T, 2>::from_shape({words.size(), d});
    for (std::size_t i = 0; i < flat.size(); ++i)
        E.data()[i] = static_cast<T>(flat[i]);
    std::string text;
    for (const auto& p : ref["pairs"])
        text += p[0].get<std::string>() + "\t" + p[1].get<std::string>() + " " + std::to_string(p[2].get<double>()) +
                "\r\n";
    const auto set = tc::read_word_similarity(write_text("tessera_ws_small.txt", text));
    const auto r = tc::evaluate_word_similarity(E, make_vocab(words), set);
    CHECK(r.name == "tessera_ws_small");
    CHECK(r.total == ref["total"].get<std::size_t>());
    CHECK(r.covered == ref["covered"].get<std::size_t>());
    CHECK(r.coverage == doctest::Approx(double(r.covered) / double(r.total)));
    CHECK(r.spearman == doctest::Approx(ref["spearman"].get<double>()).epsilon(1e-12));
    CHECK(r.pearson == doctest::Approx(ref["pearson"].get<double>()).epsilon(tessera_test::tol<T>()));
    // Nothing covered: NaN correlations, zero coverage.
    const auto none = tc::evaluate_word_similarity(E, make_vocab(words), {"x", {{"zebra", "yak", 1.0}}});
    CHECK(std::isnan(none.spearman));
    CHECK(none.covered == 0);
    // Without case folding the pair "Cat Pear" is not covered.
    tc::word_similarity_options exact;
    exact.fold_case = false;
    CHECK(tc::evaluate_word_similarity(E, make_vocab(words), set, exact).covered == r.covered - 1);
    CHECK_THROWS_WITH_AS(tc::evaluate_word_similarity(E, make_vocab({"a", "b"}), set),
                         "compress::evaluate_word_similarity: embeddings has 8 rows (shape [8, 4]) but the vocabulary has 2 words",
                         tessera::invalid_argument);
}

TEST_CASE("the shared benchmarks parse with their published pair counts")
{
    const auto dir = tessera_test::shared_data("word-sim");
    TESSERA_SKIP_IF_MISSING(dir, "../shared/data/word-sim");
    const std::vector<std::pair<std::string, std::size_t>> expected{
        {"EN-MEN-TR-3k", 3000}, {"EN-SIMLEX-999", 999}, {"EN-WS-353-ALL", 353}, {"EN-RG-65", 65},
        {"EN-MC-30", 30},       {"EN-SimVerb-3500", 3500}, {"EN-MTurk-771", 771}, {"EN-YP-130", 130}};
    for (const auto& [name, count] : expected)
    {
        const auto s = tc::read_word_similarity((dir / (name + ".txt")).string());
        CHECK(s.name == name);
        CHECK(s.pairs.size() == count);
    }
}

TEST_CASE("GloVe 6B 100d reproduces the published MEN / WS-353 / SimLex-999 correlations")
{
    const auto npy = tessera_test::fetched_data("glove100d.npy");
    const auto words_file = tessera_test::fetched_data("glove100d.words");
    const auto dir = tessera_test::shared_data("word-sim");
    TESSERA_SKIP_IF_MISSING(npy, "fetched GloVe 100d (scripts/fetch_data.sh)");
    TESSERA_SKIP_IF_MISSING(words_file, "fetched GloVe 100d vocabulary");
    TESSERA_SKIP_IF_MISSING(dir, "../shared/data/word-sim");
    const auto E = tessera::io::read_npy<float, 2>(npy.string());
    const auto vocab = tessera::io::read_words(words_file.string());
    REQUIRE(vocab.size() == E.shape(0));
    const std::vector<std::pair<std::string, double>> expected{
        {"EN-MEN-TR-3k", 0.681}, {"EN-WS-353-ALL", 0.533}, {"EN-SIMLEX-999", 0.298}};
    for (const auto& [name, rho] : expected)
    {
        const auto r = tc::evaluate_word_similarity(E, vocab, tc::read_word_similarity((dir / (name + ".txt")).string()));
        MESSAGE(name << ": Spearman " << r.spearman << ", Pearson " << r.pearson << ", coverage " << r.covered << "/"
                     << r.total);
        CHECK(r.coverage == 1.0);
        CHECK(r.spearman == doctest::Approx(rho).epsilon(0.0005 / rho));  // published to 3 decimals
    }
}

TEST_CASE("find_word with subword markers: the marked whole-word piece first, then the bare word")
{
    const std::string sp = tc::sentencepiece_marker, g = tc::gpt2_marker;
    CHECK(sp == "\u2581");
    CHECK(g == "\u0120");
    const auto v = make_vocab({sp + "cat", "cat", "dog", sp + "paris", g + "tree", "ing"});
    tc::word_similarity_options o;
    CHECK(tc::find_word(v, "cat", o) == 1u);  // no markers: as written
    CHECK(!tc::find_word(v, "paris", o));
    o.markers = {sp};
    CHECK(tc::find_word(v, "cat", o) == 0u);    // "\u2581cat" beats the word-internal "cat"
    CHECK(tc::find_word(v, "dog", o) == 2u);    // bare fallback
    CHECK(tc::find_word(v, "Paris", o) == 3u);  // case folding, then the marker
    CHECK(!tc::find_word(v, "tree", o));
    o.markers = {sp, g};
    CHECK(tc::find_word(v, "tree", o) == 4u);
    o.fold_case = false;
    CHECK(!tc::find_word(v, "Paris", o));
    CHECK(tc::detect_word_markers(v) == std::vector<std::string>{sp, g});  // 2/6 and 1/6 >= 10 %
    CHECK(tc::detect_word_markers(v, 0.3) == std::vector<std::string>{sp});
    CHECK(tc::detect_word_markers(make_vocab({"the", "cat"})).empty());
    CHECK_THROWS_WITH_AS(tc::detect_word_markers(v, 0.0), "compress::detect_word_markers: min_fraction=0 must be in (0, 1]",
                         tessera::invalid_argument);
    // The evaluator uses the markers: a SentencePiece vocabulary covers the pairs only with them.
    xt::xtensor<double, 2> E = {{1, 0}, {0, 1}, {1, 1}, {1, 0.2}, {0, 1}, {1, 1}};
    tc::word_similarity_set set{"t", {{"cat", "dog", 1.0}, {"cat", "paris", 2.0}, {"dog", "paris", 3.0}}};
    tc::word_similarity_options plain;
    CHECK(tc::evaluate_word_similarity(E, v, set, plain).covered == 1);
    tc::word_similarity_options marked;
    marked.markers = {sp};
    const auto r = tc::evaluate_word_similarity(E, v, set, marked);
    CHECK(r.covered == 3);
    CHECK(r.coverage == 1.0);
}

TEST_CASE_TEMPLATE("Spearman on the bundled GloVe top-10k and WS-353 equals scipy.stats.spearmanr", T, float, double)
{
    const auto dir = tessera_test::shared_data("word-sim");
    TESSERA_SKIP_IF_MISSING(dir, "../shared/data/word-sim");
    const auto ref =
        nlohmann::json::parse(std::ifstream(tessera_test::fixture("compress/word_similarity_spearman.json")));
    const std::string base = std::string(TESSERA_SOURCE_DIR) + "/examples/data/glove100d_top10k";
    const auto E = tessera::io::read_npy<T, 2>(base + ".npy");
    const auto vocab = tessera::io::read_words(base + ".words");
    const auto r = tc::evaluate_word_similarity(E, vocab, tc::read_word_similarity((dir / "EN-WS-353-ALL.txt").string()));
    CHECK(r.total == ref["total"].get<std::size_t>());
    CHECK(r.covered == ref["covered"].get<std::size_t>());
    CHECK(r.spearman == doctest::Approx(ref["spearman"].get<double>()).epsilon(1e-12));
    CHECK(r.pearson == doctest::Approx(ref["pearson"].get<double>()).epsilon(std::is_same_v<T, float> ? 1e-6 : 1e-12));
}

TEST_CASE("USE-lite's SentencePiece vocabulary: detected markers lift WS-353 coverage")
{
    const auto npy = tessera_test::fetched_data("use_lite_embeddings.npy");
    const auto words_file = tessera_test::fetched_data("use_lite.vocab");
    const auto dir = tessera_test::shared_data("word-sim");
    TESSERA_SKIP_IF_MISSING(npy, "fetched USE-lite embeddings (scripts/fetch_data.sh)");
    TESSERA_SKIP_IF_MISSING(words_file, "fetched USE-lite vocabulary");
    TESSERA_SKIP_IF_MISSING(dir, "../shared/data/word-sim");
    const auto E = tessera::io::read_npy<float, 2>(npy.string());
    const auto vocab = tessera::io::read_words(words_file.string());
    REQUIRE(vocab.size() == E.shape(0));
    const auto set = tc::read_word_similarity((dir / "EN-WS-353-ALL.txt").string());
    tc::word_similarity_options o;
    o.markers = tc::detect_word_markers(vocab);
    CHECK(o.markers == std::vector<std::string>{tc::sentencepiece_marker});
    const auto bare = tc::evaluate_word_similarity(E, vocab, set);
    const auto marked = tc::evaluate_word_similarity(E, vocab, set, o);
    MESSAGE("USE-lite WS-353: coverage " << bare.covered << " -> " << marked.covered << " of " << marked.total
                                         << ", Spearman " << marked.spearman);
    CHECK(marked.covered > 2 * bare.covered);
    CHECK(marked.spearman > 0.3);
}
