// mapped_file: maps the exact bytes, empty files map to size 0, moves transfer the mapping.
#include <string>

#include <doctest/doctest.h>
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
