// libFuzzer target: any byte string through the GGUF header parser, then every listed tensor of
// a readable type dequantized to float and double. Only tessera::io_error may escape.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <tessera/io/gguf.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace io = tessera::io;
    try
    {
        const auto h = io::parse_gguf_header(data, size, "fuzz.gguf");
        for (const auto& [key, value] : h.metadata.entries())
            (void)io::gguf_value_type_name(value.type());
        for (const auto& t : h.tensors)
        {
            if (!io::ggml_type_readable(t.type) || t.count() > (std::size_t(1) << 20))
                continue;
            std::vector<float> f(t.count());
            std::vector<double> d(t.count());
            io::dequantize(t.type, data + t.offset, t.count(), f.data());
            io::dequantize(t.type, data + t.offset, t.count(), d.data());
        }
    }
    catch (const tessera::io_error&)
    {
    }
    return 0;
}
