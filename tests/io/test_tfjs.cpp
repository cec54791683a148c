// read_tfjs_weights: a two-group fixture whose first group splits a tensor across two shards,
// int32 and 0-d weights, and the real USE-lite manifest when fetched; errors name file + offset.
#include <string>

#include <doctest/doctest.h>
#include <tessera/io/npy.hpp>
#include <tessera/io/tfjs.hpp>
#include <tessera/io/word_vectors.hpp>

#include "io_test_util.hpp"

namespace io = tessera::io;
using tessera_test::fixture;

TEST_CASE_TEMPLATE("the TF.js fixture: every tensor by name and shape, values exact", T, float, double)
{
    const auto ts = io::read_tfjs_weights<T>(fixture("io/tfjs/model.json").string());
    REQUIRE(ts.size() == 4);
    CHECK(ts[0].name == "dense/kernel");
    CHECK(ts[1].name == "const/perm");
    CHECK(ts[2].name == "cube");
    CHECK(ts[3].name == "scalar");
    CHECK(ts[3].values.dimension() == 0);
    CHECK(ts[3].values() == T(0.125));
    const char* names[] = {"tfjs_dense_kernel", "tfjs_const_perm", "tfjs_cube"};
    for (std::size_t k = 0; k < 3; ++k)
    {
        const auto e = io_test::read_expected(names[k]);
        REQUIRE(std::vector<std::size_t>(ts[k].values.shape().begin(), ts[k].values.shape().end()) == e.shape);
        int mismatches = 0;
        for (std::size_t i = 0; i < e.values.size(); ++i)
            mismatches += ts[k].values.data()[i] != static_cast<T>(e.values[i]);
        CHECK(mismatches == 0);
    }
}

TEST_CASE("TF.js manifest errors name the file and the byte offset")
{
    const auto dir = tessera_test::fs::temp_directory_path() / "tessera_io_tfjs";
    tessera_test::fs::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& bytes) {
        std::ofstream((dir / name).string(), std::ios::binary) << bytes;
        return (dir / name).string();
    };
    write("s1", std::string(8, '\0'));
    const std::string manifest_ok = R"({"weightsManifest": [{"paths": ["s1"], "weights": [{"name": "w", "shape": [2], "dtype": "float32"}]}]})";
    CHECK(io::read_tfjs_weights<float>(write("ok.json", manifest_ok)).size() == 1);
    const std::string syntax = write("syntax.json", R"({"weightsManifest": [)");
    io_test::check_io_error([&] { io::read_tfjs_weights<float>(syntax); }, syntax, "byte 21", "malformed JSON");
    const std::string bignum = write("bignum.json", R"({"weightsManifest": 1e999999})");
    io_test::check_io_error([&] { io::read_tfjs_weights<float>(bignum); }, bignum, "byte 0", "number overflow");
    const std::string nomf = write("nomf.json", R"({"modelTopology": {}})");
    io_test::check_io_error([&] { io::read_tfjs_weights<float>(nomf); }, nomf, "byte 0", "weightsManifest: missing");
    const std::string big = write("big.json", R"({"weightsManifest": [{"paths": ["s1"], "weights": [{"name": "w", "shape": [3], "dtype": "float32"}]}]})");
    io_test::check_io_error([&] { io::read_tfjs_weights<float>(big); }, (dir / "s1").string(), "byte 8",
                            "truncated shards: weight 'w' needs 12 bytes at group offset 0, group has 8");
    const std::string small = write("small.json", R"({"weightsManifest": [{"paths": ["s1"], "weights": [{"name": "w", "shape": [1], "dtype": "float32"}]}]})");
    io_test::check_io_error([&] { io::read_tfjs_weights<float>(small); }, (dir / "s1").string(), "byte 4",
                            "group 0: weights use 4 bytes but the shards hold 8");
    const std::string dt = write("dt.json", R"({"weightsManifest": [{"paths": ["s1"], "weights": [{"name": "w", "shape": [1], "dtype": "complex64"}]}]})");
    io_test::check_io_error([&] { io::read_tfjs_weights<float>(dt); }, dt, "byte 0", "weight 'w': unsupported dtype 'complex64'");
    const std::string noshard = write("noshard.json", R"({"weightsManifest": [{"paths": ["nope"], "weights": []}]})");
    io_test::check_io_error([&] { io::read_tfjs_weights<float>(noshard); }, (dir / "nope").string(), "byte 0", "cannot open");
    tessera_test::fs::remove_all(dir);
}

