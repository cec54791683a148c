// core/cpu.hpp and the run-time dispatch of the SIMD kernels, built the way a consumer builds
// tessera: this target gets no -march flag and -Werror (tests/CMakeLists.txt), so every SIMD
// kernel it runs was compiled under a function-level target and chosen at run time, and a
// -Wpsabi warning in a header fails the build. Independent references: /proc/cpuinfo for the
// features, the scalar kernels (bit for bit) and closed-form simplex volumes.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/core/cpu.hpp>
#include <tessera/core/random.hpp>
#include <tessera/core/half.hpp>
#include <tessera/simplex/volume.hpp>
#include <tessera/ternary/matmul.hpp>
#include <tessera/ternary/quantize.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

namespace tt = tessera::ternary;
using tessera::simd_level;

namespace
{
    std::set<std::string> proc_cpuinfo_flags()
    {
        std::ifstream f("/proc/cpuinfo");
        std::string line;
        while (std::getline(f, line))
            if (line.rfind("flags", 0) == 0)
            {
                std::istringstream s(line.substr(line.find(':') + 1));
                std::set<std::string> out;
                for (std::string w; s >> w;)
                    out.insert(w);
                return out;
            }
        return {};
    }

    simd_level best_supported()
    {
        return tessera::cpu_supports(simd_level::avx512) ? simd_level::avx512
               : tessera::cpu_supports(simd_level::avx2) ? simd_level::avx2
                                                          : simd_level::scalar;
    }
}  // namespace

TEST_CASE("this test is compiled as a consumer compiles tessera: no -march")
{
#if defined(__AVX__) || defined(__AVX2__) || defined(__AVX512F__) || defined(__F16C__)
    FAIL("compiled with AVX enabled: the TESSERA_NO_NATIVE property of core_test_cpu was lost");
#endif
#if defined(__x86_64__) && defined(__GNUC__)
    CHECK(TESSERA_X86_DISPATCH == 1);
#endif
}

TEST_CASE("cpu(): the features agree with /proc/cpuinfo; the dispatch level is the best supported")
{
    const auto& f = tessera::cpu();
    CHECK(&f == &tessera::cpu());  // detected once
    const auto flags = proc_cpuinfo_flags();
#if defined(TESSERA_X86_DISPATCH)
    if (!flags.empty())
    {
        CHECK(f.avx == (flags.count("avx") == 1));
        CHECK(f.avx2 == (flags.count("avx2") == 1));
        CHECK(f.fma == (flags.count("fma") == 1));
        CHECK(f.f16c == (flags.count("f16c") == 1));
        CHECK(f.avx512f == (flags.count("avx512f") == 1));
        CHECK(f.avx512bw == (flags.count("avx512bw") == 1));
        CHECK(f.avx512dq == (flags.count("avx512dq") == 1));
        CHECK(f.avx512vl == (flags.count("avx512vl") == 1));
        CHECK(f.avx512vnni == (flags.count("avx512_vnni") == 1));
    }
#endif
    MESSAGE("CPU SIMD level: " << std::string(tessera::to_string(best_supported())) << ", dispatched: "
                               << std::string(tessera::to_string(tessera::simd_dispatch_level())));
    if (std::getenv("TESSERA_SIMD") == nullptr)
        CHECK(tessera::simd_dispatch_level() == best_supported());
    CHECK(tessera::cpu_supports(simd_level::scalar));
    CHECK(std::string(tessera::cpu_missing_feature(best_supported())).empty());
}

TEST_CASE("the lacking feature is named per level")
{
    using tessera::detail::simd_missing_feature;
    tessera::cpu_features f;
    CHECK(std::string(simd_missing_feature(f, simd_level::scalar)).empty());
#if defined(TESSERA_X86_DISPATCH)
    CHECK(std::string(simd_missing_feature(f, simd_level::avx2)) == "avx2");
    f.avx = f.avx2 = f.fma = true;
    CHECK(std::string(simd_missing_feature(f, simd_level::avx2)) == "f16c");
    f.f16c = f.avx512f = f.avx512bw = f.avx512dq = f.avx512vl = true;
    CHECK(std::string(simd_missing_feature(f, simd_level::avx2)).empty());
    CHECK(std::string(simd_missing_feature(f, simd_level::avx512)) == "avx512vnni");
    f.avx512vnni = true;
    CHECK(std::string(simd_missing_feature(f, simd_level::avx512)).empty());
#endif
}

