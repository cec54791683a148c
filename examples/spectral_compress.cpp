// Spectra of a real transformer (llama2.c stories260K): the effective-rank metrics of every
// weight matrix, then the token embedding compressed by truncated SVD at a few ranks, and its PCA.
// Usage: spectral_compress [path/to/stories260K.bin]   (default: ../shared/data beside the checkout)
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <tessera/core/validate.hpp>
#include <tessera/model/llama2_checkpoint.hpp>
#include <tessera/spectral.hpp>

#include "cli.hpp"

namespace sp = tessera::spectral;

namespace
{
    // A metric as text: "n/a" instead of a silent nan/inf (a degenerate matrix; see its status).
    std::string value(double v, int width)
    {
        std::ostringstream os;
        os << std::fixed << std::setprecision(2) << std::setw(width);
        if (std::isfinite(v))
            os << v;
        else
            os << "n/a";
        return os.str();
    }
}  // namespace

int main(int argc, char** argv)
{
    return example::cli::run("spectral_compress", [&] {
        std::string path = (example::shared_dir() / "stories260K/stories260K.bin").string();
        example::cli cli("spectral_compress", "Effective-rank metrics of every weight matrix of a llama2.c model, "
                                              "then its token embedding compressed by truncated SVD and PCA.");
        cli.positional("MODEL", path, "llama2.c checkpoint (legacy v0 format)");
        if (!cli.parse(argc, argv))
            return 0;
        if (!std::filesystem::exists(path))
        {
            std::cout << "spectral_compress: " << path << " not present; skipped\n";
            return 0;
        }
        // The reader validates the header against the file size; every value must be finite.
        const auto model = tessera::model::read_llama2_checkpoint<float>(path);
        struct entry
        {
            std::string name;
            const xt::xtensor<float, 2>* W;
        };
        std::vector<entry> mats{{"token_embedding", &model.token_embedding}};
        for (std::size_t l = 0; l < model.layers.size(); ++l)
        {
            const std::string p = "layer" + std::to_string(l) + ".";
            const auto& y = model.layers[l];
            for (const auto& [n, W] : {std::pair{"wq", &y.wq}, std::pair{"wk", &y.wk}, std::pair{"wo", &y.wo},
                                       std::pair{"w1", &y.w1}, std::pair{"w2", &y.w2}, std::pair{"w3", &y.w3}})
                mats.push_back({p + n, W});
        }
        for (const auto& e : mats)
            tessera::require_finite(*e.W, path.c_str(), e.name.c_str());

        std::cout << std::fixed << std::setprecision(2);
        std::cout << "matrix              shape      stable  PR_sigma  PR_lambda  eRank(RankMe)  rank90%  cond\n";
        for (const auto& e : mats)
        {
            const auto r = sp::spectrum_report(*e.W);
            std::cout << std::left << std::setw(20) << e.name << std::setw(11)
                      << (std::to_string(e.W->shape(0)) + "x" + std::to_string(e.W->shape(1))) << std::right
                      << value(r.stable_rank, 6) << value(r.participation_ratio_sigma, 10)
                      << value(r.participation_ratio_lambda, 11) << value(r.effective_rank_entropy, 15) << std::setw(9)
                      << r.energy_rank << value(r.condition_number, 9);
            if (!r.status.ok())
                std::cout << "  (" << tessera::to_string(r.status.code) << ")";
            std::cout << "\n";
        }

        const auto& E = model.token_embedding;
        const std::size_t dim = model.config.dim, vocab = model.config.vocab_size;
        const double norm = std::sqrt(static_cast<double>(xt::sum(E * E)()));
        if (!(norm > 0))
            throw std::runtime_error(path + ": the token embedding is all zeros (expected trained weights)");
        std::cout << "\ntoken embedding [" << vocab << ", " << dim << "] compressed as low_rank<float>:\n";
        for (std::size_t rank : {4, 8, 16, 32})
        {
            if (rank > std::min(vocab, dim))
                continue;
            auto f = sp::truncated_svd(E, rank);  // automatic: gram for this shape
            sp::low_rank<float> c(f);
            auto R = c.reconstruct();
            const double err = std::sqrt(static_cast<double>(xt::sum((R - E) * (R - E))()));
            std::cout << "  rank " << std::setw(2) << rank << ": relative error " << err / norm << ", "
                      << c.storage_bytes() << " bytes, compression " << c.compression_ratio() << "x ("
                      << sp::to_string(f.method) << ")\n";
        }
        const std::size_t components = std::min<std::size_t>({10, vocab, dim});
        auto p = sp::pca(E, components);
        double cum = 0;
        for (float v : p.explained_variance_ratio)
            cum += static_cast<double>(v);
        std::cout << "  PCA: the first " << components << " of " << dim << " components explain " << 100 * cum
                  << "% of the variance\n";
        return 0;
    });
}
