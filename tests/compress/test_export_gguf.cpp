// compress/export_gguf.hpp: ternary matrices to GGUF TQ1_0 / TQ2_0 and back. Read by io's GGUF
// reader (ggml's dequantization, bit for bit): values within the documented fp16 bound of
// reconstruct(), exact when the scales are fp16 values; codes exact through load_ternary_gguf.
// (gguf-py reads the same files: python/tests/check_gguf_py.py, ctest python.gguf_py.)
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include <tessera/compress/export_gguf.hpp>
#include <tessera/core/half.hpp>
#include <tessera/core/random.hpp>
#include <tessera/io/gguf.hpp>

#include "../io/io_test_util.hpp"

namespace cp = tessera::compress;
namespace tn = tessera::ternary;

namespace
{
    float fp16(float s) { return tessera::half_to_float(tessera::float_to_half(s)); }
}  // namespace

TEST_CASE_TEMPLATE("save_ternary_gguf: dequantized values are reconstruct() up to the fp16 scale rounding", T, float, double)
{
    // scales over 2^-20 .. 2^4: normal and subnormal fp16 scales both occur
    xt::xtensor<T, 2> W = tessera::random_normal<T>(12, 768, 21);
    for (std::size_t i = 0; i < W.shape(0); ++i)
        for (std::size_t k = 0; k < W.shape(1); ++k)
            W(i, k) *= static_cast<T>(std::ldexp(1.0, static_cast<int>(2 * i) - 20));
    const auto m = tn::quantize_absmean(W, {/*group_size=*/256});
    const auto R = m.reconstruct();
    for (const auto format : {cp::tq_format::tq1_0, cp::tq_format::tq2_0})
    {
        CAPTURE(static_cast<int>(format));
        const std::string path = io_test::temp_path("tq.gguf");
        tessera::io::gguf_metadata meta;
        meta.set("general.name", tessera::io::gguf_value(std::string("w_out")));
        cp::save_ternary_gguf(path, {{"blk.0.ffn_down.weight", m}}, format, meta);
        const tessera::io::gguf_file g(path);
        CHECK(g.metadata().get<std::string>("general.name") == "w_out");
        CHECK(g.metadata().get<std::string>("tessera.version") == tessera::version_string);
        const auto& info = g.info("blk.0.ffn_down.weight");
        CHECK(info.type == (format == cp::tq_format::tq1_0 ? tessera::io::detail::ggml_type::tq1_0
                                                           : tessera::io::detail::ggml_type::tq2_0));
        CHECK(info.bytes == 12 * 3 * (format == cp::tq_format::tq1_0 ? 54 : 66));
        const auto D = g.read<T, 2>("blk.0.ffn_down.weight");
        REQUIRE(D.shape() == R.shape());
        std::size_t exact = 0;
        double worst = 0;
        for (std::size_t i = 0; i < R.shape(0); ++i)
            for (std::size_t k = 0; k < R.shape(1); ++k)
            {
                const float s = m.scales()(i, k / 256);
                // the bound: ggml's d is fp16(s), so |D - R| = |fp16(s) - s| |q|, at most
                // 2^-11 |s| when s is a normal fp16 (>= 2^-14), at most 2^-25 below
                const double bound = std::abs(s) >= std::ldexp(1.0, -14) ? std::ldexp(std::abs(double(s)), -11) : std::ldexp(1.0, -25);
                const double err = std::abs(double(D(i, k)) - double(R(i, k)));
                CHECK_MESSAGE(err <= bound * std::abs(double(m.codes()(i, k))), "(", i, ", ", k, ")");
                CHECK(D(i, k) == static_cast<T>(fp16(s)) * static_cast<T>(m.codes()(i, k)));  // ggml's value exactly
                exact += D(i, k) == R(i, k);
                if (m.codes()(i, k) != 0 && std::abs(s) >= std::ldexp(1.0, -14))
                    worst = std::max(worst, err / std::abs(double(s)));
            }
        CHECK(exact < R.size());          // the rounding is really there ...
        CHECK(worst > std::ldexp(1.0, -13));  // ... and the bound is not loose by more than 4x
        CHECK(worst <= std::ldexp(1.0, -11));

        // back to a ternary matrix: codes exact, scales the fp16 d
        const auto back = cp::load_ternary_gguf(path, "blk.0.ffn_down.weight");
        CHECK(back.codes() == m.codes());
        CHECK(back.group_size() == 256);
        for (std::size_t i = 0; i < R.shape(0); ++i)
            for (std::size_t b = 0; b < 3; ++b)
                CHECK(back.scales()(i, b) == fp16(m.scales()(i, b)));
    }
}

