// The float32 gram route of truncated_svd (detail/gram_float32.hpp): float block products for
// A^T A, a double Rayleigh-Ritz refinement, and the estimate that decides when the double Gram
// runs instead. References: LAPACK's SVD of the same float matrix in double.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/spectral/truncated_svd.hpp>

#include "spectral_test_support.hpp"

using namespace spectral_test;
namespace sp = tessera::spectral;

namespace
{
    sp::truncated_svd_options gram_options(bool float32)
    {
        sp::truncated_svd_options o;
        o.method = sp::svd_method::gram;
        o.gram_float32 = float32;
        return o;
    }

    double max_sigma_error(const xt::xtensor<float, 1>& S, const std::vector<double>& ref)
    {
        double worst = 0;
        for (std::size_t j = 0; j < S.size(); ++j)
            worst = std::max(worst, std::abs(double(S(j)) - ref[j]) / ref[j]);
        return worst;
    }

    // sigma_j = 1 for j < 4, then a cluster around sigma_r of relative spread `spread`, then a
    // power-law tail: small gaps between sigma_r and sigma_{l+1}.
    std::vector<double> clustered(std::size_t k, std::size_t r, double spread)
    {
        auto s = power_law(k, 0.5);
        for (std::size_t j = r - 3; j < std::min(k, r + 14); ++j)
            s[j] = s[r - 3] * (1.0 - spread * double(j - (r - 3)) / 17.0);
        for (std::size_t j = r + 14; j < k; ++j)
            s[j] = std::min(s[j], s[r + 13] * 0.99);
        return s;
    }
}  // namespace

TEST_CASE("float32 gram: the estimate bounds the real error of sigma_r on every spectrum tried")
{
    struct spectrum_case
    {
        const char* name;
        std::vector<double> s;
        std::size_t r;
    };
    const std::size_t m = 3000, n = 96;
    const std::vector<spectrum_case> cases = {
        {"power law 1/2", power_law(n, 0.5), 16},         {"power law 1", power_law(n, 1.0), 24},
        {"geometric 1e2", geometric(n, 1e2), 32},         {"geometric 1e3", geometric(n, 1e3), 60},
        {"cluster 1e-2 at r", clustered(n, 20, 1e-2), 20}, {"cluster 1e-4 at r", clustered(n, 20, 1e-4), 20},
        {"r + p = n", power_law(n, 0.7), 86}};
    for (const auto& c : cases)
    {
        const std::string name = c.name;
        CAPTURE(name);
        auto A = with_spectrum<float>(m, n, c.s, 17);
        const auto ref = reference_sigma(A);
        // Tolerance infinity: the route returns its factors and estimate whatever they are.
        auto f = sp::detail::gram_svd_tall_float32(A, c.r, 10, std::numeric_limits<double>::infinity());
        REQUIRE(f.accepted);
        const double err = max_sigma_error(f.result.S, std::vector<double>(ref.begin(), ref.begin() + c.r));
        CHECK(err <= f.estimate);
        // And it is not vacuous: within a few hundred times float rounding where sigma_1/sigma_r
        // is moderate.
        if (c.s[0] / c.s[c.r - 1] < 100)
            CHECK(f.estimate < 1e-4);
        CHECK(orthonormality_error(f.result.U) < 1e-5);
        xt::xtensor<float, 2> V = xt::transpose(f.result.Vt);
        CHECK(orthonormality_error(V) < 1e-5);
        MESSAGE(std::string(c.name) << ": sigma error " << err << ", estimate " << f.estimate);
    }
}

TEST_CASE("float32 gram: accepted results agree with the double Gram")
{
    for (bool wide : {false, true})
    {
        CAPTURE(wide);
        const std::size_t r = 20;
        auto s = power_law(80, 0.5);
        auto A = wide ? with_spectrum<float>(80, 2500, s, 5) : with_spectrum<float>(2500, 80, s, 5);
        auto f = sp::truncated_svd(A, r, gram_options(true));
        auto d = sp::truncated_svd(A, r, gram_options(false));
        REQUIRE(f.status.ok());
        REQUIRE(d.status.ok());
        CHECK(f.method == sp::svd_method::gram);
        const auto ref = reference_sigma(A);
        CHECK(max_sigma_error(f.S, std::vector<double>(ref.begin(), ref.begin() + r)) < 1e-6);
        CHECK(orthonormality_error(f.U) < 1e-5);
        // Reconstruction: the projector onto the refined subspace is second-order accurate.
        const double ef = reconstruction_error(A, f.U, f.S, f.Vt), ed = reconstruction_error(A, d.U, d.S, d.Vt);
        CHECK(std::abs(ef - ed) <= 1e-5 * ed);
        // Vectors: first order, angle ~ eps_f sigma_1^2 / (sigma_j^2 - sigma_{l+1}^2) (<= 1e-5 / 0.04 here).
        CHECK(column_diff_up_to_sign(f.U, d.U, r) < 1e-3);
        xt::xtensor<float, 2> Vf = xt::transpose(f.Vt), Vd = xt::transpose(d.Vt);
        CHECK(column_diff_up_to_sign(Vf, Vd, r) < 1e-3);
        // Signs follow svd_flip on both routes.
        for (std::size_t j = 0; j < r; ++j)
        {
            std::size_t best = 0;
            for (std::size_t i = 0; i < f.U.shape(0); ++i)
                if (std::abs(f.U(i, j)) > std::abs(f.U(best, j)))
                    best = i;
            CHECK(f.U(best, j) > 0.0f);
        }
    }
}

