// Prints tessera's version and the BLAS/OpenMP configuration it runs with.
#include <exception>
#include <iostream>

#include <tessera/tessera.hpp>

int main()
{
    try
    {
        std::cout << "tessera " << tessera::version_string << "\n"
                  << "  OpenBLAS core:    " << tessera::blas::core_name() << "\n"
                  << "  OpenBLAS threads: " << tessera::blas::num_threads() << "\n"
                  << "  OpenMP:           " << (tessera::has_openmp() ? "on" : "off") << ", "
                  << tessera::max_threads() << " threads\n";
        return 0;
    }
    catch (const std::exception& e)
    {
        std::cerr << "tessera_info: " << e.what() << "\n";
        return 1;
    }
}
