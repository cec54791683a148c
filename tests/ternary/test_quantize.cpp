// quantize_absmean and ternary_matrix against a numpy reference and closed-form invariants.
#include <cmath>
#include <limits>
#include <string>

#include <doctest/doctest.h>
#include <tessera/ternary/quantize.hpp>
#include <xtensor/xnpy.hpp>
#include <xtensor/xtensor.hpp>

#include "test_support.hpp"

using namespace tessera::ternary;

namespace
{
    xt::xtensor<float, 2> fixture_W()
    {
        return xt::load_npy<float>(tessera_test::fixture("ternary/absmean_W.npy").string());
    }

    template <class T>
    xt::xtensor<T, 2> gaussian(std::size_t r, std::size_t c, std::uint64_t seed)
    {
        // deterministic N(0,1)-like values from a splitmix64 + Box-Muller stream
        xt::xtensor<T, 2> w = xt::xtensor<T, 2>::from_shape({r, c});
        std::uint64_t s = seed;
        auto next = [&s]() {
            std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
        };
        for (auto& v : w)
            v = static_cast<T>(std::sqrt(-2.0 * std::log(next() + 1e-300)) * std::cos(6.283185307179586 * next()));
        return w;
    }

    double group_error(const xt::xtensor<double, 2>& W, const ternary_matrix<double>& q, std::size_t i, std::size_t g)
    {
        double e = 0;
        for (std::size_t k = g * q.group_size(); k < std::min(W.shape(1), (g + 1) * q.group_size()); ++k)
        {
            const double d = W(i, k) - static_cast<double>(q.scales()(i, g)) * q.codes()(i, k);
            e += d * d;
        }
        return e;
    }
}  // namespace

TEST_CASE_TEMPLATE("quantize_absmean matches the numpy reference (codes exactly, scales to 1 ulp)", T, float, double)
{
    const xt::xtensor<T, 2> W = xt::cast<T>(fixture_W());
    struct cfg
    {
        const char* name;
        quantize_options o;
    };
    quantize_options g128, g64, g7, row, tensor;
    g64.group_size = 64;
    g7.group_size = 7;
    row.granularity = scale_granularity::per_row;
    tensor.granularity = scale_granularity::per_tensor;
    for (const cfg& c : {cfg{"group128", g128}, cfg{"group64", g64}, cfg{"group7", g7}, cfg{"per_row", row},
                         cfg{"per_tensor", tensor}})
    {
        CAPTURE(std::string(c.name));
        const xt::xtensor<std::int8_t, 2> codes =
            xt::load_npy<std::int8_t>(tessera_test::fixture(std::string("ternary/absmean_") + c.name + ".codes.npy").string());
        const xt::xtensor<float, 2> scales =
            xt::load_npy<float>(tessera_test::fixture(std::string("ternary/absmean_") + c.name + ".scales.npy").string());
        const auto q = quantize_absmean(W, c.o);
        REQUIRE(q.codes().shape() == codes.shape());
        REQUIRE(q.scales().shape() == scales.shape());
        std::size_t code_diff = 0;
        for (std::size_t i = 0; i < codes.size(); ++i)
            code_diff += q.codes().data()[i] != codes.data()[i] ? 1u : 0u;
        CHECK(code_diff == 0);
        for (std::size_t i = 0; i < scales.size(); ++i)
            CHECK(std::fabs(q.scales().data()[i] - scales.data()[i]) <= 1.2e-7f * std::fabs(scales.data()[i]));
    }
}

TEST_CASE_TEMPLATE("absmean invariants: codes in {-1,0,1}, shorter last group, zero group, reconstruct", T, float, double)
{
    const auto W = gaussian<T>(9, 301, 7);
    const auto q = quantize_absmean(W);  // groups of 128: 128, 128, 45
    REQUIRE(q.n_groups() == 3);
    for (std::size_t i = 0; i < 9; ++i)
    {
        double s = 0;
        for (std::size_t k = 256; k < 301; ++k)
            s += std::fabs(static_cast<double>(W(i, k)));
        CHECK(q.scales()(i, 2) == doctest::Approx(s / 45).epsilon(1e-6));
    }
    for (auto c : q.codes())
        CHECK((c >= -1 && c <= 1));
    const auto D = q.dequantize();
    CHECK(D == q.reconstruct());
    CHECK(D(3, 200) == static_cast<T>(q.scales()(3, 1)) * q.codes()(3, 200));
    // Gaussian weights: P(|z| < gamma/2) with gamma = E|z| = sqrt(2/pi) is erf(sqrt(1/pi)/sqrt(2))... ~0.31
    const auto rep = q.error_report(W);
    const double expected_zero = std::erf(std::sqrt(2.0 / M_PI) / 2.0 / std::sqrt(2.0));
    CHECK(rep.zero_fraction == doctest::Approx(expected_zero).epsilon(0.1));
    // storage: 2 bits per weight + 4 bytes per scale
    CHECK(q.storage_bytes() == 9 * 76 + 4 * 27);
    CHECK(q.compression_ratio() == doctest::Approx(9.0 * 301 * sizeof(T) / (9 * 76 + 4 * 27)));
    // an all-zero row gets scale 0 and codes 0
    xt::xtensor<T, 2> Z = W;
    for (std::size_t k = 0; k < 301; ++k)
        Z(4, k) = 0;
    const auto qz = quantize_absmean(Z);
    CHECK(qz.scales()(4, 0) == 0.0f);
    CHECK(qz.codes()(4, 17) == 0);
}

