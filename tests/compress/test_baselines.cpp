// The shipped baselines (fp16, int8 per row, int4 per group with ggml's Q4_0 rule) against numpy
// references written from the formats' definitions (tests/fixtures/generate_compress_baselines.py),
// and the noise form (compress/noise.hpp) against its closed forms.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <tessera/compress/baselines.hpp>
#include <tessera/compress/noise.hpp>
#include <tessera/compress/report.hpp>
#include <tessera/core/random.hpp>
#include <tessera/io/detail/gguf_dequant.hpp>

#include "test_support.hpp"

namespace tc = tessera::compress;

namespace
{
    const nlohmann::json& reference()
    {
        static const auto ref =
            nlohmann::json::parse(std::ifstream(tessera_test::fixture("compress/baselines_reference.json")));
        return ref;
    }

    template <class T>
    xt::xtensor<T, 2> matrix_of(const nlohmann::json& ref)
    {
        const std::size_t n = ref["rows"], d = ref["cols"];
        xt::xtensor<T, 2> A = xt::xtensor<T, 2>::from_shape({n, d});
        for (std::size_t i = 0; i < n * d; ++i)
            A.data()[i] = static_cast<T>(ref["A"][i].get<double>());
        return A;
    }

    template <class T>
    void check_values(const xt::xtensor<T, 2>& got, const nlohmann::json& want)
    {
        REQUIRE(got.size() == want.size());
        for (std::size_t i = 0; i < got.size(); ++i)
        {
            CAPTURE(i);
            CHECK(static_cast<double>(got.data()[i]) == static_cast<double>(static_cast<T>(want[i].get<double>())));
        }
    }
}  // namespace

static_assert(tc::is_compressed_form_v<tc::fp16_matrix<float>>);
static_assert(tc::is_compressed_form_v<tc::int8_row_matrix<double>>);
static_assert(tc::is_compressed_form_v<tc::int4_group_matrix<float>>);
static_assert(tc::is_compressed_form_v<tc::noisy_matrix<float>>);

