// .npy: numpy-written fixtures read back exactly (every dtype, order, version), write -> read
// round trips, the zero-copy mapped view, and every error path naming file and byte offset.
#include <cmath>
#include <cstring>
#include <string>

#include <doctest/doctest.h>
#include <tessera/io/npy.hpp>
#include <xtensor/xtensor.hpp>

#include "io_test_util.hpp"

namespace io = tessera::io;
using tessera_test::fixture;

namespace
{
    template <class T, std::size_t N>
    void check_against(const xt::xtensor<T, N>& a, const std::string& expected_name)
    {
        const auto e = io_test::read_expected(expected_name);
        REQUIRE(std::vector<std::size_t>(a.shape().begin(), a.shape().end()) == e.shape);
        REQUIRE(a.size() == e.values.size());
        int mismatches = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
        {
            const T want = static_cast<T>(e.values[i]);
            mismatches += !(a.data()[i] == want && std::signbit(a.data()[i]) == std::signbit(want));
        }
        CHECK(mismatches == 0);
    }
    std::string npy_bytes(const std::string& header_dict, std::size_t data_bytes, int major = 1)
    {
        std::string h = header_dict;
        const std::size_t pre = major == 1 ? 10 : 12;
        while ((pre + h.size() + 1) % 64)
            h.push_back(' ');
        h.push_back('\n');
        std::string out("\x93NUMPY", 6);
        out.push_back(static_cast<char>(major));
        out.push_back(0);
        for (std::size_t i = 0; i < pre - 8; ++i)
            out.push_back(static_cast<char>((h.size() >> (8 * i)) & 0xff));
        return out + h + std::string(data_bytes, '\0');
    }
}  // namespace

TEST_CASE_TEMPLATE("numpy-written fixtures read back exactly", T, float, double)
{
    for (const char* code : {"f2", "f4", "f8"})
    {
        CAPTURE(code);
        check_against(io::read_npy<T>(fixture(std::string("io/m_") + code + "_c.npy").string()), std::string("m_") + code);
        // Fortran order is transposed on read: same logical array
        check_against(io::read_npy<T>(fixture(std::string("io/m_") + code + "_f.npy").string()), std::string("m_") + code);
    }
    check_against(io::read_npy<T>(fixture("io/m_f4_be.npy").string()), "m_f4");
    check_against(io::read_npy<T>(fixture("io/m_f4_v2.npy").string()), "m_f4");
    check_against(io::read_npy<T>(fixture("io/m_f4_v3.npy").string()), "m_f4");
    check_against(io::read_npy<T>(fixture("io/m_bf16.npy").string()), "m_bf16");
    check_against(io::read_npy<T, 1>(fixture("io/vec_f4.npy").string()), "vec_f4");
    check_against(io::read_npy<T, 3>(fixture("io/cube_f8_f.npy").string()), "cube_f8");
    const auto empty = io::read_npy<T>(fixture("io/empty_f4.npy").string());
    CHECK(empty.shape()[0] == 0);
    CHECK(empty.shape()[1] == 5);
    const auto h = io::read_npy_header(fixture("io/m_f2_f.npy").string());
    CHECK(h.fortran_order);
    CHECK(h.type == io::dtype::float16);
    CHECK(h.shape == std::vector<std::size_t>{5, 7});
    CHECK(h.data_offset % 64 == 0);
}

TEST_CASE_TEMPLATE("write -> read round trip for every stored dtype", T, float, double)
{
    xt::xtensor<T, 2> a = xt::xtensor<T, 2>::from_shape({13, 9});
    for (std::size_t i = 0; i < a.size(); ++i)
        a.data()[i] = static_cast<T>(std::sin(0.37 * static_cast<double>(i)) * std::pow(10.0, static_cast<double>(i % 7) - 3.0));
    const std::string p = io_test::temp_path("rt.npy");
    io::write_npy(p, a);
    const auto same = io::read_npy<T>(p);
    CHECK(same == a);
    CHECK(io::read_npy_header(p).type == io::dtype_of<T>());
    for (io::npy_order order : {io::npy_order::c, io::npy_order::fortran})
    for (io::dtype t : {io::dtype::float16, io::dtype::bfloat16, io::dtype::float32, io::dtype::float64})
    {
        CAPTURE(io::to_string(t));
        CAPTURE(order == io::npy_order::fortran);
        io::write_npy(p, a, t, order);
        CHECK(io::read_npy_header(p).fortran_order == (order == io::npy_order::fortran));
        const auto back = io::read_npy<T>(p);
        REQUIRE(back.shape() == a.shape());
        int mismatches = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
        {
            T want = a.data()[i];
            if (t == io::dtype::float16)
                want = static_cast<T>(tessera::half_to_float(std::is_same_v<T, float> ? tessera::float_to_half(static_cast<float>(want))
                                                                                 : tessera::double_to_half(static_cast<double>(want))));
            else if (t == io::dtype::bfloat16)
                want = static_cast<T>(tessera::bfloat16_to_float(std::is_same_v<T, float> ? tessera::float_to_bfloat16(static_cast<float>(want))
                                                                                     : tessera::double_to_bfloat16(static_cast<double>(want))));
            else if (t == io::dtype::float32)
                want = static_cast<T>(static_cast<float>(want));
            mismatches += back.data()[i] != want;
        }
        CHECK(mismatches == 0);
    }
    // 3-D in Fortran order
    xt::xtensor<T, 3> c3 = xt::xtensor<T, 3>::from_shape({2, 3, 4});
    for (std::size_t i = 0; i < c3.size(); ++i)
        c3.data()[i] = static_cast<T>(i);
    io::write_npy(p, c3, io::dtype_of<T>(), io::npy_order::fortran);
    CHECK(io::read_npy<T, 3>(p) == c3);
    // a non-contiguous expression is evaluated before writing
    io::write_npy(p, xt::transpose(a));
    const auto t = io::read_npy<T>(p);
    REQUIRE(t.shape()[0] == 9);
    CHECK(t(2, 5) == a(5, 2));
    std::remove(p.c_str());
}

