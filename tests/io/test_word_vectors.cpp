// Word vectors: GloVe text, word2vec text and binary fixtures (same words, same values), the
// .words vocabulary round trip, and errors that name the file with the line (text) or byte (binary).
#include <string>

#include <doctest/doctest.h>
#include <tessera/io/word_vectors.hpp>

#include "io_test_util.hpp"

namespace io = tessera::io;
using tessera_test::fixture;

namespace
{
    template <class T>
    void check_fixture_words(const io::word_vectors<T>& wv, const std::string& expected)
    {
        REQUIRE(wv.vocab.words == std::vector<std::string>{"the", "king", "queen", "naïve"});
        CHECK(wv.vocab.row("queen") == 2);
        CHECK(wv.vocab.find("naïve").value() == 3);
        CHECK_FALSE(wv.vocab.find("prince").has_value());
        CHECK_THROWS_WITH_AS(wv.vocab.row("prince"), "io::vocabulary::row: word='prince' is not in the vocabulary of 4 words",
                             tessera::invalid_argument);
        const auto e = io_test::read_expected(expected);
        REQUIRE(wv.vectors.shape()[0] == 4);
        REQUIRE(wv.vectors.shape()[1] == 3);
        int mismatches = 0;
        for (std::size_t i = 0; i < 12; ++i)
            mismatches += wv.vectors.data()[i] != static_cast<T>(e.values[i]);
        CHECK(mismatches == 0);
    }
}  // namespace

TEST_CASE_TEMPLATE("GloVe text, word2vec text and word2vec binary fixtures agree", T, float, double)
{
    check_fixture_words(io::read_glove_text<T>(fixture("io/glove.txt").string()), "words");
    check_fixture_words(io::read_word2vec_text<T>(fixture("io/w2v.txt").string()), "words");
    // the binary file stores float32: compare with the float32-rounded values
    check_fixture_words(io::read_word2vec_binary<T>(fixture("io/w2v.bin").string()), "words_f4");
}

TEST_CASE("vocabulary .words round trip, CRLF, and its errors")
{
    io::vocabulary v;
    CHECK(v.add("alpha"));
    CHECK(v.add("β"));
    CHECK_FALSE(v.add("alpha"));
    const std::string p = io_test::temp_path("v.words");
    io::write_words(p, v);
    const auto back = io::read_words(p);
    CHECK(back.words == v.words);
    CHECK(back.row("β") == 1);
    const std::string crlf = io_test::write_temp("crlf.words", "a\r\nb\r\n");
    CHECK(io::read_words(crlf).words == std::vector<std::string>{"a", "b"});
    const std::string dup = io_test::write_temp("dup.words", "a\nb\na\n");
    io_test::check_io_error([&] { io::read_words(dup); }, dup, "line 3", "duplicate word 'a' (first at row 0)");
    io::vocabulary nl;
    nl.add("two\nlines");
    CHECK_THROWS_AS(io::write_words(p, nl), tessera::invalid_argument);
    for (const auto& f : {p, crlf, dup})
        std::remove(f.c_str());
}

TEST_CASE("text formats: errors name the file and the line")
{
    auto glove = [](const std::string& name, const std::string& text, const std::string& where, const std::string& needle) {
        const std::string p = io_test::write_temp(name, text);
        CAPTURE(name);
        io_test::check_io_error([&] { io::read_glove_text<float>(p); }, p, where, needle);
        std::remove(p.c_str());
    };
    glove("ragged.txt", "a 1 2 3\nb 1 2\n", "line 2", "ragged row: word 'b' has 2 values, expected 3");
    glove("nan.txt", "a 1 2 3\nb 1 x2 3\n", "line 2", "word 'b': value 2 'x2' is not a number");
    glove("dup.txt", "a 1 2\nb 3 4\na 5 6\n", "line 3", "duplicate word 'a' (first at row 0)");
    glove("blank.txt", "a 1 2\n\nb 3 4\n", "line 2", "line starts with a blank or is empty");
    glove("novalues.txt", "a\n", "line 1", "word 'a' has no values");
    auto w2v = [](const std::string& name, const std::string& text, const std::string& where, const std::string& needle) {
        const std::string p = io_test::write_temp(name, text);
        CAPTURE(name);
        io_test::check_io_error([&] { io::read_word2vec_text<double>(p); }, p, where, needle);
        std::remove(p.c_str());
    };
    w2v("hdr.txt", "two 3\n", "line 1", "expected a 'count dim' header");
    w2v("few.txt", "3 2\na 1 2\nb 3 4\n", "line 4", "truncated: header says 3 words, file has 2");
    w2v("many.txt", "1 2\na 1 2\nb 3 4\n", "line 3", "more rows than the header's count of 1");
    w2v("dim.txt", "2 2\na 1 2 3\nb 3 4\n", "line 2", "ragged row: word 'a' has 3 values, expected 2");
    const std::string missing = io_test::temp_path("missing.txt");
    io_test::check_io_error([&] { io::read_glove_text<float>(missing); }, missing, "byte 0", "cannot open for reading");
    // numbers in every notation from_chars accepts, and a leading '+'
    const std::string ok = io_test::write_temp("ok.txt", "w +1.5 -2e-3 3E2 inf\n");
    const auto wv = io::read_glove_text<double>(ok);
    CHECK(wv.vectors(0, 0) == 1.5);
    CHECK(wv.vectors(0, 1) == -2e-3);
    CHECK(wv.vectors(0, 2) == 300.0);
    CHECK(std::isinf(wv.vectors(0, 3)));
    std::remove(ok.c_str());
}

TEST_CASE("word2vec binary: errors name the file and the byte offset")
{
    auto bin = [](const std::string& name, const std::string& bytes, const std::string& where, const std::string& needle) {
        const std::string p = io_test::write_temp(name, bytes);
        CAPTURE(name);
        io_test::check_io_error([&] { io::read_word2vec_binary<float>(p); }, p, where, needle);
        std::remove(p.c_str());
    };
    const std::string good = io_test::slurp(fixture("io/w2v.bin").string());
    bin("empty.bin", "", "byte 0", "empty file");
    bin("hdr.bin", "4 x\n", "byte 0", "expected a 'count dim' header");
    bin("huge.bin", "1000000 1000\nab", "byte 0", "header says 1000000 x 1000 float32 (4000000000 bytes) but the file has only 15 bytes");
    bin("overflow.bin", "4611686018427387904 4\n", "byte 0", "data size (count * dim * 4) overflows");
    bin("trunc.bin", good.substr(0, good.size() - 6), "byte 65", "truncated: vector of 'naïve' needs 12 bytes, 7 left");
    bin("word.bin", "1 1\nabcdefgh", "byte 4", "truncated: row 0 of 1 ends inside its word");
    bin("trailing.bin", good + "zz", "byte 78", "2 bytes of trailing data after 4 rows");
    bin("dupword.bin", std::string("2 1\nab ") + std::string(4, '\0') + "\nab " + std::string(4, '\0'), "byte 12",
        "duplicate word 'ab' (first at row 0)");
}