TEST_CASE_TEMPLATE("fp16 baseline: numpy astype(float16), 2 bytes per weight", T, float, double)
{
    const auto& ref = reference();
    const auto A = matrix_of<T>(ref);
    const auto f = tc::to_fp16(A);
    CHECK(f.status.ok());
    CHECK(f.storage_bytes() == ref["fp16"]["bytes"].get<std::size_t>());
    CHECK(f.bits_per_weight() == 16.0);
    check_values(f.reconstruct(), ref["fp16"]["values"]);
    // Beyond the binary16 range: saturated at 65504 and reported, never a silent infinity.
    xt::xtensor<T, 2> big = {{T(1), T(70000)}, {T(-1e6), T(0.5)}};
    const auto b = tc::to_fp16(big);
    CHECK(b.status.code == tessera::status_code::accuracy_limited);
    CHECK(b.status.message.find("2 values beyond the binary16 range") != std::string::npos);
    const auto back = b.reconstruct();
    CHECK(back(0, 1) == T(65504));
    CHECK(back(1, 0) == T(-65504));
    xt::xtensor<T, 2> nan = {{T(1), std::numeric_limits<T>::quiet_NaN()}};
    CHECK_THROWS_WITH_AS(tc::to_fp16(nan), doctest::Contains("to_fp16"), tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("int8 per-row baseline: numpy codes, scales and values; 8 + 32/d bits per weight", T, float, double)
{
    const auto& ref = reference();
    const auto A = matrix_of<T>(ref);
    const auto q = tc::quantize_int8_per_row(A);
    CHECK(q.status.ok());
    const auto& r = ref["int8"];
    REQUIRE(q.codes.values.size() == r["codes"].size());
    for (std::size_t i = 0; i < q.codes.values.size(); ++i)
    {
        CAPTURE(i);
        CHECK(int(q.codes.values.data()[i]) == r["codes"][i].get<int>());  // includes ties rounded away from zero
    }
    REQUIRE(q.codes.scales.size() == q.rows);
    for (std::size_t i = 0; i < q.rows; ++i)
        CHECK(q.codes.scales(i, 0) == static_cast<float>(r["scales"][i].get<double>()));
    CHECK(q.storage_bytes() == r["bytes"].get<std::size_t>());
    CHECK(q.bits_per_weight() == doctest::Approx(8.0 + 32.0 / double(q.cols)));
    check_values(q.reconstruct(), r["values"]);
}

TEST_CASE_TEMPLATE("int4 per-group baseline (Q4_0 rule): numpy codes, fp16 scales and values, 4.5 bits at group 32",
                   T, float, double)
{
    const auto& ref = reference();
    const auto A = matrix_of<T>(ref);
    for (const char* key : {"int4_g32", "int4_g12"})
    {
        CAPTURE(key);
        const auto& r = ref[key];
        tc::int4_options o;
        o.group_size = r["group"];
        const auto q = tc::quantize_int4_per_group(A, o);
        CHECK(q.status.ok());
        for (std::size_t i = 0; i < q.rows; ++i)
            for (std::size_t j = 0; j < q.cols; ++j)
            {
                CAPTURE(i);
                CAPTURE(j);
                CHECK(int(q.code(i, j)) == r["codes"][i * q.cols + j].template get<int>());
            }
        for (std::size_t i = 0; i < q.scales.size(); ++i)
            CHECK(double(tessera::half_to_float(q.scales[i])) == r["scales"][i].get<double>());
        CHECK(q.storage_bytes() == r["bytes"].get<std::size_t>());
        check_values(q.reconstruct(), r["values"]);
    }
    // Q4_0's accounting: 32 weights in 16 code bytes + a 2-byte scale = 4.5 bits per weight; and
    // its layout: each group's (scale, bytes) is a Q4_0 block that the GGUF reader's ggml-order
    // dequantizer (io/detail/gguf_dequant.hpp) turns back into reconstruct()'s values.
    const auto G = tessera::random_normal<T>(4, 256, 3);
    const auto q = tc::quantize_int4_per_group(G);
    CHECK(q.bits_per_weight() == 4.5);
    CHECK(q.bytes_per_row() == 128);
    const auto back = q.reconstruct();
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t b = 0; b < 8; ++b)
        {
            unsigned char block[18];
            const std::uint16_t d16 = q.scales[i * 8 + b];
            block[0] = static_cast<unsigned char>(d16 & 0xff);
            block[1] = static_cast<unsigned char>(d16 >> 8);
            std::copy_n(q.packed.begin() + static_cast<std::ptrdiff_t>(i * 128 + b * 16), 16, block + 2);
            float y[32];
            tessera::io::detail::dequant_q4_0(block, y);
            for (std::size_t t = 0; t < 32; ++t)
                CHECK(back(i, b * 32 + t) == static_cast<T>(y[t]));
        }
    tc::int4_options zero;
    zero.group_size = 0;
    CHECK_THROWS_WITH_AS(tc::quantize_int4_per_group(G, zero),
                         "compress::quantize_int4_per_group: options.group_size=0 must be >= 1", tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("baselines in the quality report: error ordered fp16 < int8 < int4, bytes as stored", T, float, double)
{
    const auto A = tessera::random_normal<T>(400, 64, 5);
    tc::report_options o;
    o.knn_queries = 50;
    const auto f = tc::compression_report(A, tc::to_fp16(A), o);
    const auto i8 = tc::compression_report(A, tc::quantize_int8_per_row(A), o);
    const auto i4 = tc::compression_report(A, tc::quantize_int4_per_group(A), o);
    CHECK(f.storage_bytes == 400 * 64 * 2);
    CHECK(i8.storage_bytes == 400 * 64 + 400 * 4);
    CHECK(i4.storage_bytes == 400 * (32 + 2 * 2));
    CHECK(f.relative_frobenius_error < i8.relative_frobenius_error);
    CHECK(i8.relative_frobenius_error < i4.relative_frobenius_error);
    // Uniform rounding error: int8 with step absmax/127 ~ 3.3 sigma / 127 gives ~ 0.0075 relative.
    CHECK(i8.relative_frobenius_error < 0.012);
    CHECK(i4.relative_frobenius_error < 0.15);
}

TEST_CASE_TEMPLATE("noise form: closed forms of W + s std(W) N", T, float, double)
{
    // Zero-mean Gaussian W [2000, 256]: relative Frobenius error -> s, row cosine -> 1/sqrt(1+s^2).
    const auto W = tessera::random_normal<T>(2000, 256, 42, 0, T(0.3));
    tc::report_options o;
    o.neighbours = false;
    o.pairs = 0;
    for (double s : {0.01, 0.05, 0.1, 0.2, 1.0})
    {
        CAPTURE(s);
        const auto noisy = tc::add_gaussian_noise(W, s, 7);
        CHECK(noisy.relative_scale == s);
        CHECK(noisy.noise_std == doctest::Approx(0.3 * s).epsilon(0.01));
        CHECK(noisy.storage_bytes() == W.size() * sizeof(T));
        const auto r = tc::compression_report(W, noisy, o);
        // E||s sigma N||^2 / ||W||^2 with ||W||^2 ~ sigma^2 n d: relative std of a chi^2 over 512000
        // entries is ~ 0.2 %, so 1 % holds for any seed.
        CHECK(r.relative_frobenius_error == doctest::Approx(s).epsilon(0.01));
        CHECK(r.row_cosine.mean == doctest::Approx(1.0 / std::sqrt(1.0 + s * s)).epsilon(0.002));
    }
    // Nonzero mean: only the spread of W sets the noise (std, not RMS): error = s std / rms.
    xt::xtensor<T, 2> shifted = W + T(0.4);
    const auto r = tc::compression_report(shifted, tc::add_gaussian_noise(shifted, 0.1, 7), o);
    CHECK(r.relative_frobenius_error == doctest::Approx(0.1 * 0.3 / 0.5).epsilon(0.01));
    // s = 0 is the identity; same seed => same bits; another seed => other noise.
    CHECK(tc::add_gaussian_noise(W, 0.0, 3).matrix == W);
    CHECK(tc::add_gaussian_noise(W, 0.1, 3).matrix == tc::add_gaussian_noise(W, 0.1, 3).matrix);
    CHECK(tc::add_gaussian_noise(W, 0.1, 3).matrix != tc::add_gaussian_noise(W, 0.1, 4).matrix);
    CHECK_THROWS_WITH_AS(tc::add_gaussian_noise(W, -0.1), "compress::add_gaussian_noise: s=-0.1 must be finite and >= 0",
                         tessera::invalid_argument);
}
