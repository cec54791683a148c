// Packed GEMV/GEMM: every kernel this CPU runs (scalar, AVX2, AVX-512) gives bit-identical floats,
// exact int32 unit sums equal an integer reference, floats are within 1e-6 of a double
// reference on the same quantized inputs, GEMM rows equal GEMV, base-3 equals 2-bit.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/ternary/matmul.hpp>
#include <tessera/ternary/quantize.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "test_support.hpp"

using namespace tessera::ternary;

namespace
{
    template <class T>
    xt::xtensor<T, 2> noise(std::size_t r, std::size_t c, std::uint64_t seed)
    {
        xt::xtensor<T, 2> w = xt::xtensor<T, 2>::from_shape({r, c});
        std::uint64_t s = seed;
        for (auto& v : w)
        {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            const double u = static_cast<double>(s >> 11) * 0x1.0p-53;
            v = static_cast<T>((u - 0.5) * (1 + 3 * u * u));  // heavier tails than uniform
        }
        return w;
    }

    quantize_options group_options(std::size_t group, bool per_row)
    {
        quantize_options o;
        o.group_size = group;
        if (per_row)
            o.granularity = scale_granularity::per_row;
        return o;
    }

    std::vector<kernel> compiled_kernels()  // the kernels this CPU supports (run-time dispatch)
    {
        std::vector<kernel> ks{kernel::scalar};
        if (kernel_available(kernel::avx2))
            ks.push_back(kernel::avx2);
        if (kernel_available(kernel::avx512))
            ks.push_back(kernel::avx512);
        return ks;
    }

    /// Double reference on the same quantized inputs: sum_k s_{g(k)} q_k a_{b(k)} x_k.
    void reference(const ternary_matrix<float>& q, const int8_activations& a, std::size_t b, std::size_t i,
                   double& value, double& magnitude)
    {
        value = 0;
        magnitude = 0;
        for (std::size_t k = 0; k < q.cols(); ++k)
        {
            const double t = static_cast<double>(q.scales()(i, k / q.group_size())) * q.codes()(i, k) *
                             static_cast<double>(a.scales(b, k / a.block_size)) * a.values(b, k);
            value += t;
            magnitude += std::fabs(t);
        }
    }
}  // namespace

TEST_CASE_TEMPLATE("gemm/gemv: kernels bit-identical, exact integer sums, 1e-6 of a double reference", T, float, double)
{
    const auto ks = compiled_kernels();
    MESSAGE("kernels this CPU runs: " << ks.size() << " (scalar" << std::string(ks.size() > 1 ? ", avx2" : "")
                                 << std::string(ks.size() > 2 ? ", avx512" : "") << ")");
    struct shape
    {
        std::size_t rows, cols, group;
        bool per_row;
        std::size_t block;
        bool per_token;
    };
    const std::vector<shape> shapes = {{1, 1, 128, false, 64, false},    {3, 63, 128, false, 64, false},
                                       {5, 64, 64, false, 64, false},    {7, 65, 128, false, 64, true},
                                       {9, 255, 128, false, 128, false}, {13, 257, 256, false, 64, false},
                                       {37, 1000, 128, false, 64, false}, {6, 1030, 0, true, 64, false},
                                       {17, 1024, 192, false, 256, false}, {4, 4096, 128, false, 64, true},
                                       {33, 2049, 64, false, 192, false}, {11, 700, 128, false, 64, false},
                                       {8, 1800, 128, false, 64, false},  // 3 and 8 chunks of 256 (GEMV tail paths)
                                       // base-3: 6 and 11 groups of 16 units, so every phase (group % 5) of its kernel
                                       {3, 6000, 128, false, 64, false}, {2, 10300, 128, false, 128, false}};
    for (const shape& sh : shapes)
    {
        CAPTURE(sh.rows);
        CAPTURE(sh.cols);
        const auto W = noise<T>(sh.rows, sh.cols, sh.rows * 7919 + sh.cols);
        const quantize_options qo = group_options(sh.group, sh.per_row);
        const auto qT = quantize_absmean(W, qo);
        const ternary_matrix<float> q(qT.codes(), qT.scales(), qT.group_size(), qT.granularity());
        activation_options ao;
        ao.block_size = sh.block;
        ao.per_token = sh.per_token;
        const auto X = noise<float>(3, sh.cols, sh.cols + 1);
        const auto a = quantize_activations_int8(X, ao);
        const auto P2 = pack_2bit(q), P3 = pack_base3(q);

        const auto ref = gemm(P2, a, {kernel::scalar});
        const auto units_ref = tessera::ternary::detail::unit_sums(P2, a, kernel::scalar);
        // exact integer reference of every unit (64 weights) of every row, activation row 0
        for (std::size_t i = 0; i < sh.rows; ++i)
            for (std::size_t u = 0; u * 64 < sh.cols; ++u)
            {
                long s = 0;
                for (std::size_t k = u * 64; k < std::min(sh.cols, u * 64 + 64); ++k)
                    s += q.codes()(i, k) * a.values(0, k);
                CHECK(units_ref(i, u) == s);
            }
        for (kernel k : ks)
        {
            CAPTURE(static_cast<int>(k));
            CHECK(gemm(P2, a, {k}) == ref);
            CHECK(tessera::ternary::detail::unit_sums(P2, a, k) == units_ref);
            CHECK(gemm(P3, a, {k}) == ref);
            CHECK(tessera::ternary::detail::unit_sums(P3, a, k) == units_ref);
        }
        // gemm row b == gemv of activation row b, bit for bit
        for (std::size_t b = 0; b < 3; ++b)
        {
            const auto xb = quantize_activations_int8(xt::xtensor<float, 2>(xt::view(X, xt::range(b, b + 1), xt::all())), ao);
            const auto y = gemv(P2, xb);
            for (std::size_t i = 0; i < sh.rows; ++i)
            {
                CHECK(y(i) == ref(b, i));
                double v, mag;
                reference(q, a, b, i, v, mag);
                CHECK(std::fabs(static_cast<double>(ref(b, i)) - v) <= 1e-6 * mag + 1e-30);
            }
        }
    }
}

