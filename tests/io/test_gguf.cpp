// GGUF reader and writer: a fixture written by llama.cpp's gguf-py with data quantized by ggml's
// reference C quantizers (tests/fixtures/generate_gguf.py); every supported type dequantizes
// bit for bit as ggml's dequantize_row_*; metadata of every value type; write -> read round trips.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/io/gguf.hpp>
#include <tessera/io/npy.hpp>
#include <tessera/ternary/formats.hpp>

#include "io_test_util.hpp"

namespace io = tessera::io;
using tessera_test::fixture;

namespace
{
    std::string types_path() { return fixture("io/gguf/types.gguf").string(); }

    template <class T>
    std::size_t bit_mismatches(const T* a, const float* ref, std::size_t n)
    {
        std::size_t bad = 0;
        for (std::size_t i = 0; i < n; ++i)
        {
            const T r = static_cast<T>(ref[i]);
            bad += std::memcmp(&a[i], &r, sizeof(T)) != 0;
        }
        return bad;
    }
}  // namespace

TEST_CASE("gguf: the fixture's header, tensor list and shapes")
{
    const auto f = io::gguf_file::open(types_path());
    CHECK(f.version() == 3);
    CHECK(f.alignment() == 32);
    CHECK(f.data_offset() % 32 == 0);
    REQUIRE(f.tensors().size() == 11);
    CHECK(f.tensors()[0].name == "f32");
    CHECK(f.info("f32").shape == std::vector<std::size_t>{3, 5});
    CHECK(f.info("f32_3d").shape == std::vector<std::size_t>{2, 3, 4});
    CHECK(f.info("bf16").shape == std::vector<std::size_t>{16});
    CHECK(f.info("q4_k").shape == std::vector<std::size_t>{2, 512});
    CHECK(f.info("q4_k").type == io::ggml_type::q4_k);
    CHECK(f.info("q4_k").bytes == 4 * 144);
    CHECK(f.info("q6_k").bytes == 4 * 210);
    CHECK(f.info("tq1_0").bytes == 2 * 54);
    CHECK(f.info("q5_k").type == io::ggml_type::q5_k);
    CHECK(std::string(io::ggml_type_name(f.info("q5_k").type)) == "Q5_K");
    for (const auto& t : f.tensors())
    {
        CHECK(t.offset % 32 == 0);
        CHECK(f.raw(t.name).size == t.bytes);
        CHECK(f.raw(t.name).data != nullptr);
    }
    CHECK_FALSE(f.contains("nope"));
    CHECK_THROWS_WITH_AS(f.info("nope"), doctest::Contains("name='nope' is not a tensor of"), tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("gguf: every supported type dequantizes bit for bit as ggml", T, float, double)
{
    const io::gguf_file f(types_path());
    for (const char* name : {"f32", "f32_3d", "f16", "bf16", "q4_0", "q8_0", "q4_k", "q6_k", "tq1_0", "tq2_0"})
    {
        CAPTURE(name);
        const auto e = io::read_npy<float, 1>(fixture(std::string("io/gguf/") + name + ".npy").string());
        const xt::xarray<T> a = f.read<T>(name);
        REQUIRE(std::vector<std::size_t>(a.shape().begin(), a.shape().end()) == f.info(name).shape);
        REQUIRE(a.size() == e.size());
        CHECK(bit_mismatches(a.data(), e.data(), a.size()) == 0);
    }
    const auto m = f.read<T, 2>("q4_k");
    CHECK(m.shape()[0] == 2);
    CHECK(m.shape()[1] == 512);
    CHECK_THROWS_WITH_AS((f.read<T, 2>("bf16")), doctest::Contains("tensor 'bf16' has shape [16], not 2 dimensions"),
                         tessera::invalid_argument);
    io_test::check_io_error([&] { (void)f.read<T>("q5_k"); }, types_path(), "byte " + std::to_string(f.info("q5_k").offset),
                            "unsupported ggml type Q5_K (13) for tensor 'q5_k'");
}

TEST_CASE("gguf: TQ2_0 / TQ1_0 tensors agree with the ternary module's converters")
{
    const io::gguf_file f(types_path());
    for (const char* name : {"tq2_0", "tq1_0"})
    {
        CAPTURE(name);
        const auto r = f.raw(name);
        const std::vector<std::uint8_t> bytes(r.data, r.data + r.size);
        const auto tm = std::string(name) == "tq2_0" ? tessera::ternary::from_tq2_0(bytes, 2, 256)
                                                     : tessera::ternary::from_tq1_0(bytes, 2, 256);
        const auto g = f.read<float, 2>(name);
        for (std::size_t i = 0; i < 2; ++i)
            for (std::size_t j = 0; j < 256; ++j)
                REQUIRE(g(i, j) == static_cast<float>(tm.codes()(i, j)) * tm.scales()(i, 0));
    }
}

TEST_CASE("gguf: metadata of every value type with typed getters")
{
    const io::gguf_file f(types_path());
    const auto& md = f.metadata();
    CHECK(md.get<std::string>("general.architecture") == "llama");
    CHECK(md.at<std::uint8_t>("t.u8") == 200);
    CHECK(md.at<std::int8_t>("t.i8") == -100);
    CHECK(md.at<std::uint16_t>("t.u16") == 60000);
    CHECK(md.at<std::int16_t>("t.i16") == -30000);
    CHECK(md.at<std::uint32_t>("t.u32") == 4000000000u);
    CHECK(md.at<std::int64_t>("t.u32") == 4000000000);  // integers convert when they fit
    CHECK(md.at<std::int32_t>("t.i32") == -2000000000);
    CHECK(md.at<std::uint64_t>("t.u64") == (std::uint64_t(1) << 63) + 5);
    CHECK(md.at<std::int64_t>("t.i64") == -(std::int64_t(1) << 62));
    CHECK(md.at<float>("t.f32") == 0.1f);
    CHECK(md.at<double>("t.f64") == -1e300);
    CHECK(md.at<bool>("t.bool"));
    CHECK(md.at<std::string>("t.str") == "h\xc3\xa9llo");
    CHECK(md.at<std::vector<std::int32_t>>("t.arr_i32") == std::vector<std::int32_t>{1, -2, 3});
    CHECK(md.at<std::vector<std::string>>("t.arr_str") == std::vector<std::string>{"a", "", "ccc"});
    CHECK(md.at<std::vector<std::vector<std::string>>>("t.nested") ==
          std::vector<std::vector<std::string>>{{"x", "yy"}, {"zzz"}});
    CHECK(md.find("t.nested")->array().type == io::gguf_value_type::array);
    CHECK(md.find("t.u32")->type() == io::gguf_value_type::uint32);
    CHECK_FALSE(md.get<std::string>("absent").has_value());
    CHECK_THROWS_WITH_AS(md.at<std::string>("absent"), doctest::Contains("io::gguf_metadata::at: key 'absent' is absent"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(md.get<std::string>("t.u32"), doctest::Contains("t.u32 holds uint32, not string"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(md.get<std::uint8_t>("t.u32"), doctest::Contains("t.u32=4000000000 does not fit"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(md.get<std::uint32_t>("t.i8"), doctest::Contains("t.i8=-100 does not fit"), tessera::invalid_argument);
    CHECK(md.entries().front().first == "general.architecture");
}

TEST_CASE("gguf: version 2 reads as version 3; version 1 is refused")
{
    std::string bytes = io_test::slurp(types_path());
    bytes[4] = 2;
    const std::string p2 = io_test::write_temp("gguf_v2.gguf", bytes);
    const io::gguf_file f(p2);
    CHECK(f.version() == 2);
    CHECK(f.read<float>("q6_k").size() == 1024);
    bytes[4] = 1;
    const std::string p1 = io_test::write_temp("gguf_v1.gguf", bytes);
    io_test::check_io_error([&] { io::gguf_file g(p1); }, p1, "byte 4", "GGUF version 1 is not supported");
}

TEST_CASE_TEMPLATE("write_gguf: files read back by tessera (and by gguf-py: generate_gguf.py --check)", T, float, double)
{
    const std::size_t rows = 3, cols = 64;
    xt::xarray<T> v = xt::xarray<T>::from_shape({rows, cols});
    for (std::size_t i = 0; i < v.size(); ++i)
        v.data()[i] = static_cast<T>(std::sin(0.37 * static_cast<double>(i)) * static_cast<double>(1 + i % 7));
    io::gguf_metadata md;
    md.set("general.architecture", "llama");
    md.set("tessera.u32", std::uint32_t(7));
    md.set("tessera.f64", 0.5);
    md.set("tessera.flag", true);
    md.set("tessera.tokens", std::vector<std::string>{"a", "bc", ""});
    md.set("tessera.i8", std::int8_t(-3));
    md.set("tessera.nested", std::vector<io::gguf_value>{std::vector<std::string>{"p"}, std::vector<std::string>{"q", "r"}});
    std::vector<io::gguf_tensor<T>> ts = {{"w.f32", v, io::ggml_type::f32},
                                          {"w.f16", v, io::ggml_type::f16},
                                          {"w.bf16", v, io::ggml_type::bf16},
                                          {"w.q8_0", v, io::ggml_type::q8_0},
                                          {"norm", xt::xarray<T>(xt::view(v, 0, xt::all())), io::ggml_type::f32}};
    const std::string p = io_test::temp_path(std::string("gguf_written_") + (sizeof(T) == 4 ? "f" : "d") + ".gguf");
    io::write_gguf(p, md, ts);
    const io::gguf_file f(p);
    CHECK(f.version() == 3);
    CHECK(f.metadata().size() == md.size());
    CHECK(f.metadata().at<std::vector<std::string>>("tessera.tokens") == std::vector<std::string>{"a", "bc", ""});
    CHECK(f.metadata().at<std::vector<std::vector<std::string>>>("tessera.nested") ==
          std::vector<std::vector<std::string>>{{"p"}, {"q", "r"}});
    CHECK(f.metadata().find("tessera.i8")->type() == io::gguf_value_type::int8);
    const xt::xtensor<float, 2> vf = xt::cast<float>(xt::xtensor<T, 2>(v));
    CHECK(f.read<float, 2>("w.f32") == vf);
    CHECK(f.read<float, 1>("norm") == xt::xtensor<float, 1>(xt::view(vf, 0, xt::all())));
    // F16 / BF16: round to nearest even of the value; Q8_0: ggml's quantizer, error <= d/2 plus fp16(d)'s rounding
    const auto h = f.read<double, 2>("w.f16");
    const auto b = f.read<double, 2>("w.bf16");
    const auto q = f.read<double, 2>("w.q8_0");
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j)
        {
            const double x = static_cast<double>(v(i, j));
            REQUIRE(std::abs(h(i, j) - x) <= std::abs(x) * std::ldexp(1.0, -11) + 1e-7);
            REQUIRE(std::abs(b(i, j) - x) <= std::abs(x) * std::ldexp(1.0, -8));
            REQUIRE(std::abs(q(i, j) - x) <= 7.0 * (0.5 / 127.0 + 1.0 / 2048.0));  // d/2 + 127 |d - fp16(d)|
        }
    // the stored bytes are what the element-wise encoders give
    std::vector<unsigned char> f16(rows * cols * 2);
    tessera::to_half_bytes(v.data(), f16.data(), v.size());
    CHECK(std::memcmp(f.raw("w.f16").data, f16.data(), f16.size()) == 0);
    // bad calls
    CHECK_THROWS_WITH_AS(io::write_gguf(p, md, std::vector<io::gguf_tensor<T>>{{"a", v, io::ggml_type::q4_k}}),
                         doctest::Contains("type Q4_K cannot be written"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(io::write_gguf(p, md, std::vector<io::gguf_tensor<T>>{{"a", v}, {"a", v}}),
                         doctest::Contains("unique, got 'a'"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(io::write_gguf(p, md, std::vector<io::gguf_tensor<T>>{{"a", xt::xarray<T>::from_shape({2, 48}), io::ggml_type::q8_0}}),
                         doctest::Contains("row length 48 must be a multiple of the Q8_0 block of 32"), tessera::invalid_argument);
}

TEST_CASE("write_gguf honours general.alignment")
{
    io::gguf_metadata md;
    md.set("general.alignment", std::uint32_t(64));
    xt::xarray<float> a = xt::xarray<float>::from_shape({3});
    a.fill(1.5f);
    const std::string p = io_test::temp_path("gguf_align64.gguf");
    io::write_gguf(p, md, std::vector<io::gguf_tensor<float>>{{"a", a}, {"b", a, io::ggml_type::f16}});
    const io::gguf_file f(p);
    CHECK(f.alignment() == 64);
    CHECK(f.info("b").offset % 64 == 0);
    CHECK(f.read<float, 1>("b")(2) == 1.5f);
    md.set("general.alignment", std::uint32_t(48));
    CHECK_THROWS_WITH_AS(io::write_gguf(p, md, std::vector<io::gguf_tensor<float>>{}),
                         doctest::Contains("general.alignment must be a uint32 power of two"), tessera::invalid_argument);
}
