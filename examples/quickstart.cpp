// The README's tour: load real word vectors, compress them two ways, and measure what survived.
#include <cstdio>

#include <tessera/tessera.hpp>

#include "cli.hpp"

int main(int argc, char** argv)
{
    return example::cli::run("quickstart", [&] {
        if (!example::cli("quickstart", "The README's tour on the bundled GloVe words.").parse(argc, argv))
            return 0;
        // 10,000 GloVe 100d words (float16 on disk, float32 here).
        auto W = tessera::io::read_npy<float>(TESSERA_EXAMPLES_DATA "/glove100d_top10k.npy");

        // Keep the top 25 singular directions: exact, deterministic signs.
        tessera::spectral::low_rank<float> svd25(tessera::spectral::truncated_svd(W, 25));

        // BitNet b1.58 weights: {-1, 0, +1} with an absmean scale per group of 50.
        tessera::ternary::quantize_options q;
        q.group_size = 50;
        auto trits = tessera::ternary::quantize_absmean(W, q);

        for (auto [name, report] : {std::pair{"svd rank 25", tessera::compress::compression_report(W, svd25)},
                                    std::pair{"ternary g50", tessera::compress::compression_report(W, trits)}})
            std::printf("%-12s %5.1fx smaller  error %.3f  row cosine %.3f  recall@10 %.3f\n", name,
                        report.compression_ratio, report.relative_frobenius_error, report.row_cosine.mean,
                        report.knn_recall);
        return 0;
    });
}
