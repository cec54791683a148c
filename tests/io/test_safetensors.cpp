// safetensors: a spec-written fixture (F32, F16, BF16, F64, metadata, out-of-order JSON) read
// exactly, write -> read round trips, the real USE-lite file when fetched, and every error path.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include <doctest/doctest.h>
#include <tessera/core/parallel.hpp>
#include <tessera/io/npy.hpp>
#include <tessera/io/safetensors.hpp>

#include "io_test_util.hpp"

namespace io = tessera::io;
using tessera_test::fixture;

namespace
{
    std::string st_bytes(const std::string& json, const std::string& data)
    {
        std::string out;
        for (int i = 0; i < 8; ++i)
            out.push_back(static_cast<char>((json.size() >> (8 * i)) & 0xff));
        return out + json + data;
    }
}  // namespace

TEST_CASE_TEMPLATE("the fixture's tensors list and read back exactly", T, float, double)
{
    const io::safetensors_file f(fixture("io/small.safetensors").string());
    REQUIRE(f.tensors().size() == 4);
    // sorted by offset, which is the writing order
    CHECK(f.tensors()[0].name == "layer.0.w");
    CHECK(f.tensors()[1].name == "emb.weight");
    CHECK(f.tensors()[2].dtype_name == "BF16");
    CHECK(f.tensors()[3].shape == std::vector<std::size_t>{5});
    CHECK(f.metadata().at("format") == "pt");
    for (const char* name : {"emb.weight", "half", "layer.0.w", "bf"})
    {
        CAPTURE(name);
        const auto e = io_test::read_expected(std::string("st_") + name);
        const auto a = f.read<T>(name);
        REQUIRE(std::vector<std::size_t>(a.shape().begin(), a.shape().end()) == e.shape);
        int mismatches = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            mismatches += a.data()[i] != static_cast<T>(e.values[i]);
        CHECK(mismatches == 0);
    }
    const auto m = f.read_matrix<T>("emb.weight");
    CHECK(m.shape()[0] == 3);
    CHECK_THROWS_WITH_AS(f.read_matrix<T>("half"), doctest::Contains("tensor 'half' must be 2-D, has shape [5]"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(f.info("nope"), doctest::Contains("name='nope' is not a tensor of"), tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("write_safetensors -> safetensors_file round trip in every dtype", T, float, double)
{
    std::vector<io::named_tensor<T>> ts(3);
    ts[0].name = "a";
    ts[0].values = xt::xarray<T>::from_shape({4, 3});
    for (std::size_t i = 0; i < 12; ++i)
        ts[0].values.data()[i] = static_cast<T>(0.1 * static_cast<double>(i) - 0.5);
    ts[1].name = "scalar";
    ts[1].values = xt::xarray<T>::from_shape({});
    ts[1].values() = static_cast<T>(3.25);
    ts[2].name = "empty";
    ts[2].values = xt::xarray<T>::from_shape({0, 7});
    const std::string p = io_test::temp_path("rt.safetensors");
    for (io::dtype t : {io::dtype::float16, io::dtype::bfloat16, io::dtype::float32, io::dtype::float64})
    {
        CAPTURE(io::to_string(t));
        io::write_safetensors(p, ts, t, {{"k", "v"}});
        const io::safetensors_file f(p);
        CHECK(f.metadata().at("k") == "v");
        const auto a = f.template read<T>("a");
        int mismatches = 0;
        for (std::size_t i = 0; i < 12; ++i)
        {
            std::vector<unsigned char> b(8);
            io::encode(ts[0].values.data() + i, t, b.data(), 1);
            T want;
            io::decode(b.data(), t, false, &want, 1);
            mismatches += a.data()[i] != want;
        }
        CHECK(mismatches == 0);
        CHECK(f.template read<T>("scalar")() == static_cast<T>(3.25));
        CHECK(f.template read<T>("empty").shape()[1] == 7);
    }
    ts[2].name = "a";
    CHECK_THROWS_AS(io::write_safetensors(p, ts), tessera::invalid_argument);
    std::remove(p.c_str());
}

TEST_CASE_TEMPLATE("large tensors: read, read_matrix and read_into equal the mapped bytes in every dtype", T, float, double)
{
    // 20 MiB of float32 (the pread path: stored as T, 1 MiB or more, split per thread) beside a
    // small tensor after it; stored as the other types, the same calls decode from the mapping.
    const std::size_t rows = 5243, cols = 1000;
    std::vector<io::named_tensor<T>> ts(2);
    ts[0].name = "big";
    ts[0].values = xt::xarray<T>::from_shape({rows, cols});
    for (std::size_t i = 0; i < rows * cols; ++i)
        ts[0].values.data()[i] = static_cast<T>(std::sin(0.001 * static_cast<double>(i)) * 100.0);
    ts[1].name = "tail";
    ts[1].values = xt::xarray<T>::from_shape({3});
    ts[1].values = xt::xarray<T>{T(1), T(-2), T(3)};
    const std::string p = io_test::temp_path("large.safetensors");
    for (io::dtype t : {io::dtype::float16, io::dtype::float32, io::dtype::float64})
    {
        CAPTURE(io::to_string(t));
        io::write_safetensors(p, ts, t);
        const io::safetensors_file f(p);
        const auto& info = f.info("big");
        std::vector<T> want(rows * cols);
        io::decode(f.bytes(info), t, false, want.data(), want.size());
        for (int threads : {1, 2})
        {
            CAPTURE(threads);
            tessera::thread_count_guard g(threads);
            const auto m = f.template read_matrix<T>("big");
            const auto a = f.template read<T>("big");
            std::vector<T> into(rows * cols + 1, T(7));
            f.read_into(info, into.data());
            CHECK(into.back() == T(7));  // nothing past the tensor written
            CHECK(std::memcmp(m.data(), want.data(), want.size() * sizeof(T)) == 0);
            CHECK(std::memcmp(a.data(), want.data(), want.size() * sizeof(T)) == 0);
            CHECK(std::memcmp(into.data(), want.data(), want.size() * sizeof(T)) == 0);
            CHECK(f.template read<T>("tail") == xt::xarray<T>{T(1), T(-2), T(3)});
        }
        if (t == io::dtype_of<T>())  // bit for bit what was written
            CHECK(std::memcmp(want.data(), ts[0].values.data(), want.size() * sizeof(T)) == 0);
    }
    std::remove(p.c_str());
}

TEST_CASE("the fetched USE-lite file holds every manifest tensor")
{
    const auto st = tessera_test::fetched_data("use_lite.safetensors");
    TESSERA_SKIP_IF_MISSING(st, "use_lite.safetensors (scripts/fetch_data.sh)");
    const io::safetensors_file f(st.string());
    CHECK(f.tensors().size() == 61);
    const auto& e = f.info("module/Embeddings_en");
    CHECK(e.shape == std::vector<std::size_t>{8002, 256});
    CHECK(f.info("module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/Layer_0/TransformerLayer/FFN/conv1/Tensordot/Reshape_1").shape ==
          std::vector<std::size_t>{512, 1536});
    const auto npy = tessera_test::fetched_data("use_lite_embeddings.npy");
    TESSERA_SKIP_IF_MISSING(npy, "use_lite_embeddings.npy");
    CHECK(f.read_matrix<float>("module/Embeddings_en") == io::read_npy<float>(npy.string()));
}

TEST_CASE("every safetensors error path names the file and the byte offset")
{
    auto bad = [](const std::string& name, const std::string& bytes, const std::string& where, const std::string& needle) {
        const std::string p = io_test::write_temp(name, bytes);
        CAPTURE(name);
        io_test::check_io_error([&] { io::safetensors_file f(p); }, p, where, needle);
        std::remove(p.c_str());
    };
    const std::string ok_json = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    const std::string p = io_test::write_temp("ok.safetensors", st_bytes(ok_json, std::string(8, '\0')));
    CHECK(io::safetensors_file(p).read<float>("w").size() == 2);
    std::remove(p.c_str());
    const std::string missing = io_test::temp_path("missing.safetensors");
    io_test::check_io_error([&] { io::safetensors_file f(missing); }, missing, "byte 0", "cannot open for reading");
    bad("short.st", "abc", "byte 3", "truncated: need an 8-byte header length, file has 3 bytes");
    bad("cap.st", std::string("\xff\xff\xff\xff\0\0\0\0", 8), "byte 0", "exceeds the cap of 100000000 bytes");
    bad("trunchdr.st", st_bytes(ok_json, "").substr(0, 30), "byte 30", "truncated header: header length 54 needs 62 bytes, file has 30");
    bad("json.st", st_bytes(R"({"w": [1, 2,)", ""), "byte 20", "malformed JSON header");
    bad("notobj.st", st_bytes("[1]", ""), "byte 8", "the JSON is not an object");
    // found by fuzz_safetensors: nlohmann reports a number overflow as out_of_range, not parse_error
    bad("bignum.st", st_bytes(R"({"w": 1e999999})", ""), "byte 8", "number overflow");
    bad("dtype.st", st_bytes(R"({"w":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')), "byte 8",
        "tensor 'w': unknown dtype 'F12'");
    bad("lie.st", st_bytes(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')), "byte 8",
        "hold 8 bytes but shape [3] of F32 needs 12");
    bad("range.st", st_bytes(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", std::string(8, '\0')), "byte 8",
        "data_offsets [0, 16] out of range of the 8-byte data buffer");
    bad("overlap.st", st_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                               std::string(8, '\0')), "byte 119", "(overlap)");
    bad("hole.st", st_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", std::string(8, '\0')), "byte 62",
        "starts at data byte 4 but the previous tensor ends at 0 (hole)");
    bad("tail.st", st_bytes(ok_json, std::string(12, '\0')), "byte 70", "tensors cover 8 bytes, data buffer has 12");
    bad("overflow.st", st_bytes(R"({"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", ""),
        "byte 8", "shape product overflows");
    bad("overflow2.st", st_bytes(R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}})", ""),
        "byte 8", "byte size overflows");
    bad("meta.st", st_bytes(R"({"__metadata__":{"a":1}})", ""), "byte 8", "__metadata__ value of 'a' is not a string");
    bad("keys.st", st_bytes(R"({"w":{"dtype":"F32"}})", ""), "byte 8", "entry needs 'dtype', 'shape' and 'data_offsets'");
    // listing works for other dtypes; reading them names the tensor's offset
    const std::string ip = io_test::write_temp("i64.st", st_bytes(R"({"i":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})",
                                                                  std::string(8, '\0')));
    const io::safetensors_file f(ip);
    CHECK(f.tensors()[0].dtype_name == "I64");
    io_test::check_io_error([&] { f.read<float>("i"); }, ip, "byte 62", "tensor 'i' has unsupported dtype I64");
    std::remove(ip.c_str());
}