TEST_CASE("gemm/gemv results do not depend on the thread count")
{
    const auto W = noise<float>(301, 777, 5);
    const auto q = quantize_absmean(W);
    const auto P = pack_2bit(q);
    const auto a = quantize_activations_int8(noise<float>(9, 777, 6));
    xt::xtensor<float, 2> y1, y2;
    {
        tessera::thread_count_guard g(1);
        y1 = gemm(P, a);
    }
    {
        tessera::thread_count_guard g(2);
        y2 = gemm(P, a);
    }
    CHECK(y1 == y2);
}

TEST_CASE_TEMPLATE("gemv_float: kernels bit-identical and within 1e-6 of a double reference", T, float, double)
{
    for (std::size_t cols : {1u, 100u, 256u, 1000u, 3000u})
    {
        CAPTURE(cols);
        const auto W = noise<float>(19, cols, cols);
        quantize_options o;
        o.group_size = 64;
        const auto q = quantize_absmean(W, o);
        const auto P = pack_2bit(q);
        const xt::xtensor<T, 1> x = xt::view(noise<T>(1, cols, 77), 0, xt::all());
        const auto y = gemv_float(P, x, {kernel::scalar});
        for (kernel k : compiled_kernels())
            if (k != kernel::avx2)
                CHECK(gemv_float(P, x, {k}) == y);
        for (std::size_t i = 0; i < 19; ++i)
        {
            double v = 0, mag = 0;
            for (std::size_t c = 0; c < cols; ++c)
            {
                const double t = static_cast<double>(q.scales()(i, c / 64)) * q.codes()(i, c) *
                                 static_cast<double>(static_cast<float>(x(c)));
                v += t;
                mag += std::fabs(t);
            }
            CHECK(std::fabs(static_cast<double>(y(i)) - v) <= 1e-6 * mag + 1e-30);
        }
    }
}

