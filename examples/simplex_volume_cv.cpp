// Pentachoron volume statistics of an embedding matrix against the Gaussian baseline with the
// same per-dimension spread, plus a few embedding statistics (the seeds' probes).
//   simplex_volume_cv [matrix.npy] [k=4] [count=100000]
// Default matrix: $TESSERA_DATA_DIR/glove100d.npy (341,479 GloVe-derived 100-d vectors).
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include <tessera/io/npy.hpp>
#include <tessera/simplex.hpp>
#include <tessera/stats.hpp>

int main(int argc, char** argv)
{
    try
    {
        const char* dir = std::getenv("TESSERA_DATA_DIR");
        const std::string path = argc > 1 ? argv[1] : std::string(dir ? dir : "data") + "/glove100d.npy";
        const std::size_t k = argc > 2 ? std::stoul(argv[2]) : 4;
        const std::size_t count = argc > 3 ? std::stoul(argv[3]) : 100000;
        const auto X = tessera::io::read_npy<float>(path);
        std::cout << path << ": " << X.shape(0) << " x " << X.shape(1) << "\n";

        const auto r = tessera::simplex::volume_statistics(X, k, count, /*seed=*/1);
        std::cout << k << "-simplices: " << r.data.count << "\n"
                  << "  data     mean V " << r.data.mean << "  CV " << r.data.cv << "  median "
                  << r.data.quantiles[3] << "  mean normalized " << r.data.mean_normalized << "  degenerate "
                  << r.data.fraction_degenerate << "\n"
                  << "  gaussian mean V " << r.gaussian.mean << "  CV " << r.gaussian.cv << "  mean normalized "
                  << r.gaussian.mean_normalized << "\n"
                  << "  mean(V_data) / mean(V_gauss) = " << r.mean_ratio << "\n";

        const auto cosines = tessera::stats::pairwise_cosine(X, 100000, 1);
        std::cout << "pairwise cosine: mean " << cosines.summary.mean << "  std " << cosines.summary.stddev
                  << "  p1 " << cosines.summary.percentile(1) << "  p99 " << cosines.summary.percentile(99) << "\n";
        const auto spectrum = tessera::stats::covariance_spectrum(X);
        std::cout << "participation ratio " << spectrum.participation_ratio << " of " << X.shape(1)
                  << " dims; 90% of variance in " << spectrum.dims_90 << " dims\n";
        return 0;
    }
    catch (const std::exception& e)
    {
        std::cerr << "simplex_volume_cv: " << e.what() << "\n";
        return 1;
    }
}
