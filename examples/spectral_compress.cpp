// Spectra of a real transformer (llama2.c stories260K): the effective-rank metrics of every
// weight matrix, then the token embedding compressed by truncated SVD at a few ranks, and its PCA.
// Usage: spectral_compress [path/to/stories260K.bin]   (default: ../shared/data beside the checkout)
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include <tessera/spectral.hpp>

namespace sp = tessera::spectral;

namespace
{
    // Reads `rows x cols` float32 values at element offset `offset` of the checkpoint's weights.
    xt::xtensor<float, 2> read_block(std::ifstream& in, std::size_t offset, std::size_t rows, std::size_t cols)
    {
        xt::xtensor<float, 2> m = xt::xtensor<float, 2>::from_shape({rows, cols});
        in.seekg(static_cast<std::streamoff>(28 + 4 * offset));  // 7 int32 header
        in.read(reinterpret_cast<char*>(m.data()), static_cast<std::streamsize>(4 * m.size()));
        if (!in)
            throw std::runtime_error("stories260K.bin: short read at element " + std::to_string(offset));
        return m;
    }
}  // namespace

int main(int argc, char** argv)
{
    try
    {
        // <checkout>/examples/data -> <checkout>/../shared/data (lexically: data/ may not exist).
        const std::filesystem::path shared =
            std::filesystem::path(TESSERA_EXAMPLES_DATA).parent_path().parent_path().parent_path() / "shared";
        const std::string path = argc > 1 ? argv[1] : (shared / "data/stories260K/stories260K.bin").string();
        std::ifstream in(path, std::ios::binary);
        if (!in)
        {
            std::cout << "spectral_compress: " << path << " not present; skipped\n";
            return 0;
        }
        // dim 64, hidden 172, 5 layers, 8 heads, 4 KV heads (kv dim 32), vocab 512.
        const std::size_t dim = 64, hidden = 172, layers = 5, kv = 32, vocab = 512;
        struct entry
        {
            std::string name;
            std::size_t offset, rows, cols;
        };
        std::vector<entry> mats;
        std::size_t off = 0;
        mats.push_back({"token_embedding", off, vocab, dim});
        off += vocab * dim + layers * dim;  // + rms_att
        const std::size_t wq = off, wk = wq + layers * dim * dim, wv = wk + layers * kv * dim,
                          wo = wv + layers * kv * dim, w1 = wo + layers * dim * dim + layers * dim,
                          w2 = w1 + layers * hidden * dim, w3 = w2 + layers * dim * hidden;
        for (std::size_t l = 0; l < layers; ++l)
        {
            const std::string p = "layer" + std::to_string(l) + ".";
            mats.push_back({p + "wq", wq + l * dim * dim, dim, dim});
            mats.push_back({p + "wk", wk + l * kv * dim, kv, dim});
            mats.push_back({p + "wo", wo + l * dim * dim, dim, dim});
            mats.push_back({p + "w1", w1 + l * hidden * dim, hidden, dim});
            mats.push_back({p + "w2", w2 + l * dim * hidden, dim, hidden});
            mats.push_back({p + "w3", w3 + l * hidden * dim, hidden, dim});
        }

        std::cout << std::fixed << std::setprecision(2);
        std::cout << "matrix              shape      stable  PR_sigma  PR_lambda  eRank(RankMe)  rank90%  cond\n";
        for (const auto& e : mats)
        {
            auto W = read_block(in, e.offset, e.rows, e.cols);
            auto r = sp::spectrum_report(W);
            std::cout << std::left << std::setw(20) << e.name << std::setw(11)
                      << (std::to_string(e.rows) + "x" + std::to_string(e.cols)) << std::right << std::setw(6)
                      << r.stable_rank << std::setw(10) << r.participation_ratio_sigma << std::setw(11)
                      << r.participation_ratio_lambda << std::setw(15) << r.effective_rank_entropy << std::setw(9)
                      << r.energy_rank << std::setw(9) << r.condition_number << "\n";
        }

        auto E = read_block(in, 0, vocab, dim);
        const double norm = std::sqrt(static_cast<double>(xt::sum(E * E)()));
        std::cout << "\ntoken embedding [512, 64] compressed as low_rank<float>:\n";
        for (std::size_t rank : {4, 8, 16, 32})
        {
            auto f = sp::truncated_svd(E, rank);  // automatic: gram for this shape
            sp::low_rank<float> c(f);
            auto R = c.reconstruct();
            const double err = std::sqrt(static_cast<double>(xt::sum((R - E) * (R - E))()));
            std::cout << "  rank " << std::setw(2) << rank << ": relative error " << err / norm << ", "
                      << c.storage_bytes() << " bytes, compression " << c.compression_ratio() << "x ("
                      << sp::to_string(f.method) << ")\n";
        }
        auto p = sp::pca(E, 10);
        double cum = 0;
        for (float v : p.explained_variance_ratio)
            cum += static_cast<double>(v);
        std::cout << "  PCA: the first 10 of 64 components explain " << 100 * cum << "% of the variance\n";
        return 0;
    }
    catch (const std::exception& e)
    {
        std::cerr << "spectral_compress: " << e.what() << "\n";
        return 1;
    }
}
