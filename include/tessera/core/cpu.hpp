#pragma once
/// \file cpu.hpp
/// Run-time CPU feature detection for tessera's SIMD kernels. The kernels (ternary products,
/// simplex Gram pass, binary16 conversion) are compiled on every x86-64 GCC >= 9 / Clang >= 14
/// build under function-level targets (TESSERA_TARGET_*_BEGIN / END regions), whatever -march
/// the including project uses, and chosen at run time from what this CPU (and its OS, for the
/// AVX / AVX-512 register state) supports. Other machines and compilers get the scalar code.

#include <cstdlib>
#include <cstring>
#include <utility>

#if defined(__x86_64__) && ((defined(__clang__) && __clang_major__ >= 14) || \
                            (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 9))
/// Defined when tessera compiles its x86 SIMD kernels under function-level targets and
/// dispatches to them at run time.
#define TESSERA_X86_DISPATCH 1
#include <cpuid.h>
#endif

// Regions whose functions (templates, lambdas and always_inline helpers included) are compiled
// for an instruction set beyond the build's -march. Only ever called after a cpu() check.
#if defined(TESSERA_X86_DISPATCH) && defined(__clang__)
#define TESSERA_TARGET_AVX2_BEGIN \
    _Pragma("clang attribute push(__attribute__((target(\"avx,avx2,fma,f16c\"))), apply_to = function)")
// clang-format off
#define TESSERA_TARGET_AVX512_BEGIN _Pragma("clang attribute push(__attribute__((target(\"avx,avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni\"))), apply_to = function)")
// clang-format on
#define TESSERA_TARGET_END _Pragma("clang attribute pop")
#elif defined(TESSERA_X86_DISPATCH)
#define TESSERA_TARGET_AVX2_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"avx,avx2,fma,f16c\")")
#define TESSERA_TARGET_AVX512_BEGIN \
    _Pragma("GCC push_options")     \
        _Pragma("GCC target(\"avx,avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni\")")
#define TESSERA_TARGET_END _Pragma("GCC pop_options")
#endif

namespace tessera
{
    /// The SIMD features of the running CPU that tessera's kernels use; each is true only when
    /// the OS also saves the registers it needs (XSAVE state checked by the compiler runtime).
    struct cpu_features
    {
        bool avx = false;         ///< AVX (256-bit float registers)
        bool avx2 = false;        ///< AVX2 (256-bit integer)
        bool fma = false;         ///< FMA3
        bool f16c = false;        ///< F16C (binary16 <-> float conversions)
        bool avx512f = false;     ///< AVX-512 Foundation
        bool avx512bw = false;    ///< AVX-512 byte/word
        bool avx512dq = false;    ///< AVX-512 doubleword/quadword
        bool avx512vl = false;    ///< AVX-512 vector length extensions
        bool avx512vnni = false;  ///< AVX-512 VNNI (vpdpbusd)
    };

    /// SIMD levels of tessera's kernels, in increasing order.
    enum class simd_level
    {
        scalar,  ///< portable code, every machine
        avx2,    ///< AVX2 + FMA + F16C (every AVX2 CPU has the latter two)
        avx512   ///< AVX-512 F/BW/DQ/VL + VNNI (Ice Lake, Sapphire Rapids, Zen 4 and later)
    };

    namespace detail
    {
        inline cpu_features detect_cpu_features() noexcept
        {
            cpu_features f;
#if defined(TESSERA_X86_DISPATCH)
            __builtin_cpu_init();  // needed when called before the runtime's own constructors
            f.avx = __builtin_cpu_supports("avx") != 0;
            f.avx2 = __builtin_cpu_supports("avx2") != 0;
            f.fma = __builtin_cpu_supports("fma") != 0;
            unsigned a = 0, b = 0, c = 0, d = 0;  // F16C: CPUID.1:ECX[29] (Clang 14 has no builtin name)
            f.f16c = f.avx && __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & (1u << 29)) != 0;
            f.avx512f = __builtin_cpu_supports("avx512f") != 0;
            f.avx512bw = __builtin_cpu_supports("avx512bw") != 0;
            f.avx512dq = __builtin_cpu_supports("avx512dq") != 0;
            f.avx512vl = __builtin_cpu_supports("avx512vl") != 0;
            f.avx512vnni = __builtin_cpu_supports("avx512vnni") != 0;
#endif
            return f;
        }

        /// The first feature of `level` the CPU lacks ("" when it has them all).
        inline const char* simd_missing_feature(const cpu_features& f, simd_level level) noexcept
        {
#if !defined(TESSERA_X86_DISPATCH)
            if (level != simd_level::scalar)
                return "x86-64 SIMD dispatch (not an x86-64 GCC >= 9 / Clang >= 14 build)";
#endif
            const std::pair<bool, const char*> avx2[] = {{f.avx2, "avx2"}, {f.fma, "fma"}, {f.f16c, "f16c"}};
            const std::pair<bool, const char*> avx512[] = {{f.avx512f, "avx512f"},   {f.avx512bw, "avx512bw"},
                                                           {f.avx512dq, "avx512dq"}, {f.avx512vl, "avx512vl"},
                                                           {f.avx512vnni, "avx512vnni"}};
            if (level == simd_level::scalar)
                return "";
            for (const auto& [has, name] : avx2)
                if (!has)
                    return name;
            if (level == simd_level::avx512)
                for (const auto& [has, name] : avx512)
                    if (!has)
                        return name;
            return "";
        }

        /// The cap set by the environment variable TESSERA_SIMD (scalar, avx2 or avx512; unset or
        /// anything else: no cap).
        inline simd_level simd_cap_from_env() noexcept
        {
            const char* e = std::getenv("TESSERA_SIMD");
            if (e && std::strcmp(e, "scalar") == 0)
                return simd_level::scalar;
            if (e && std::strcmp(e, "avx2") == 0)
                return simd_level::avx2;
            return simd_level::avx512;
        }

        /// The running CPU's features, detected once (thread-safe function-local static).
        inline const cpu_features& cpu() noexcept
        {
            static const cpu_features f = detail::detect_cpu_features();
            return f;
        }

        /// True if the CPU (and this build) can run kernels of `level`.
        inline bool cpu_supports(simd_level level) noexcept { return *detail::simd_missing_feature(cpu(), level) == '\0'; }

        /// The name of the first feature of `level` the CPU lacks, e.g. "avx512vnni" ("" if none).
        inline const char* cpu_missing_feature(simd_level level) noexcept
        {
            return detail::simd_missing_feature(cpu(), level);
        }

        /// The SIMD level tessera's automatic kernels run at: the widest the CPU supports, capped by
        /// the environment variable TESSERA_SIMD=scalar|avx2|avx512 (read once, at the first call).
        /// \note Forcing a level per call: the ternary products take matmul_options::use.
        inline simd_level simd_dispatch_level() noexcept
        {
            static const simd_level level = [] {
                const simd_level cap = detail::simd_cap_from_env();
                for (simd_level l : {simd_level::avx512, simd_level::avx2})
                    if (l <= cap && cpu_supports(l))
                        return l;
                return simd_level::scalar;
            }();
            return level;
        }

        /// "scalar", "avx2" or "avx512".
        inline const char* to_string(simd_level level) noexcept
        {
            return level == simd_level::avx512 ? "avx512" : level == simd_level::avx2 ? "avx2" : "scalar";
        }
    }  // namespace detail

    using detail::cpu, detail::cpu_missing_feature, detail::cpu_supports, detail::simd_dispatch_level,
        detail::to_string;
}  // namespace tessera
