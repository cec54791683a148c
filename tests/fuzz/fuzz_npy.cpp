// libFuzzer target: any byte string through the .npy parser and decoder (1-, 2- and 3-d, float
// and double). Only tessera::io_error may escape the parser; anything else is a bug.
#include <cstddef>
#include <cstdint>

#include <tessera/io/npy.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace io = tessera::io;
    try
    {
        const auto h = io::parse_npy_header(data, size, "fuzz.npy");
        if (h.shape.size() == 1)
            (void)io::parse_npy<double, 1>(data, size, "fuzz.npy");
        else if (h.shape.size() == 2)
        {
            (void)io::parse_npy<float, 2>(data, size, "fuzz.npy");
            (void)io::parse_npy<double, 2>(data, size, "fuzz.npy");
        }
        else if (h.shape.size() == 3)
            (void)io::parse_npy<float, 3>(data, size, "fuzz.npy");
    }
    catch (const tessera::io_error&)
    {
    }
    return 0;
}
