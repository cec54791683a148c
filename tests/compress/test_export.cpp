// compress/export.hpp: low_rank, svd_result, tt_matrix and packed_ternary saved to one
// safetensors file and loaded back bit for bit; every malformed file refused with a message
// naming the file, byte, object, expected and received.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>
#include <tessera/compress/export.hpp>
#include <tessera/core/random.hpp>
#include <tessera/spectral/truncated_svd.hpp>
#include <tessera/ternary/quantize.hpp>

#include "../io/io_test_util.hpp"

namespace cp = tessera::compress;
namespace tn = tessera::ternary;

namespace
{
    template <class A, class B>
    bool same_bits(const A& a, const B& b)
    {
        using T = typename A::value_type;
        static_assert(std::is_same_v<T, typename B::value_type>);
        return std::equal(a.shape().begin(), a.shape().end(), b.shape().begin(), b.shape().end()) &&
               std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
    }

    bool same_packed(const tn::packed_ternary& a, const tn::packed_ternary& b)
    {
        return a.layout == b.layout && a.rows == b.rows && a.cols == b.cols && a.row_stride == b.row_stride &&
               a.group_size == b.group_size && a.n_groups == b.n_groups && a.scale_stride == b.scale_stride &&
               a.scale_type == b.scale_type && a.bytes.size() == b.bytes.size() &&
               std::memcmp(a.bytes.data(), b.bytes.data(), a.bytes.size()) == 0 &&
               a.scales == b.scales && a.scales_f16 == b.scales_f16;  // == on floats: no NaN scales here
    }

    template <class T>
    struct fixture
    {
        xt::xtensor<T, 2> A = tessera::random_normal<T>(60, 37, 11);
        tessera::spectral::svd_result<T> svd = tessera::spectral::truncated_svd(A, 8);
        tessera::spectral::low_rank<T> lr{svd};
        tessera::tt::tt_matrix<T> ttm = tessera::tt::to_tt_matrix(tessera::random_normal<T>(64, 32, 12), {4, 4, 4},
                                                                   {4, 2, 4}, {/*max_rank=*/6, /*rel_eps=*/0.0});
        tn::ternary_matrix<T> q = tn::quantize_absmean(tessera::random_normal<T>(9, 301, 13), {/*group_size=*/64});
        tn::packed_ternary p2 = tn::pack_2bit(q);
        tn::packed_ternary p3 = tn::pack_base3(q, tn::scale_storage::f16);
        tn::packed_ternary bare = tn::pack_2bit(q.codes());

        std::string save(const std::string& name) const
        {
            const std::string path = io_test::temp_path(name);
            cp::save_compressed(path, {{"emb", lr}, {"emb_svd", svd}, {"ffn", ttm}, {"w2", p2}, {"w3", p3}, {"codes", bare}},
                                {{"source", "model.layers.0.mlp"}, {"tool", "test_export"}});
            return path;
        }
    };

    /// Rewrites the safetensors header of `path` through `edit` (the data buffer is kept).
    void edit_header(const std::string& path, const std::function<void(nlohmann::json&)>& edit)
    {
        const std::string bytes = io_test::slurp(path);
        std::uint64_t n = 0;
        std::memcpy(&n, bytes.data(), 8);
        nlohmann::json h = nlohmann::json::parse(bytes.substr(8, n));
        edit(h);
        std::string head = h.dump();
        head.append((8 - head.size() % 8) % 8, ' ');
        std::uint64_t len = head.size();
        std::string out(reinterpret_cast<const char*>(&len), 8);
        io_test::write_temp(path.substr(path.rfind("tessera_io_test_") + 16), out + head + bytes.substr(8 + n));
    }
    /// Same, editing the "tessera.objects" description of object `name`.
    void edit_object(const std::string& path, const std::string& name, const std::function<void(nlohmann::json&)>& edit)
    {
        edit_header(path, [&](nlohmann::json& h) {
            nlohmann::json o = nlohmann::json::parse(h["__metadata__"]["tessera.objects"].get<std::string>());
            edit(o[name]);
            h["__metadata__"]["tessera.objects"] = o.dump();
        });
    }

}  // namespace

