#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/model/llama2_tokenizer.hpp>

#include "llama2_synthetic.hpp"
#include "test_support.hpp"

using tessera::model::llama2_tokenizer;
using tessera::model::read_llama2_tokenizer;

namespace
{
    std::vector<char> tokenizer_bytes(std::int32_t max_len, const std::vector<std::string>& pieces)
    {
        std::vector<char> b;
        auto put = [&](const void* p, std::size_t n) {
            const char* c = static_cast<const char*>(p);
            b.insert(b.end(), c, c + n);
        };
        put(&max_len, 4);
        for (std::size_t i = 0; i < pieces.size(); ++i)
        {
            const float score = -float(i);
            const auto len = std::int32_t(pieces[i].size());
            put(&score, 4);
            put(&len, 4);
            put(pieces[i].data(), pieces[i].size());
        }
        return b;
    }
}  // namespace

TEST_CASE("decode follows llama2.c: BOS strips a leading space, <0xAB> is a raw byte")
{
    const std::vector<std::string> pieces{"<unk>", "<s>", "</s>", "<0x0A>", "<0x41>", " Once", " upon", "a", "<0xZZ>"};
    const auto path = llama2_test::write("tok.bin", tokenizer_bytes(6, pieces));
    const auto tok = read_llama2_tokenizer(path, pieces.size());
    REQUIRE(tok.size() == pieces.size());
    CHECK(tok.piece(5) == " Once");
    CHECK(tok.score(6) == -6.0f);
    CHECK(tok.decode(1, 5) == "Once");
    CHECK(tok.decode(7, 5) == " Once");
    CHECK(tok.decode(5, 3) == "\n");
    CHECK(tok.decode(5, 4) == "A");
    CHECK(tok.decode(5, 8) == "<0xZZ>");  // not hex: printed as is
    CHECK(tok.decode({1, 5, 6, 3, 1, 6, 7}) == "Once upon\nupona");
    CHECK_THROWS_WITH_AS(tok.piece(9), "model::llama2_tokenizer::piece: token=9 must be in [0, 9)", tessera::invalid_argument);
    CHECK_THROWS_AS(tok.decode(1, -1), tessera::invalid_argument);
}

TEST_CASE("malformed tokenizer files throw io_error")
{
    const std::vector<std::string> pieces{"ab", "<s>", "xyz"};
    const auto good = tokenizer_bytes(3, pieces);
    for (std::size_t cut = 0; cut < good.size(); ++cut)
    {
        const auto p = llama2_test::write("tokcut.bin", std::vector<char>(good.begin(), good.begin() + long(cut)));
        CHECK_THROWS_AS(read_llama2_tokenizer(p, 3), tessera::io_error);
    }
    CHECK_NOTHROW(read_llama2_tokenizer(llama2_test::write("tokok.bin", good), 3));
    CHECK_THROWS_WITH_AS(read_llama2_tokenizer(llama2_test::write("tokok.bin", good), 2),
                         doctest::Contains("does not match vocab_size=2"), tessera::io_error);
    CHECK_THROWS_WITH_AS(read_llama2_tokenizer(llama2_test::write("toklong.bin", tokenizer_bytes(2, pieces)), 3),
                         doctest::Contains("byte 18: token 1: length=3 must be in [0, max_token_length=2]"), tessera::io_error);
    auto negative = good;
    const std::int32_t minus = -5;
    std::memcpy(negative.data() + 8, &minus, 4);
    CHECK_THROWS_WITH_AS(read_llama2_tokenizer(llama2_test::write("tokneg.bin", negative), 3),
                         doctest::Contains("byte 8: token 0: length=-5"), tessera::io_error);
    CHECK_THROWS_WITH_AS(read_llama2_tokenizer("tok.bin", 0), "model::read_llama2_tokenizer: vocab_size=0 must be >= 1",
                         tessera::invalid_argument);
}

TEST_CASE("tok512.bin holds the 512 pieces of stories260K")
{
    const auto path = tessera_test::shared_data("stories260K/tok512.bin");
    TESSERA_SKIP_IF_MISSING(path, "../shared/data/stories260K");
    const auto tok = read_llama2_tokenizer(path.string(), 512);
    CHECK(tok.size() == 512);
    CHECK(tok.piece(1) == "\n<s>\n");
    CHECK(tok.piece(2) == "\n</s>\n");
    CHECK(tok.decode(0, 13) == "\n");  // <0x0A>: the byte tokens start at 3
}
