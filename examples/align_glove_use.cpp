// Aligns GloVe 6B 100d with the USE-lite token embedding on their shared lowercase whole words:
// orthogonal (semi-orthogonal, 100 x 256) Procrustes fitted on 80% anchors, evaluated on the
// held-out 20% (retrieval among all shared words, alignment_report), in both directions, plus
// the PCA bridge (USE-lite reduced to 100 principal components first).
//   align_glove_use [data-dir]     (default: $TESSERA_DATA_DIR, else ./data; see scripts/fetch_data.sh)
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include <tessera/align.hpp>
#include <tessera/io/npy.hpp>

namespace
{
    std::vector<std::string> read_lines(const std::string& path)
    {
        std::ifstream in(path);
        if (!in)
            throw std::runtime_error("cannot open " + path);
        std::vector<std::string> out;
        for (std::string line; std::getline(in, line);)
            out.push_back(line);
        return out;
    }

    template <class T>
    void row(const char* name, const tessera::align::similarity_transform<T>& t, const xt::xtensor<T, 2>& src,
             const xt::xtensor<T, 2>& dst, const tessera::align::anchor_split& split)
    {
        using namespace tessera::align;
        const auto held_src = gather_rows(src, split.held_out), held_dst = gather_rows(dst, split.held_out);
        // Held-out words retrieved among all shared target words (anchors included).
        const auto r = retrieval_precision(t.apply(held_src), dst, split.held_out);
        const auto rep = alignment_report(t, held_src, held_dst);
        std::printf("| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", name, r.at(1), r.at(5),
                    r.at(10), rep.cosine.mean, rep.relational_pearson, rep.disparity, rep.angular_distance,
                    rep.volume_pearson);
    }
}  // namespace

int main(int argc, char** argv)
{
    try
    {
        using namespace tessera::align;
        const char* env = std::getenv("TESSERA_DATA_DIR");
        const std::string dir = argc > 1 ? argv[1] : (env && *env ? env : "data");

        vocabulary_options vo;
        vo.strip_prefix_b = "\xE2\x96\x81";  // SentencePiece word start: whole words only
        vo.require_prefix = true;
        vo.letters_only = true;  // lowercase ASCII words
        const auto match =
            intersect_vocabularies(read_lines(dir + "/glove100d.words"), read_lines(dir + "/use_lite.vocab"), vo);
        const auto glove_all = tessera::io::read_npy<float>(dir + "/glove100d.npy");
        const auto use_all = tessera::io::read_npy<float>(dir + "/use_lite_embeddings.npy");
        // Mean-centred, unit-normalised rows over the shared vocabulary.
        const auto glove = center_and_normalize(gather_rows(glove_all, match.index_a));
        const auto use = center_and_normalize(gather_rows(use_all, match.index_b));
        const auto split = split_anchors(match.size(), 0.8, /*seed=*/0);
        std::printf("%zu shared words: %zu anchors, %zu held out\n\n", match.size(), split.anchors.size(),
                    split.held_out.size());

        procrustes_options po;
        po.center = false;  // already centred
        const auto g2u = procrustes(gather_rows(glove, split.anchors), gather_rows(use, split.anchors), po);
        const auto u2g = procrustes(gather_rows(use, split.anchors), gather_rows(glove, split.anchors), po);
        pca_bridge_options bo;
        bo.procrustes = po;
        const auto bridge = pca_bridge(gather_rows(use, split.anchors), gather_rows(glove, split.anchors), bo);

        std::printf("| map | P@1 | P@5 | P@10 | cosine | relational r | disparity | angular | volume r |\n");
        std::printf("|---|---|---|---|---|---|---|---|---|\n");
        row("GloVe -> USE-lite (R 100x256)", g2u, glove, use, split);
        row("USE-lite -> GloVe (R 256x100)", u2g, use, glove, split);
        row("USE-lite -> GloVe, PCA bridge", bridge.transform, use, glove, split);
        std::printf("\nPCA bridge: USE-lite 256 -> %zu components keep %.1f%% of its variance\n", bridge.components,
                    100.0 * bridge.retained_variance_a);
        return 0;
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "align_glove_use: %s\n", e.what());
        return 1;
    }
}