TEST_CASE_TEMPLATE("save_compressed / compressed_file: every kind round-trips bit for bit", T, float, double)
{
    fixture<T> fx;
    const std::string path = fx.save(std::string("roundtrip_") + (std::is_same_v<T, float> ? "f" : "d"));
    const cp::compressed_file f(path);
    CHECK(f.objects().size() == 6);
    CHECK(f.objects().at("ffn").kind == cp::export_kind::tt_matrix);
    CHECK(f.objects().at("emb").dtype == (std::is_same_v<T, float> ? "F32" : "F64"));
    CHECK(f.metadata() == std::map<std::string, std::string>{{"source", "model.layers.0.mlp"}, {"tool", "test_export"}});
    CHECK(f.version() == tessera::version_string);

    const auto lr = f.load_low_rank<T>("emb");
    CHECK(same_bits(lr.left(), fx.lr.left()));
    CHECK(same_bits(lr.right(), fx.lr.right()));
    CHECK(same_bits(lr.reconstruct(), fx.lr.reconstruct()));

    const auto s = f.load_svd<T>("emb_svd");
    CHECK(same_bits(s.U, fx.svd.U));
    CHECK(same_bits(s.S, fx.svd.S));
    CHECK(same_bits(s.Vt, fx.svd.Vt));

    const auto t = f.load_tt_matrix<T>("ffn");
    CHECK(t.row_modes() == fx.ttm.row_modes());
    CHECK(t.col_modes() == fx.ttm.col_modes());
    CHECK(t.ranks() == fx.ttm.ranks());
    for (std::size_t k = 0; k < 3; ++k)
        CHECK(same_bits(t.core(k), fx.ttm.core(k)));
    CHECK(same_bits(t.reconstruct(), fx.ttm.reconstruct()));

    CHECK(same_packed(f.load_packed_ternary("w2"), fx.p2));
    CHECK(same_packed(f.load_packed_ternary("w3"), fx.p3));
    CHECK(same_packed(f.load_packed_ternary("codes"), fx.bare));
    // the codes and scales rebuild the quantized matrix
    CHECK(tn::unpack_2bit(f.load_packed_ternary("w2")) == fx.q.codes());
    CHECK(tn::unpack_base3(f.load_packed_ternary("w3")) == fx.q.codes());
}

TEST_CASE("save_compressed: the file is plain safetensors with the documented names, dtypes and shapes")
{
    fixture<float> fx;
    const std::string path = fx.save("layout");
    const tessera::io::safetensors_file f(path);
    CHECK(f.info("emb.US").shape == std::vector<std::size_t>{60, 8});
    CHECK(f.info("emb.Vt").shape == std::vector<std::size_t>{8, 37});
    CHECK(f.info("emb_svd.S").shape == std::vector<std::size_t>{8});
    const auto r = fx.ttm.ranks();
    CHECK(f.info("ffn.core.1").shape == std::vector<std::size_t>{r[1], 4, 2, r[2]});
    CHECK(f.info("w2.codes").dtype_name == "U8");
    CHECK(f.info("w2.codes").shape == std::vector<std::size_t>{9, fx.p2.row_stride});
    CHECK(f.info("w2.scales").dtype_name == "F32");
    CHECK(f.info("w3.scales").dtype_name == "F16");
    CHECK(f.info("w3.scales").shape == std::vector<std::size_t>{9, 5});
    CHECK(!f.contains("codes.scales"));
    CHECK(f.metadata().at("tessera.format") == "tessera.compressed.v1");
    // the F32 factors read back through the generic reader as well
    CHECK(same_bits(f.read_matrix<float>("emb.US"), fx.lr.left()));
    const auto o = nlohmann::json::parse(f.metadata().at("tessera.objects"));
    CHECK(o["ffn"]["row_modes"] == nlohmann::json({4, 4, 4}));
    CHECK(o["w3"]["scale_storage"] == "f16");
}

