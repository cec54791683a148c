// libFuzzer target: any byte string through the safetensors header validator, then every
// listed tensor decoded. Only tessera::io_error may escape.
#include <cstddef>
#include <cstdint>

#include <tessera/io/safetensors.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace io = tessera::io;
    try
    {
        const auto h = io::parse_safetensors_header(data, size, "fuzz.safetensors");
        for (const auto& t : h.tensors)
        {
            try
            {
                (void)io::read_tensor<float>(data, h, t, "fuzz.safetensors");
                (void)io::read_tensor<double>(data, h, t, "fuzz.safetensors");
            }
            catch (const tessera::io_error&)
            {
            }
        }
    }
    catch (const tessera::io_error&)
    {
    }
    return 0;
}
