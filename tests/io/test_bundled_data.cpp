// The bundled default dataset (examples/data): shape, dtype, vocabulary, and that it is the
// float16 rounding of the first 10,000 rows of the fetched GloVe matrix when that is present.
#include <string>

#include <doctest/doctest.h>
#include <tessera/io/npy.hpp>
#include <tessera/io/word_vectors.hpp>
#include <xtensor/xview.hpp>

#include "io_test_util.hpp"

namespace io = tessera::io;

TEST_CASE("examples/data/glove100d_top10k is float16 [10000, 100] with 10,000 words")
{
    const std::string base = std::string(TESSERA_SOURCE_DIR) + "/examples/data/glove100d_top10k";
    const auto h = io::read_npy_header(base + ".npy");
    CHECK(h.type == io::dtype::float16);
    CHECK(h.shape == std::vector<std::size_t>{10000, 100});
    const auto vocab = io::read_words(base + ".words");
    REQUIRE(vocab.size() == 10000);
    CHECK(vocab.words[0] == "the");
    CHECK(vocab.contains("queen"));
    const auto m = io::read_npy<float>(base + ".npy");
    CHECK(m(0, 0) == tessera::half_to_float(tessera::float_to_half(-0.038194f)));
    const auto full = tessera_test::fetched_data("glove100d.npy");
    TESSERA_SKIP_IF_MISSING(full, "glove100d.npy (scripts/fetch_data.sh)");
    const auto g = io::map_npy<float>(full.string());
    int mismatches = 0;
    for (std::size_t i = 0; i < 10000 * 100; ++i)
        mismatches += m.data()[i] != tessera::half_to_float(tessera::float_to_half(g.data()[i]));
    CHECK(mismatches == 0);
    const auto full_words = tessera_test::fetched_data("glove100d.words");
    TESSERA_SKIP_IF_MISSING(full_words, "glove100d.words (scripts/fetch_data.sh)");
    const auto words = io::read_words(full_words.string());
    CHECK(std::equal(vocab.words.begin(), vocab.words.end(), words.words.begin()));
}