TEST_CASE("save_compressed: bad arguments")
{
    fixture<float> fx;
    const std::string path = io_test::temp_path("bad_args");
    io_test::check_invalid_argument([&] { cp::save_compressed(path, {{"a", fx.lr}, {"a", fx.p2}}); },
                  "compress::save_compressed: items: object names must be non-empty and unique, got 'a'");
    io_test::check_invalid_argument([&] { cp::save_compressed(path, {{"", fx.lr}}); }, "got ''");
    io_test::check_invalid_argument([&] { cp::save_compressed(path, {{"a", fx.lr}}, {{"tessera.version", "x"}}); },
                  "compress::save_compressed: metadata: key 'tessera.version' is reserved");
    tessera::spectral::svd_result<float> broken = fx.svd;
    broken.S = xt::zeros<float>({3});
    io_test::check_invalid_argument([&] { cp::save_compressed(path, {{"s", broken}}); }, "object 's': svd_result factors disagree");
}

TEST_CASE("compressed_file: wrong requests name the object, its kind and dtype")
{
    fixture<float> fx;
    const cp::compressed_file f(fx.save("requests"));
    io_test::check_invalid_argument([&] { (void)f.load_low_rank<float>("nope"); },
                  "compress::compressed_file::load_low_rank: name='nope' is not an object of ");
    io_test::check_invalid_argument([&] { (void)f.load_low_rank<float>("nope"); }, "'ffn' (tt_matrix)");
    io_test::check_invalid_argument([&] { (void)f.load_low_rank<float>("ffn"); }, "object 'ffn' is a tt_matrix, not a low_rank");
    io_test::check_invalid_argument([&] { (void)f.load_tt_matrix<double>("ffn"); }, "object 'ffn' is stored as F32 (float); T=double");
    io_test::check_invalid_argument([&] { (void)f.load_packed_ternary("emb"); }, "is a low_rank, not a packed_ternary");
}

TEST_CASE("compressed_file: malformed files are refused with file, byte, object, expected and received")
{
    fixture<float> fx;
    const std::string path = fx.save("malformed");
    const std::string good = io_test::slurp(path);
    auto reset = [&] { io_test::write_temp("malformed", good); };
    auto refused = [&](const std::string& where, const std::string& needle) {
        io_test::check_io_error([&] { cp::compressed_file f(path); }, path, where, needle);
        reset();
    };

    SUBCASE("truncated")
    {
        io_test::write_temp("malformed", good.substr(0, good.size() - 3));
        io_test::check_io_error([&] { cp::compressed_file f(path); }, path, "byte 8", "out of range of the");
        io_test::write_temp("malformed", good.substr(0, 5));
        io_test::check_io_error([&] { cp::compressed_file f(path); }, path, "byte 5", "truncated");
    }
    SUBCASE("not written by save_compressed")
    {
        tessera::io::write_safetensors<float>(path, {{"x", xt::xarray<float>{1.0f, 2.0f}}});
        refused("byte 8", "compressed_file: __metadata__ has no 'tessera.format' (expected 'tessera.compressed.v1')");
        edit_header(path, [](nlohmann::json& h) { h["__metadata__"]["tessera.format"] = "tessera.compressed.v9"; });
        refused("byte 8", "'tessera.format' is 'tessera.compressed.v9', expected 'tessera.compressed.v1'");
        edit_header(path, [](nlohmann::json& h) { h["__metadata__"]["tessera.objects"] = "{\"a\": "; });
        refused("byte 8", "'tessera.objects' is not valid JSON");
    }
    SUBCASE("a tensor missing, of the wrong dtype or shape")
    {
        edit_header(path, [](nlohmann::json& h) { h["emb.Vx"] = h["emb.Vt"]; h.erase("emb.Vt"); });
        refused("byte 8", "object 'emb': tensor 'emb.Vt' is missing (a low_rank has it)");
        edit_header(path, [](nlohmann::json& h) { h["emb.US"]["shape"] = {8, 60}; });
        refused("byte 8", "object 'emb': tensor 'emb.US' has shape [8, 60], expected [60, 8] from the metadata");
        edit_header(path, [](nlohmann::json& h) { h["w2.scales"]["dtype"] = "I32"; });
        refused("byte 8", "object 'w2': tensor 'w2.scales' has dtype I32, expected F32");
        edit_header(path, [](nlohmann::json& h) { h["emb.US"]["dtype"] = "I32"; });
        refused("byte 8", "tensor 'emb.US' has dtype I32, expected F32");
    }
    SUBCASE("metadata that disagrees with itself or with the tensors")
    {
        edit_object(path, "ffn", [](nlohmann::json& o) { o["ranks"][1] = 99; });
        refused("byte 8", "object 'ffn': tensor 'ffn.core.0' has shape");
        edit_object(path, "ffn", [](nlohmann::json& o) { o["ranks"] = {2, 1}; });
        refused("byte 8", "must have d >= 1, d and d + 1 entries");
        edit_object(path, "ffn", [](nlohmann::json& o) { o["shape"] = {64, 33}; });
        refused("byte 8", "prod(row_modes) x prod(col_modes) = [64, 32] but 'shape' is [64, 33]");
        edit_object(path, "ffn", [](nlohmann::json& o) { o["row_modes"] = "4x4x4"; });
        refused("byte 8", "'row_modes' must be an array of at most 64 non-negative integers");
        edit_object(path, "emb", [](nlohmann::json& o) { o["rank"] = -1; });
        refused("byte 8", "'rank' must be a non-negative integer, got -1");
        edit_object(path, "emb", [](nlohmann::json& o) { o["dtype"] = "F16"; });
        refused("byte 8", "'dtype' must be F32 or F64, got 'F16'");
        edit_object(path, "emb", [](nlohmann::json& o) { o["kind"] = "pca"; });
        refused("byte 8", "object 'emb': unknown kind 'pca'");
        edit_object(path, "w2", [](nlohmann::json& o) { o["row_stride"] = 64; });
        refused("byte 8", "object 'w2': row_stride=64 but two_bit rows of 301 weights take 128 bytes");
        edit_object(path, "w2", [](nlohmann::json& o) { o["n_groups"] = 4; });
        refused("byte 8", "group_size=64 and n_groups=4 disagree");
        edit_object(path, "codes", [](nlohmann::json& o) { o["group_size"] = 64; });
        refused("byte 8", "scale_storage 'none' (bare codes) needs group_size=0 and n_groups=0, got 64 and 0");
        edit_object(path, "w2", [](nlohmann::json& o) { o["shape"][1] = std::numeric_limits<std::uint64_t>::max(); });
        refused("byte 8", "at most 2^40 are accepted");
        edit_object(path, "w2", [](nlohmann::json& o) { o["layout"] = "nibble"; });
        refused("byte 8", "'layout' must be two_bit or base3, got 'nibble'");
    }
}

