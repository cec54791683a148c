// mapped_file: maps the exact bytes, empty files map to size 0, moves transfer the mapping.
#include <cstring>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/core/parallel.hpp>
#include <tessera/io/mapped_file.hpp>

#include "io_test_util.hpp"

namespace io = tessera::io;

TEST_CASE("mapped_file maps the bytes, handles empty files and moves")
{
    const std::string p = io_test::write_temp("m.bin", "hello");
    io::mapped_file f(p);
    REQUIRE(f.size() == 5);
    CHECK(std::string(reinterpret_cast<const char*>(f.data()), 5) == "hello");
    io::mapped_file g(std::move(f));
    CHECK(g.size() == 5);
    CHECK(f.data() == nullptr);  // NOLINT: moved-from state is documented as empty
    const std::string e = io_test::write_temp("e.bin", "");
    io::mapped_file h(e);
    CHECK(h.size() == 0);
    CHECK(h.data() == nullptr);
    h = std::move(g);
    CHECK(h.size() == 5);
    CHECK(h.path() == p);
    io_test::check_io_error([] { io::mapped_file x("/nonexistent/x"); }, "/nonexistent/x", "byte 0", "cannot open for reading");
    std::remove(p.c_str());
    std::remove(e.c_str());
}

TEST_CASE("file_descriptor::read_large reads the exact bytes of any range, split or not, and names a short read")
{
    // 40 MiB + 4097 bytes of a position-dependent pattern: reads below 16 MiB go in one part, the
    // larger ones in one part per thread with 8 MiB pieces; offsets and destinations unaligned.
    const std::size_t size = (std::size_t(40) << 20) + 4097;
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
    const std::string p = io_test::write_temp("large.bin", bytes);
    const io::file_descriptor fd(p);
    REQUIRE(fd.size() == size);
    const std::size_t mib = std::size_t(1) << 20;
    const std::size_t cases[][2] = {{0, 0},          {1, 1},          {3, 16 * mib - 1}, {0, 16 * mib},
                                    {5, 16 * mib + 1}, {4095, 24 * mib + 7}, {0, size},   {4097, size - 4097}};
    for (int threads : {1, 2})
        for (const auto& c : cases)
        {
            CAPTURE(threads);
            CAPTURE(c[0]);
            CAPTURE(c[1]);
            tessera::thread_count_guard g(threads);
            std::vector<unsigned char> out(c[1] + 3, 0xAB);
            fd.read_large(out.data() + 1, c[1], c[0]);  // an odd destination address
            CHECK(out[0] == 0xAB);
            CHECK(out[c[1] + 1] == 0xAB);
            CHECK(std::memcmp(out.data() + 1, bytes.data() + c[0], c[1]) == 0);
        }
    // Past the end: the part that comes up short is named by the offset where the file ends.
    for (int threads : {1, 2})
    {
        tessera::thread_count_guard g(threads);
        std::vector<unsigned char> out(size);
        io_test::check_io_error([&] { fd.read_large(out.data(), size, 1000); }, p, "byte " + std::to_string(size),
                                "unexpected end of file");
    }
    std::remove(p.c_str());
}