TEST_CASE("float32 gram: a tail it cannot resolve runs the double Gram instead, bit for bit")
{
    const std::size_t m = 2000, n = 64, r = 20;
    // sigma_1 / sigma_r = 1e4: eps_float 1e4 = 1.2e-3 > 1e-4 (the float tolerance); a tail below.
    std::vector<double> s(n);
    for (std::size_t j = 0; j < n; ++j)
        s[j] = j < r ? std::pow(10.0, -4.0 * double(j) / double(r - 1)) : 0.5e-4 * std::pow(0.98, double(j - r));
    auto A = with_spectrum<float>(m, n, s, 9);
    REQUIRE(sp::detail::float32_gram_pays(n, r, 10));  // the public call below does try the float32 route
    auto f = sp::detail::gram_svd_tall_float32(A, r, 10, 1e-4);
    CHECK_FALSE(f.accepted);
    CHECK(f.why.find("estimated relative error of sigma_20") != std::string::npos);
    auto a = sp::truncated_svd(A, r, gram_options(true));
    auto b = sp::truncated_svd(A, r, gram_options(false));
    CHECK(a.status.code == b.status.code);
    CHECK(max_abs_diff(a.U, b.U) == 0.0);
    CHECK(max_abs_diff(a.Vt, b.Vt) == 0.0);
    for (std::size_t j = 0; j < a.S.size(); ++j)
        CHECK(a.S(j) == b.S(j));
    // ... and that one is more accurate than the float route would have been.
    const auto ref = reference_sigma(A);
    const std::vector<double> top(ref.begin(), ref.begin() + r);
    auto loose = sp::detail::gram_svd_tall_float32(A, r, 10, std::numeric_limits<double>::infinity());
    REQUIRE(loose.accepted);
    CHECK(max_sigma_error(a.S, top) < 1e-6);
    MESSAGE("sigma_1/sigma_r = 1e4: double Gram error " << max_sigma_error(a.S, top) << ", float32 route "
                                                         << max_sigma_error(loose.result.S, top) << " (estimate "
                                                         << loose.estimate << ")");
    CHECK(max_sigma_error(loose.result.S, top) <= loose.estimate);

    // A cluster with no gap between sigma_r and sigma_{l+1}: the subspace term is infinite.
    std::vector<double> flat(n, 0.5);
    flat[0] = flat[1] = 1.0;
    auto F = with_spectrum<float>(m, n, flat, 4);
    auto g = sp::detail::gram_svd_tall_float32(F, 8, 10, 1e-4);
    CHECK_FALSE(g.accepted);
    CHECK(g.why.find("subspace term inf") != std::string::npos);

    // A numerically rank-deficient float matrix: below the route's numerical zero.
    std::vector<double> low = power_law(n, 0.5);
    for (std::size_t j = 10; j < n; ++j)
        low[j] = 0.0;
    auto L = with_spectrum<float>(m, n, low, 6);
    auto z = sp::detail::gram_svd_tall_float32(L, 12, 10, 1e-4);
    CHECK_FALSE(z.accepted);
    CHECK(z.why.find("numerical zero") != std::string::npos);
}

TEST_CASE("float32 gram runs only where it costs less than the double Gram")
{
    // n^2 > 2 n (l - r) + l^2 + 2 l r: the Qwen embedding shapes pay, a rank near n does not.
    CHECK(sp::detail::float32_gram_pays(896, 64, 10));
    CHECK(sp::detail::float32_gram_pays(896, 256, 10));
    CHECK(sp::detail::float32_gram_pays(2560, 1024, 10));
    CHECK_FALSE(sp::detail::float32_gram_pays(512, 500, 10));
    CHECK_FALSE(sp::detail::float32_gram_pays(40, 35, 5));
}

TEST_CASE("gram_float32 changes nothing for double input")
{
    auto A = with_spectrum<double>(600, 50, power_law(50, 0.5), 2);
    auto a = sp::truncated_svd(A, 12, gram_options(true));
    auto b = sp::truncated_svd(A, 12, gram_options(false));
    CHECK(max_abs_diff(a.U, b.U) == 0.0);
    CHECK(max_abs_diff(a.Vt, b.Vt) == 0.0);
}
