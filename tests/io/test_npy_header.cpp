// format_npy_header writes byte-for-byte what numpy writes; parse_npy_header accepts numpy's
// variants (v2/v3, Python-2 'L' suffixes, big-endian, 0-d and 1-d shapes).
#include <string>

#include <doctest/doctest.h>
#include <tessera/io/npy_header.hpp>

#include "io_test_util.hpp"

namespace io = tessera::io;
using tessera_test::fixture;

TEST_CASE("format_npy_header matches numpy's own header bytes")
{
    for (const auto& [file, type, fortran] :
         {std::tuple{"m_f4_c.npy", io::dtype::float32, false}, std::tuple{"m_f8_f.npy", io::dtype::float64, true},
          std::tuple{"m_f2_c.npy", io::dtype::float16, false}, std::tuple{"m_bf16.npy", io::dtype::bfloat16, false}})
    {
        CAPTURE(file);
        const std::string bytes = io_test::slurp(fixture(std::string("io/") + file).string());
        const std::string h = io::format_npy_header(type, {5, 7}, fortran);
        CHECK(bytes.substr(0, h.size()) == h);
    }
    const std::string vec = io_test::slurp(fixture("io/vec_f4.npy").string());
    const std::string hv = io::format_npy_header(io::dtype::float32, {6}, false);
    CHECK(vec.substr(0, hv.size()) == hv);
}

TEST_CASE("parse_npy_header reads every field and accepts numpy's variants")
{
    auto parse = [](const std::string& dict, std::size_t data, int major = 1) {
        std::string h = dict;
        const std::size_t pre = major == 1 ? 10 : 12;
        while ((pre + h.size() + 1) % 16)
            h.push_back(' ');
        h.push_back('\n');
        std::string b("\x93NUMPY", 6);
        b.push_back(static_cast<char>(major));
        b.push_back(0);
        for (std::size_t i = 0; i < pre - 8; ++i)
            b.push_back(static_cast<char>((h.size() >> (8 * i)) & 0xff));
        b += h + std::string(data, '\0');
        return io::parse_npy_header(reinterpret_cast<const unsigned char*>(b.data()), b.size(), "mem.npy");
    };
    const auto a = parse("{'descr': '>f8', 'fortran_order': True, 'shape': (3L, 2L), }", 48);
    CHECK(a.big_endian);
    CHECK(a.fortran_order);
    CHECK(a.type == io::dtype::float64);
    CHECK(a.shape == std::vector<std::size_t>{3, 2});
    CHECK(a.data_bytes == 48);
    CHECK(a.data_offset % 16 == 0);
    const auto s = parse("{\"descr\": \"<f2\", \"shape\": (), \"fortran_order\": False}", 2, 3);
    CHECK(s.shape.empty());
    CHECK(s.count() == 1);
    CHECK(s.major_version == 3);
    const auto z = parse("{'descr': '<u2', 'fortran_order': False, 'shape': (0, 4), }", 0, 2);
    CHECK(z.type == io::dtype::bfloat16);
    CHECK(z.count() == 0);
}
