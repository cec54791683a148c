// libFuzzer target: any byte string as a compressed-matrix file (compress/export.hpp): the
// safetensors container, the "tessera.objects" metadata and every object's consistency checks,
// then each listed object loaded with the loader of its kind and dtype. compressed_file maps a
// path, so the input is written to a file first. Only tessera::io_error may escape a valid call
// (a malformed file); the loaders are called as documented, so an invalid_argument is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include <unistd.h>

#include <tessera/compress/export.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace cp = tessera::compress;
    static const std::string path = "/tmp/tessera_fuzz_export_" + std::to_string(::getpid()) + ".safetensors";
    if (std::FILE* f = std::fopen(path.c_str(), "wb"))
    {
        if (size > 0 && std::fwrite(data, 1, size, f) != size)
        {
            std::fclose(f);
            return 0;
        }
        std::fclose(f);
    }
    else
        return 0;
    try
    {
        const cp::compressed_file file(path);
        (void)file.metadata();
        (void)file.version();
        for (const auto& [name, o] : file.objects())
        {
            const bool f32 = o.dtype == "F32";
            switch (o.kind)
            {
                case cp::export_kind::low_rank:
                    f32 ? (void)file.load_low_rank<float>(name) : (void)file.load_low_rank<double>(name);
                    break;
                case cp::export_kind::svd:
                    f32 ? (void)file.load_svd<float>(name) : (void)file.load_svd<double>(name);
                    break;
                case cp::export_kind::tt_matrix:
                    f32 ? (void)file.load_tt_matrix<float>(name) : (void)file.load_tt_matrix<double>(name);
                    break;
                case cp::export_kind::packed_ternary:
                    (void)file.load_packed_ternary(name);
                    break;
            }
        }
    }
    catch (const tessera::io_error&)
    {
    }
    return 0;
}
