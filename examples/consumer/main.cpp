// Builds against an installed tessera and makes one real call.
#include <exception>
#include <iostream>

#include <tessera/tessera.hpp>

int main()
{
    try
    {
        auto A = tessera::random_normal<double>(200, 20, 7);
        auto f = tessera::lapack::svd(A);
        std::cout << "tessera " << tessera::version_string << ": largest singular value of a 200x20 N(0,1) matrix = "
                  << f.S(0) << "\n";
        return f.status.ok() ? 0 : 1;
    }
    catch (const std::exception& e)
    {
        std::cerr << "consumer: " << e.what() << "\n";
        return 1;
    }
}
