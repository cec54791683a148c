// Shared Google Benchmark main: records which BLAS kernel and how many threads ran, so every
// figure in docs/performance.md can be read against its configuration.
#include <cstdlib>
#include <iostream>

#include <benchmark/benchmark.h>
#include <tessera/core.hpp>

int main(int argc, char** argv)
{
    const char* coretype = std::getenv("OPENBLAS_CORETYPE");
    benchmark::AddCustomContext("tessera_version", tessera::version_string);
    benchmark::AddCustomContext("openblas_core", tessera::blas::core_name());
    benchmark::AddCustomContext("openblas_threads", std::to_string(tessera::blas::num_threads()));
    benchmark::AddCustomContext("openblas_threading", tessera::blas::threading());
    benchmark::AddCustomContext("openblas_coretype_env", coretype ? coretype : "(unset)");
    benchmark::AddCustomContext("omp_threads", std::to_string(tessera::max_threads()));
    std::cerr << "tessera " << tessera::version_string << " | OpenBLAS core " << tessera::blas::core_name() << ", "
              << tessera::blas::num_threads() << " BLAS threads (" << tessera::blas::threading() << ") | " << tessera::max_threads() << " OpenMP threads\n";
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