TEST_CASE("compressed_file::load_packed_ternary refuses non-canonical code bytes and non-finite scales")
{
    fixture<float> fx;
    const std::string path = fx.save("canonical");
    const std::string good = io_test::slurp(path);
    const tessera::io::safetensors_file sf(path);
    const std::size_t codes = sf.data_offset() + sf.info("w2.codes").begin;
    const std::size_t scales = sf.data_offset() + sf.info("w3.scales").begin;
    const std::size_t stride = fx.p2.row_stride;

    std::string bad = good;
    bad[codes + stride + 3] = static_cast<char>(0xff);  // row 1, byte 3: four codes 3
    io_test::write_temp("canonical", bad);
    io_test::check_io_error([&] { (void)cp::compressed_file(path).load_packed_ternary("w2"); }, path,
                            "byte " + std::to_string(codes),
                            "compress::compressed_file::load_packed_ternary: object 'w2': byte for weight (1, 12) holds invalid code 3");
    bad = good;
    bad[codes + stride + 80] = 0x00;  // row 1, byte 80 = weights 320..323: padding beyond 301 columns
    io_test::write_temp("canonical", bad);
    io_test::check_io_error([&] { (void)cp::compressed_file(path).load_packed_ternary("w2"); }, path,
                            "byte " + std::to_string(codes + stride + 80),
                            "object 'w2': byte 80 of row 1 is 0 but the canonical packing of its codes is 85");
    bad = good;
    bad[scales + 2 * 7] = 0x00;  // row 1, group 2 of the f16 scales (5 per row): +inf
    bad[scales + 2 * 7 + 1] = 0x7c;
    io_test::write_temp("canonical", bad);
    io_test::check_io_error([&] { (void)cp::compressed_file(path).load_packed_ternary("w3"); }, path,
                            "byte " + std::to_string(scales + 14), "scale of row 1, group 2 is inf, expected a finite value");
    // the other objects of the file still load
    CHECK(same_packed(cp::compressed_file(path).load_packed_ternary("w2"), fx.p2));
}
