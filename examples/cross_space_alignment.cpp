// cross_space_alignment: can one embedding space be rotated onto another? (seed 001, 13b).
// Intersects two vocabularies, centres and unit-normalises the shared rows, splits them into
// anchors and held-out words by seed, fits an orthogonal Procrustes map on the anchors
// (optionally through a PCA bridge to a common dimension), and reports held-out retrieval
// and the alignment report in both directions. Default: GloVe 100d <-> USE-lite 256.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>
#include <tessera/tessera.hpp>

#include "cli.hpp"
#include "data.hpp"

namespace ta = tessera::align;
using nlohmann::json;

int main(int argc, char** argv)
{
    return example::cli::run("cross_space_alignment", [&] {
        // Fetched data ($TESSERA_DATA_DIR, default <repo>/data); GloVe falls back to the bundled top-10k.
        const std::filesystem::path fetched = example::fetched_dir();
        std::string a = (fetched / "glove100d.npy").string(), b = (fetched / "use_lite_embeddings.npy").string();
        std::string a_words, b_words = (fetched / "use_lite.vocab").string(), b_prefix = "\xE2\x96\x81";
        if (!std::filesystem::exists(a))
            a = example::default_embeddings();
        double anchors = 0.8;
        std::size_t pca = 0;
        std::uint64_t seed = 0;
        bool as_json = false;
        example::cli cli("cross_space_alignment", "Align two embedding spaces on their shared words by orthogonal "
                                                  "Procrustes and measure held-out retrieval in both directions.");
        cli.add("--a", a, "first matrix (rows are words)", "PATH");
        cli.add("--a-words", a_words, "vocabulary of --a (default: .words beside a .npy)", "PATH");
        cli.add("--b", b, "second matrix", "PATH");
        cli.add("--b-words", b_words, "vocabulary of --b", "PATH");
        cli.add("--b-prefix", b_prefix, "word-start prefix of --b's words to strip (SentencePiece U+2581; '' for none)");
        cli.add("--anchors", anchors, "fraction of shared words used to fit the map", "F", 0.0, 1.0);
        cli.add("--pca", pca, "PCA bridge to this many dimensions (0: plain Procrustes, semi-orthogonal map)", "N",
                std::size_t(0), std::size_t(1) << 16);
        cli.add("--seed", seed, "seed of the anchor split and the report's samples");
        cli.add("--json", as_json, "print results as JSON");
        if (!cli.parse(argc, argv))
            return 0;
        const auto A = example::load_embeddings(a, "", a_words), B = example::load_embeddings(b, "", b_words);
        if (A.words.size() == 0 || B.words.size() == 0)
            throw example::usage_error("both matrices need vocabularies (--a-words / --b-words)");

        ta::vocabulary_options vo;
        vo.strip_prefix_b = b_prefix;
        vo.require_prefix = !b_prefix.empty();  // whole words only
        vo.letters_only = true;                 // lower-case ASCII words
        const auto match = ta::intersect_vocabularies(A.words.words, B.words.words, vo);
        if (match.words.size() < 20)
            throw example::usage_error("only " + std::to_string(match.words.size()) + " shared words");
        const auto X = ta::center_and_normalize(ta::gather_rows(A.matrix, match.index_a));
        const auto Y = ta::center_and_normalize(ta::gather_rows(B.matrix, match.index_b));
        const auto split = ta::split_anchors(match.words.size(), anchors, seed);

        json out{{"a", A.source}, {"b", B.source}, {"shared_words", match.words.size()},
                 {"anchors", split.anchors.size()}, {"held_out", split.held_out.size()}, {"seed", seed},
                 {"directions", json::array()}};
        struct direction
        {
            std::string name;
            const xt::xtensor<float, 2>& src;
            const xt::xtensor<float, 2>& dst;
        };
        for (const direction& d : {direction{"a->b", X, Y}, direction{"b->a", Y, X}})
        {
            const auto src_fit = ta::gather_rows(d.src, split.anchors), dst_fit = ta::gather_rows(d.dst, split.anchors);
            ta::procrustes_options po;
            po.center = false;  // already centred over the shared vocabulary
            ta::similarity_transform<float> t;
            if (pca > 0)
            {
                ta::pca_bridge_options bo;
                bo.components = pca;
                bo.procrustes = po;
                t = ta::pca_bridge(src_fit, dst_fit, bo).transform;
            }
            else
                t = ta::procrustes(src_fit, dst_fit, po);
            ta::retrieval_options ro;
            ro.ks = {1, 5, 10};
            // Each held-out word is retrieved among all shared target words.
            const auto held = ta::gather_rows(d.src, split.held_out);
            const auto r = ta::retrieval_precision(t.apply(held), d.dst, split.held_out, ro);
            ta::alignment_report_options rep_opts;
            rep_opts.seed = seed;
            const auto rep = ta::alignment_report(t, held, ta::gather_rows(d.dst, split.held_out), rep_opts);
            out["directions"].push_back(
                {{"direction", d.name}, {"p_at_1", r.at(1)}, {"p_at_5", r.at(5)}, {"p_at_10", r.at(10)},
                 {"mrr", r.mean_reciprocal_rank}, {"status", tessera::to_string(t.status.code)},
                 {"cosine_mean", rep.cosine.mean}, {"cosine_median", rep.cosine_median},
                 {"relational_spearman", rep.relational_spearman}, {"disparity", rep.disparity},
                 {"angular_distance", rep.angular_distance}, {"volume_spearman", rep.volume_spearman}});
        }
        if (as_json)
        {
            std::cout << out.dump(1) << "\n";
            return 0;
        }
        std::printf("%s  <->  %s\n%zu shared words: %zu anchors, %zu held out (seed %llu)%s\n\n",
                    example::printable(A.source).c_str(), example::printable(B.source).c_str(), match.words.size(), split.anchors.size(), split.held_out.size(),
                    static_cast<unsigned long long>(seed), pca ? (", PCA bridge k=" + std::to_string(pca)).c_str() : "");
        std::printf("%-6s %7s %7s %7s %7s %9s %8s %10s %9s\n", "dir", "P@1", "P@5", "P@10", "MRR", "cos mean",
                    "rel rho", "disparity", "vol rho");
        for (const auto& r : out["directions"])
            std::printf("%-6s %7.3f %7.3f %7.3f %7.3f %9.3f %8.3f %10.3f %9.3f\n",
                        r["direction"].get<std::string>().c_str(), r["p_at_1"].get<double>(), r["p_at_5"].get<double>(),
                        r["p_at_10"].get<double>(), r["mrr"].get<double>(), r["cosine_mean"].get<double>(),
                        r["relational_spearman"].get<double>(), r["disparity"].get<double>(),
                        r["volume_spearman"].get<double>());
        return 0;
    });
}
