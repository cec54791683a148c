// Prints tessera's version and the BLAS/OpenMP configuration it runs with.
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include <tessera/tessera.hpp>

int main()
{
    try
    {
        std::cout << "tessera " << tessera::version_string << "\n"
                  << "  OpenBLAS core:    " << tessera::blas::core_name() << "\n"
                  << "  OpenBLAS threads: " << tessera::blas::num_threads() << " ("
                  << tessera::blas::threading() << " build)\n"
                  << "  OpenMP:           " << (tessera::has_openmp() ? "on" : "off") << ", "
                  << tessera::max_threads() << " threads\n";
        if (tessera::has_openmp() && std::string(tessera::blas::threading()) == "pthreads")
        {
            const char* wp = std::getenv("OMP_WAIT_POLICY");
            if (!wp || std::string(wp) != "passive")
                std::cout << "  note: OpenMP and a pthreads OpenBLAS keep two thread pools that spin against\n"
                             "        each other; link the OpenMP OpenBLAS or set OMP_WAIT_POLICY=passive\n";
        }
        return 0;
    }
    catch (const std::exception& e)
    {
        std::cerr << "tessera_info: " << e.what() << "\n";
        return 1;
    }
}