TEST_CASE("ternary: automatic runs the best kernel the CPU supports; every supported kernel gives the same bits")
{
    const simd_level best = best_supported();
    const tt::kernel expect = best == simd_level::avx512 ? tt::kernel::avx512
                              : best == simd_level::avx2 ? tt::kernel::avx2
                                                         : tt::kernel::scalar;
    if (std::getenv("TESSERA_SIMD") == nullptr)
        CHECK(tt::detail::resolve_kernel(tt::kernel::automatic, false, "t") == expect);
    CHECK(tt::kernel_available(tt::kernel::avx2) == tessera::cpu_supports(simd_level::avx2));
    CHECK(tt::kernel_available(tt::kernel::avx512) == tessera::cpu_supports(simd_level::avx512));
    // shapes with partial chunks, partial base-3 groups, every base-3 phase, a GEMM with 4 + 2 blocks
    for (std::size_t cols : {65u, 1000u, 2049u, 6000u})
    {
        CAPTURE(cols);
        const auto W = tessera::random_normal<float>(37, cols, cols);
        const auto q = tt::quantize_absmean(W);
        const auto a = tt::quantize_activations_int8(tessera::random_normal<float>(6, cols, cols + 1));
        const auto a1 = tt::quantize_activations_int8(tessera::random_normal<float>(1, cols, cols + 2));
        const xt::xtensor<float, 1> x = xt::view(tessera::random_normal<float>(1, cols, cols + 3), 0, xt::all());
        for (tt::scale_storage st : {tt::scale_storage::f32, tt::scale_storage::f16})
        {
            const auto P2 = tt::pack_2bit(q, st), P3 = tt::pack_base3(q, st);
            const auto ref = tt::gemm(P2, a, {tt::kernel::scalar});
            const auto ref1 = tt::gemv(P2, a1, {tt::kernel::scalar});
            const auto reff = tt::gemv_float(P2, x, {tt::kernel::scalar});
            for (tt::kernel k : {tt::kernel::automatic, tt::kernel::avx2, tt::kernel::avx512})
            {
                CAPTURE(static_cast<int>(k));
                if (!tt::kernel_available(k))
                {
                    CHECK_THROWS_WITH_AS(tt::gemv(P2, a1, {k}),
                                         doctest::Contains("is not supported by this CPU (it lacks "),
                                         tessera::invalid_argument);
                    continue;
                }
                CHECK(tt::gemm(P2, a, {k}) == ref);
                CHECK(tt::gemm(P3, a, {k}) == ref);
                CHECK(tt::gemv(P2, a1, {k}) == ref1);
                CHECK(tt::gemv_base3(P3, a1, {k}) == ref1);
                if (k != tt::kernel::avx2)
                    CHECK(tt::gemv_float(P2, x, {k}) == reff);
            }
        }
    }
}

TEST_CASE_TEMPLATE("simplex: the dispatched Gram pass agrees with the build's own code and the closed form", T, float, double)
{
    namespace sd = tessera::simplex::detail;
    // random pentachora in 100-d (with a scalar tail: d % 4 != 0 too)
    for (std::size_t d : {100u, 103u})
    {
        const auto P = tessera::random_normal<T>(5 * 50, d, d);
        for (std::size_t s = 0; s < 50; ++s)
        {
            const T* rows[5];
            for (std::size_t v = 0; v < 5; ++v)
                rows[v] = P.data() + (5 * s + v) * d;
            double v2_build = 0, e_build = 0, v2 = 0, e = 0;
            REQUIRE(sd::gram_volume<4>(rows, d, v2_build, e_build));
            REQUIRE(sd::gram_volume_dispatch<4>(rows, d, v2, e));
            CHECK(std::fabs(v2 - v2_build) <= 1e-12 * v2_build);
            CHECK(std::fabs(e - e_build) <= 1e-14 * e_build);
        }
    }
    // the unit 4-simplex {0, e1, ..., e4} in R^100 scaled by 3: V = 3^4 / 4!
    xt::xtensor<T, 2> U = xt::zeros<T>({std::size_t(5), std::size_t(100)});
    for (std::size_t i = 1; i < 5; ++i)
        U(i, 7 * i) = T(3);
    const T* rows[5] = {U.data(), U.data() + 100, U.data() + 200, U.data() + 300, U.data() + 400};
    double v2 = 0, e = 0;
    REQUIRE(sd::gram_volume_dispatch<4>(rows, 100, v2, e));
    CHECK(std::sqrt(v2) == doctest::Approx(81.0 / 24.0).epsilon(1e-15));
}

TEST_CASE("half: the dispatched F16C conversions equal the scalar ones on all 65,536 patterns")
{
    std::vector<std::uint16_t> h(65536);
    for (std::uint32_t i = 0; i < 65536; ++i)
        h[i] = static_cast<std::uint16_t>(i);
    std::vector<float> f(h.size());
    tessera::half_to(h.data(), f.data(), h.size());
    int mismatches = 0;
    for (std::size_t i = 0; i < h.size(); ++i)
    {
        const float r = tessera::half_to_float(h[i]);
        if ((h[i] & 0x7c00u) != 0x7c00u || (h[i] & 0x3ffu) == 0)  // NaNs may come back quieted
            mismatches += std::memcmp(&r, &f[i], 4) != 0;
    }
    std::vector<std::uint16_t> back(h.size());
    const auto probe = tessera::random_normal<float>(1, 4099, 5);  // plus a tail of 3
    std::vector<std::uint16_t> pb(probe.size());
    tessera::to_half(f.data(), back.data(), f.size());
    tessera::to_half(probe.data(), pb.data(), probe.size());
    for (std::size_t i = 0; i < f.size(); ++i)
        mismatches += back[i] != tessera::float_to_half(f[i]);
    for (std::size_t i = 0; i < probe.size(); ++i)
        mismatches += pb[i] != tessera::float_to_half(probe.data()[i]);
    CHECK(mismatches == 0);
}