TEST_CASE("save_ternary_gguf: fp16 scales give reconstruct() bit for bit; per_row and several tensors")
{
    const auto W = tessera::random_normal<float>(5, 512, 22);
    const auto q = tn::quantize_absmean(W, {/*group_size=*/256});
    xt::xtensor<float, 2> s = q.scales();
    for (auto& v : s)
        v = fp16(v);
    const tn::ternary_matrix<float> m(q.codes(), s, 256, tn::scale_granularity::per_group);
    const auto r = tn::quantize_absmean(W, {/*group_size=*/128, /*eps=*/1e-5, tn::scale_rule::absmean, tn::scale_granularity::per_row});
    const std::string path = io_test::temp_path("tq_exact.gguf");
    cp::save_ternary_gguf(path, {{"a", m}, {"b", r}}, cp::tq_format::tq1_0);
    const tessera::io::gguf_file g(path);
    CHECK(g.tensors().size() == 2);
    const auto A = g.read<float, 2>("a");
    CHECK(A == m.reconstruct());
    CHECK(cp::load_ternary_gguf(path, "b").codes() == r.codes());
}

TEST_CASE("save_ternary_gguf / load_ternary_gguf: errors name the function, the tensor and the values")
{
    const std::string path = io_test::temp_path("tq_bad.gguf");
    const auto W = tessera::random_normal<float>(2, 512, 23);
    io_test::check_invalid_argument([&] { cp::save_ternary_gguf(path, {{"w", tn::quantize_absmean(W, {/*group_size=*/128})}}); },
                  "ternary::to_tq2_0: group_size=128 must be a multiple of 256: a TQ2_0 block has one scale");
    const auto odd = tessera::random_normal<float>(2, 300, 23);
    io_test::check_invalid_argument([&] { cp::save_ternary_gguf(path, {{"w", tn::quantize_absmean(odd, {/*group_size=*/300})}}, cp::tq_format::tq1_0); },
                  "ternary::to_tq1_0: cols=300 must be a positive multiple of 256 (TQ1_0 blocks)");
    const auto m = tn::quantize_absmean(W, {/*group_size=*/256});
    io_test::check_invalid_argument([&] { cp::save_ternary_gguf(path, {{"w", m}, {"w", m}}); }, "io::write_gguf: tensor names must be non-empty and unique, got 'w'");

    // a file holding a TQ2_0 tensor and an F32 one
    tessera::io::gguf_tensor<float> f32{"dense", xt::xarray<float>(W), tessera::io::detail::ggml_type::f32};
    tessera::io::gguf_tensor<float> tq{"tq", {}, tessera::io::detail::ggml_type::tq2_0};
    tq.shape = {2, 512};
    const auto bytes = tn::to_tq2_0(m);
    tq.raw.assign(bytes.begin(), bytes.end());
    tessera::io::write_gguf<float>(path, {}, {f32, tq});
    CHECK(cp::load_ternary_gguf(path, "tq").codes() == m.codes());
    io_test::check_invalid_argument([&] { (void)cp::load_ternary_gguf(path, "dense"); }, "compress::load_ternary_gguf: tensor 'dense' is F32, expected TQ1_0 or TQ2_0");
    io_test::check_invalid_argument([&] { (void)cp::load_ternary_gguf(path, "nope"); }, "compress::load_ternary_gguf: name='nope' is not a tensor of " + path);

    // write_gguf's raw blocks: the byte count must match the shape
    tq.raw.pop_back();
    io_test::check_invalid_argument([&] { tessera::io::write_gguf<float>(path, {}, {tq}); },
                  "io::write_gguf: tensor 'tq': raw holds 263 bytes, shape [2, 512] of TQ2_0 needs 264");
    tq.raw.push_back(0);
    tq.shape = {2, 500};
    io_test::check_invalid_argument([&] { tessera::io::write_gguf<float>(path, {}, {tq}); }, "row length 500 must be a multiple of the TQ2_0 block of 256");

    // a code 3 in a TQ2_0 block: refused at the tensor's offset
    tq.shape = {2, 512};
    tq.raw = std::vector<unsigned char>(bytes.begin(), bytes.end());
    tq.raw[5] = 0xff;
    tessera::io::write_gguf<float>(path, {}, {tq});
    const std::size_t off = tessera::io::gguf_file(path).info("tq").offset;
    io_test::check_io_error([&] { (void)cp::load_ternary_gguf(path, "tq"); }, path, "byte " + std::to_string(off),
                            "compress::load_ternary_gguf: block (0, 0) holds invalid code 3 at 5");
}