TEST_CASE_TEMPLATE("error_report equals a direct computation", T, float, double)
{
    const auto W = gaussian<T>(5, 200, 11);
    quantize_options o;
    o.group_size = 50;
    const auto q = quantize_absmean(W, o);
    const auto r = q.error_report(W);
    double num = 0, den = 0, cmin = 2, csum = 0, zeros = 0;
    for (std::size_t i = 0; i < 5; ++i)
    {
        double d = 0, a = 0, b = 0;
        for (std::size_t k = 0; k < 200; ++k)
        {
            const double w = W(i, k), h = static_cast<double>(q.scales()(i, k / 50)) * q.codes()(i, k);
            num += (w - h) * (w - h);
            den += w * w;
            d += w * h;
            a += w * w;
            b += h * h;
            zeros += q.codes()(i, k) == 0;
        }
        cmin = std::min(cmin, d / std::sqrt(a * b));
        csum += d / std::sqrt(a * b);
    }
    CHECK(r.relative_frobenius == doctest::Approx(std::sqrt(num / den)).epsilon(1e-12));
    CHECK(r.zero_fraction == doctest::Approx(zeros / 1000));
    CHECK(r.min_row_cosine == doctest::Approx(cmin).epsilon(1e-12));
    CHECK(r.mean_row_cosine == doctest::Approx(csum / 5).epsilon(1e-12));
    CHECK(r.scale_min <= r.scale_mean);
    CHECK(r.scale_mean <= r.scale_max);
    // ternary absmean on Gaussian data: relative error ~0.5 and row cosines ~0.87 (known values)
    CHECK(r.relative_frobenius > 0.4);
    CHECK(r.relative_frobenius < 0.6);
    CHECK(r.mean_row_cosine > 0.8);
}

TEST_CASE("mse_optimal never loses to absmean and strictly wins on Gaussian groups")
{
    const auto W = gaussian<double>(8, 256, 3);
    quantize_options a, m;
    m.scale = scale_rule::mse_optimal;
    const auto qa = quantize_absmean(W, a);
    const auto qm = quantize_absmean(W, m);
    double ea = 0, em = 0;
    for (std::size_t i = 0; i < 8; ++i)
        for (std::size_t g = 0; g < 2; ++g)
        {
            const double e1 = group_error(W, qa, i, g), e2 = group_error(W, qm, i, g);
            CHECK(e2 <= e1 * (1 + 1e-6));
            ea += e1;
            em += e2;
        }
    CHECK(em < 0.97 * ea);
    // the mse-optimal codes are still the rounding rule applied with the chosen scale
    for (std::size_t k = 0; k < 256; ++k)
    {
        const double g = qm.scales()(2, k / 128);
        const double v = std::round(W(2, k) / (g + 1e-5));
        CHECK(qm.codes()(2, k) == static_cast<int>(std::max(-1.0, std::min(1.0, v))));
    }
}

TEST_CASE("per_tensor shares one scale and counts it once in storage")
{
    const auto W = gaussian<float>(4, 100, 5);
    quantize_options o;
    o.granularity = scale_granularity::per_tensor;
    const auto q = quantize_absmean(W, o);
    CHECK(q.scales().shape(1) == 1);
    for (auto s : q.scales())
        CHECK(s == q.scales()(0, 0));
    CHECK(q.storage_bytes() == 4 * 25 + 4);
}

TEST_CASE("quantize_absmean rejects bad input with a clear message")
{
    xt::xtensor<float, 2> W = {{1.f, 2.f}, {3.f, 4.f}};
    quantize_options o;
    o.group_size = 0;
    CHECK_THROWS_WITH_AS(quantize_absmean(W, o), "ternary::quantize_absmean: group_size=0 must be >= 1", tessera::invalid_argument);
    xt::xtensor<float, 2> E = xt::xtensor<float, 2>::from_shape({0, 4});
    CHECK_THROWS_WITH_AS(quantize_absmean(E), "ternary::quantize_absmean: W must be non-empty, got shape [0, 4]",
                         tessera::invalid_argument);
    W(1, 0) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH_AS(quantize_absmean(W),
                         "ternary::quantize_absmean: W must be finite, got nan at [1, 0]",
                         tessera::invalid_argument);
    W(1, 0) = 1;
    quantize_options e;
    e.eps = -1;
    CHECK_THROWS_AS(quantize_absmean(W, e), tessera::invalid_argument);
    xt::xtensor<double, 2> other = {{1.0}};
    CHECK_THROWS_AS(quantize_absmean(W).error_report(other), tessera::invalid_argument);
}
