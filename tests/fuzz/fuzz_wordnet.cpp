// libFuzzer target: WordNet database files. The first byte picks the part of speech; the rest
// is `data.<pos> NUL index.<pos> NUL <pos>.exc` (a missing part is empty); then every synset's
// ancestors, nltk name and first hypernym are computed, so a malformed graph (cycles, self
// loops) is walked too. Only tessera::io_error may escape.
#include <cstddef>
#include <cstdint>

#include <tessera/io/wordnet.hpp>
#include <tessera/io/wordnet_path.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace io = tessera::io;
    if (size < 1)
        return 0;
    const auto pos = static_cast<io::wordnet_pos>(data[0] % 4);
    const unsigned char* body = data + 1;
    const std::size_t n = size - 1;
    std::size_t a = 0;
    while (a < n && body[a] != 0)
        ++a;
    std::size_t b = a < n ? a + 1 : n;
    while (b < n && body[b] != 0)
        ++b;
    const std::size_t index_begin = a < n ? a + 1 : n, exc_begin = b < n ? b + 1 : n;
    try
    {
        const io::wordnet wn(pos, body, a, "fuzz.data", body + index_begin, b - index_begin, "fuzz.index",
                              body + exc_begin, n - exc_begin, "fuzz.exc");
        for (std::uint32_t i = 0; i < wn.size() && i < 64; ++i)
        {
            (void)io::synset_distance(wn, i, static_cast<std::uint32_t>(wn.size() - 1 - i));
            (void)wn.name(i);
            (void)io::first_hypernym(wn, i);
        }
        (void)io::word_path_similarity(wn, "dogs", "entity");
    }
    catch (const tessera::io_error&)
    {
    }
    return 0;
}
