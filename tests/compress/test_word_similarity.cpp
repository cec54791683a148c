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
                         "evaluate_word_similarity: embeddings has 8 rows (shape [8, 4]) but the vocabulary has 2 words",
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
