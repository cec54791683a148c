// Pentachoron volume statistics of an embedding matrix against the Gaussian baseline with the
// same per-dimension spread, plus a few embedding statistics (the seeds' probes).
//   simplex_volume_cv [matrix.npy] [k=4] [count=100000]
// Default matrix: $TESSERA_DATA_DIR/glove100d.npy (341,479 GloVe-derived 100-d vectors).
#include <iostream>
#include <string>

#include <tessera/io/npy.hpp>
#include <tessera/simplex.hpp>
#include <tessera/stats.hpp>

#include "cli.hpp"

int main(int argc, char** argv)
{
    return example::cli::run("simplex_volume_cv", [&] {
        std::string path = (example::fetched_dir() / "glove100d.npy").string();
        std::size_t k = 4, count = 100000;
        example::cli cli("simplex_volume_cv", "Volumes of random k-simplices of an embedding matrix against a "
                                              "Gaussian baseline, plus cosine and spectrum statistics.");
        cli.positional("MATRIX", path, "a .npy matrix, rows are points");
        cli.positional("K", k, "simplex dimension (k + 1 rows each)", std::size_t(1), std::size_t(64));
        cli.positional("COUNT", count, "simplices sampled", std::size_t(1), std::size_t(1) << 26);
        if (!cli.parse(argc, argv))
            return 0;
        const auto X = tessera::io::read_npy<float>(path);
        std::cout << example::printable(path) << ": " << X.shape(0) << " x " << X.shape(1) << "\n";

        const auto r = tessera::simplex::volume_statistics(X, k, count, /*seed=*/1);
        std::cout << k << "-simplices: " << r.data.count << "\n"
                  << "  data     mean V " << r.data.mean << "  CV " << r.data.cv << "  median "
                  << r.data.distribution.median() << "  mean normalized " << r.data.mean_normalized << "  degenerate "
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
    });
}