TEST_CASE("packed products reject bad input with a clear message")
{
    const auto W = noise<float>(4, 300, 1);
    const auto q = quantize_absmean(W);
    const auto P = pack_2bit(q);
    const auto a = quantize_activations_int8(noise<float>(1, 300, 2));
    const auto a_short = quantize_activations_int8(noise<float>(1, 299, 2));
    CHECK_THROWS_WITH_AS(gemv(P, a_short), "ternary::gemv: activations must have 300 columns, got shape [1, 299]",
                         tessera::invalid_argument);
    quantize_options o;
    o.group_size = 100;
    CHECK_THROWS_WITH_AS(gemv(pack_2bit(quantize_absmean(W, o)), a),
                         "ternary::gemv: group_size=100 must be a multiple of 64 or >= cols=300 for the packed kernels",
                         tessera::invalid_argument);
    activation_options ao;
    ao.block_size = 32;
    CHECK_THROWS_WITH_AS(gemv(P, quantize_activations_int8(noise<float>(1, 300, 2), ao)),
                         "ternary::gemv: activation block_size=32 must be a multiple of 64 or >= cols=300 (per token)",
                         tessera::invalid_argument);
    CHECK_THROWS_AS(gemv(pack_2bit(q.codes()), a), tessera::invalid_argument);  // bare codes: no scales
    auto bad = P;
    bad.row_stride = 64;
    CHECK_THROWS_AS(gemv(bad, a), tessera::invalid_argument);
    CHECK_THROWS_AS(gemv(P, quantize_activations_int8(noise<float>(2, 300, 2))), tessera::invalid_argument);
    CHECK_THROWS_AS(gemv_base3(P, a), tessera::invalid_argument);
    xt::xtensor<float, 1> x = xt::zeros<float>({299});
    if (kernel_available(kernel::avx2))
        CHECK_THROWS_WITH_AS(gemv_float(P, xt::xtensor<float, 1>(xt::zeros<float>({300})), {kernel::avx2}),
                             "ternary::gemv_float: kernel avx2 supports only int8 products, not gemv_float",
                             tessera::invalid_argument);
    CHECK_THROWS_AS(gemv_float(P, x), tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("f16 scale storage: every kernel equals f32 storage of the f16-rounded scales, bit for bit", T, float, double)
{
    struct shape
    {
        std::size_t rows, cols, group;
    };
    const std::vector<shape> shapes = {{1, 1, 128}, {7, 65, 128}, {37, 1000, 128}, {17, 1024, 192},
                                       {33, 2049, 64}, {3, 6000, 128}, {2, 10300, 256}};
    for (const shape& sh : shapes)
    {
        CAPTURE(sh.rows);
        CAPTURE(sh.cols);
        const auto W = noise<T>(sh.rows, sh.cols, sh.rows * 31 + sh.cols);
        const quantize_options qo = group_options(sh.group, false);
        const auto q = quantize_absmean(W, qo);
        // the same matrix with its scales rounded to binary16 and stored as floats
        xt::xtensor<float, 2> rounded = q.scales();
        for (auto& s : rounded)
            s = tessera::half_to_float(tessera::float_to_half(s));
        const ternary_matrix<float> qr(q.codes(), rounded, q.group_size(), q.granularity());
        const auto a = quantize_activations_int8(noise<float>(6, sh.cols, sh.cols + 3));
        for (packed_layout layout : {packed_layout::two_bit, packed_layout::base3})
        {
            const bool two = layout == packed_layout::two_bit;
            const auto H = two ? pack_2bit(q, scale_storage::f16) : pack_base3(q, scale_storage::f16);
            const auto F = two ? pack_2bit(qr) : pack_base3(qr);
            REQUIRE(H.scale_type == scale_storage::f16);
            CHECK(H.scales.empty());
            CHECK(H.scales_f16.size() == H.rows * H.scale_stride);
            CHECK(H.row_scales(0) == nullptr);
            CHECK(H.storage_bytes() + 2 * H.rows * H.n_groups == F.storage_bytes());
            CHECK(H.bytes.size() == F.bytes.size());
            CHECK(std::equal(H.bytes.data(), H.bytes.data() + H.bytes.size(), F.bytes.data()));
            CHECK((two ? unpack_2bit(H) : unpack_base3(H)) == q.codes());
            for (kernel k : compiled_kernels())
            {
                CAPTURE(static_cast<int>(k));
                CHECK(gemm(H, a, {k}) == gemm(F, a, {k}));  // batch 6: the 4 + 2 blocks of the AVX-512 GEMM
                const auto a1 = quantize_activations_int8(noise<float>(1, sh.cols, sh.cols + 4));
                CHECK(gemv(H, a1, {k}) == gemv(F, a1, {k}));
                if (two && k != kernel::avx2)
                {
                    const xt::xtensor<T, 1> x = xt::view(noise<T>(1, sh.cols, 99), 0, xt::all());
                    CHECK(gemv_float(H, x, {k}) == gemv_float(F, x, {k}));
                }
            }
        }
        // fused quantize + pack stores the same halves
        const auto Hq = quantize_pack_2bit(W, qo, scale_storage::f16);
        const auto H2 = pack_2bit(q, scale_storage::f16);
        CHECK(Hq.scales_f16 == H2.scales_f16);
        CHECK(std::equal(Hq.bytes.data(), Hq.bytes.data() + Hq.bytes.size(), H2.bytes.data()));
    }
}

TEST_CASE("f16 scale storage rejects scales outside float16's normal range")
{
    xt::xtensor<float, 2> W = noise<float>(3, 256, 4);
    xt::view(W, 1, xt::range(128, 256)) *= 1e-5f;  // row 1, group 1: absmean ~ 3e-6, subnormal in binary16
    const auto q = quantize_absmean(W);
    CHECK_THROWS_WITH_AS(pack_2bit(q, scale_storage::f16),
                         doctest::Contains("ternary::pack_2bit: scale_storage::f16: scale"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(pack_base3(q, scale_storage::f16), doctest::Contains("of row 1, group 1 is outside float16's normal range"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(quantize_pack_2bit(W, {}, scale_storage::f16), doctest::Contains("ternary::quantize_pack_2bit: scale_storage::f16"),
                         tessera::invalid_argument);
    xt::xtensor<float, 2> big = noise<float>(2, 128, 5) * 1e6f;
    CHECK_THROWS_AS(pack_2bit(quantize_absmean(big), scale_storage::f16), tessera::invalid_argument);
    // all-zero groups (scale 0) are fine
    xt::xtensor<float, 2> Z = noise<float>(2, 256, 6);
    xt::view(Z, 0, xt::range(0, 128)) = 0.0f;
    CHECK_NOTHROW(pack_2bit(quantize_absmean(Z), scale_storage::f16));
    // a packed f16 matrix with a missing scale vector is refused by the products
    auto P = pack_2bit(quantize_absmean(Z), scale_storage::f16);
    P.scales_f16.pop_back();
    CHECK_THROWS_AS(gemv(P, quantize_activations_int8(noise<float>(1, 256, 7))), tessera::invalid_argument);
}
