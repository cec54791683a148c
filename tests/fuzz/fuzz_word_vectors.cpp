// libFuzzer target: the first byte picks the format (GloVe text, word2vec text, word2vec
// binary, wink JSON), the rest is the file. Only tessera::io_error may escape.
#include <cstddef>
#include <cstdint>

#include <tessera/io/wink.hpp>
#include <tessera/io/word_vectors.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace io = tessera::io;
    if (size == 0)
        return 0;
    const unsigned char* body = data + 1;
    const std::size_t n = size - 1;
    try
    {
        switch (data[0] % 4)
        {
            case 0: (void)io::parse_glove_text<float>(body, n, "fuzz.txt"); break;
            case 1: (void)io::parse_word2vec_text<double>(body, n, "fuzz.txt"); break;
            case 2: (void)io::parse_word2vec_binary<float>(body, n, "fuzz.bin"); break;
            default: (void)io::parse_wink_json<float>(body, n, "fuzz.json"); break;
        }
    }
    catch (const tessera::io_error&)
    {
    }
    return 0;
}
