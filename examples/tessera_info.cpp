// Prints tessera's version, the BLAS/OpenMP configuration it runs with, and the SIMD kernels
// chosen for this CPU.
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include <tessera/tessera.hpp>

#include "cli.hpp"

int main(int argc, char** argv)
{
    try
    {
        if (!example::cli("tessera_info", "tessera's version and its BLAS/OpenMP configuration.").parse(argc, argv))
            return 0;
        std::cout << "tessera " << tessera::version_string << "\n"
                  << "  OpenBLAS core:    " << tessera::blas::core_name() << "\n"
                  << "  OpenBLAS threads: " << tessera::blas::num_threads() << " ("
                  << tessera::blas::threading() << " build)\n"
                  << "  OpenMP:           " << (tessera::has_openmp() ? "on" : "off") << ", "
                  << tessera::max_threads() << " threads\n";
        // SIMD kernels: compiled for every level, chosen at run time from this CPU (core/cpu.hpp)
        const tessera::simd_level level = tessera::simd_dispatch_level();
        const bool simd = level != tessera::simd_level::scalar;
        const auto int8 = tessera::ternary::detail::resolve_kernel(tessera::ternary::kernel::automatic, false, "info");
        const auto fl = tessera::ternary::detail::resolve_kernel(tessera::ternary::kernel::automatic, true, "info");
        const auto name = [](tessera::ternary::kernel k) {
            return tessera::to_string(tessera::ternary::detail::kernel_level(k));
        };
        std::cout << "  SIMD level:       " << tessera::to_string(level) << " (CPU supports "
                  << tessera::to_string(tessera::cpu_supports(tessera::simd_level::avx512) ? tessera::simd_level::avx512
                                        : tessera::cpu_supports(tessera::simd_level::avx2) ? tessera::simd_level::avx2
                                                                                             : tessera::simd_level::scalar)
                  << (std::getenv("TESSERA_SIMD") ? ", capped by TESSERA_SIMD" : "") << ")\n"
                  << "  ternary kernels:  " << name(int8) << " (gemv/gemm), " << name(fl) << " (gemv_float)\n"
                  << "  simplex Gram:     " << (simd ? "avx2+fma" : "scalar (the build's own code)") << "\n"
                  << "  half conversion:  " << (simd ? "f16c" : "scalar") << "\n";
        if (tessera::has_openmp() && std::string(tessera::blas::threading()) == "pthreads")
        {
            const char* wp = std::getenv("OMP_WAIT_POLICY");
            if (!wp || std::string(wp) != "passive")
                std::cout << "  note: OpenMP and a pthreads OpenBLAS keep two thread pools that spin against\n"
                             "        each other; link the OpenMP OpenBLAS or set OMP_WAIT_POLICY=passive\n";
        }
        return 0;
    }
    catch (const example::usage_error& e)
    {
        std::cerr << "tessera_info: " << e.what() << "\n";
        return 2;
    }
    catch (const std::exception& e)
    {
        std::cerr << "tessera_info: " << e.what() << "\n";
        return 1;
    }
}