TEST_CASE("map_npy gives a zero-copy view whose lifetime is the returned object")
{
    xt::xtensor<float, 2> a = {{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}};
    const std::string p = io_test::temp_path("map.npy");
    io::write_npy(p, a);
    auto m = io::map_npy<float>(p);
    CHECK(m.view() == a);
    CHECK(m.shape()[1] == 3);
    auto moved = std::move(m);  // the mapping moves with the object; the view stays valid
    CHECK(moved.view()(1, 2) == 6.f);
    CHECK(moved.data()[4] == 5.f);
    const auto f8 = io::map_npy<double>(fixture("io/m_f8_c.npy").string());
    check_against(xt::xtensor<double, 2>(f8.view()), "m_f8");
    io_test::check_io_error([&] { io::map_npy<double>(p); }, p, "byte 10", "map_npy<float64> needs C-order little-endian float64 data, file has '<f4'");
    const std::string ff = fixture("io/m_f4_f.npy").string();
    io_test::check_io_error([&] { io::map_npy<float>(ff); }, ff, "byte 10", "in Fortran order");
    std::remove(p.c_str());
}

TEST_CASE("every npy error path names the file and the byte offset")
{
    using io_test::check_io_error;
    const std::string missing = io_test::temp_path("does_not_exist.npy");
    check_io_error([&] { io::read_npy<float>(missing); }, missing, "byte 0", "cannot open for reading");

    const std::string good = npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24);
    const std::string ok = io_test::write_temp("ok.npy", good);
    CHECK(io::read_npy<float>(ok).shape()[1] == 3);

    auto bad = [&](const std::string& name, std::string bytes, const std::string& where, const std::string& needle) {
        const std::string p = io_test::write_temp(name, bytes);
        CAPTURE(name);
        check_io_error([&] { io::read_npy<float>(p); }, p, where, needle);
        std::remove(p.c_str());
    };
    bad("empty.npy", "", "byte 0", "truncated .npy preamble: need at least 10 bytes, file has 0");
    bad("magic.npy", "\x93NUMPZ" + good.substr(6), "byte 5", "bad magic");
    std::string v9 = good;
    v9[6] = 9;
    bad("version.npy", v9, "byte 6", "unsupported .npy format version 9.0");
    std::string huge = good.substr(0, 12);
    huge[6] = 2;
    huge[8] = '\xff';
    huge[9] = '\xff';
    huge[10] = '\xff';
    huge[11] = '\x7f';
    bad("hugeheader.npy", huge, "byte 8", "header length 2147483647 exceeds the cap of 100000 bytes");
    bad("shortheader.npy", good.substr(0, 40), "byte 40", "truncated header: header length 118 needs 128 bytes, file has 40");
    bad("truncdata.npy", good.substr(0, good.size() - 5), "byte 147", "truncated data: shape [2, 3] of <f4 needs 24 bytes from byte 128, file has 19");
    bad("trailing.npy", good + "xyz", "byte 152", "header lies about the shape");
    bad("dtype.npy", npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", 24), "byte 20",
        "unsupported dtype '<i4'");
    bad("struct.npy", npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8), "byte 20",
        "expected a quoted string");
    bad("overflow.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 0),
        "byte 60", "shape product overflows");
    bad("overflow2.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,), }", 0),
        "byte 60", "data size (shape product * itemsize) overflows");
    bad("bigdim.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 0),
        "byte 80", "dimension overflows size_t");
    bad("nokey.npy", npy_bytes("{'descr': '<f4', 'shape': (2, 3), }", 24), "byte 10", "needs the keys");
    bad("extrakey.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", 24), "byte 68",
        "unexpected or repeated key 'x'");
    bad("bool.npy", npy_bytes("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 3), }", 24), "byte 44",
        "expected True or False");
    bad("unterminated.npy", npy_bytes("{'descr': '<f4", 0), "byte 64", "unterminated string");
    bad("dims.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", 96), "byte 10",
        "expected a 2-dimensional array, header has shape [2, 3, 4]");
    const std::string ints = fixture("io/ints_i4.npy").string();
    check_io_error([&] { io::read_npy<double>(ints); }, ints, "byte 20", "unsupported dtype '<i4'");
    const std::string dir = tessera_test::fs::temp_directory_path().string();
    check_io_error([&] { io::read_npy<float>(dir); }, dir, "byte 0", "not a regular file");
    std::remove(ok.c_str());
}