TEST_CASE("TF.js shard paths must stay inside the model's folder: '..' and absolute paths are refused")
{
    const auto base = tessera_test::fs::temp_directory_path() / "tessera_io_tfjs_paths";
    const auto dir = base / "model";
    tessera_test::fs::create_directories(dir / "sub");
    std::ofstream((base / "outside").string(), std::ios::binary) << std::string(8, '\0');  // a readable file outside
    std::ofstream((dir / "sub" / "s1").string(), std::ios::binary) << std::string(8, '\0');
    auto manifest = [&](const std::string& name, const std::string& path) {
        std::ofstream((dir / name).string()) << R"({"weightsManifest": [{"paths": [")" << path
                                              << R"("], "weights": [{"name": "w", "shape": [2], "dtype": "float32"}]}]})";
        return (dir / name).string();
    };
    CHECK(io::read_tfjs_weights<float>(manifest("ok.json", "sub/s1")).size() == 1);  // a subfolder is inside
    for (const std::string& bad : {std::string("../outside"), std::string("sub/../../outside"), (base / "outside").string(),
                                   std::string("")})
    {
        const std::string m = manifest("bad.json", bad);
        io_test::check_io_error([&] { io::read_tfjs_weights<float>(m); }, m, "byte 0",
                                "shard path '" + bad + "' must be a relative path inside the model's folder");
    }
    tessera_test::fs::remove_all(base);
}

TEST_CASE("quantized uint8 weights dequantize as min + scale * q")
{
    const auto dir = tessera_test::fs::temp_directory_path() / "tessera_io_tfjs_q";
    tessera_test::fs::create_directories(dir);
    std::ofstream((dir / "q").string(), std::ios::binary) << std::string("\x00\x01\xff", 3);
    std::ofstream((dir / "m.json").string())
        << R"({"weightsManifest": [{"paths": ["q"], "weights": [{"name": "w", "shape": [3], "dtype": "float32", "quantization": {"dtype": "uint8", "min": -1.0, "scale": 0.5}}]}]})";
    const auto ts = io::read_tfjs_weights<double>((dir / "m.json").string());
    CHECK(ts[0].values(0) == -1.0);
    CHECK(ts[0].values(1) == -0.5);
    CHECK(ts[0].values(2) == 126.5);
    tessera_test::fs::remove_all(dir);
}

TEST_CASE("the fetched USE-lite conversion: manifest tensors, embedding .npy and vocabulary agree")
{
    const auto vocab_path = tessera_test::fetched_data("use_lite.vocab");
    const auto npy = tessera_test::fetched_data("use_lite_embeddings.npy");
    TESSERA_SKIP_IF_MISSING(vocab_path, "use_lite.vocab (scripts/fetch_data.sh)");
    TESSERA_SKIP_IF_MISSING(npy, "use_lite_embeddings.npy (scripts/fetch_data.sh)");
    const auto vocab = io::read_words(vocab_path.string());
    const auto e = io::read_npy<float>(npy.string());
    CHECK(e.shape()[0] == 8002);
    CHECK(e.shape()[1] == 256);
    REQUIRE(vocab.size() == 8002);
    CHECK(vocab.words[1] == "<s>");
    CHECK(vocab.row("\xe2\x96\x81the") == 9);  // "▁the"
    CHECK(vocab.words[8001] == "<oov_bucket_8001>");
    CHECK(vocab.contains("\xe2\x80\x9d" "5#238"));
}
