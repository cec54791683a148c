// Real data: GloVe 6B 100d (wink) <-> USE-lite token embeddings, aligned on their 4,311 shared
// lowercase whole words (the reference experiment). Skips when the fetched data
// ($TESSERA_DATA_DIR: glove100d.npy/.words, use_lite_embeddings.npy/use_lite.vocab) is absent.
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/align.hpp>
#include <tessera/io/npy.hpp>
#include <xtensor/xmath.hpp>

#include "test_support.hpp"

namespace
{
    std::vector<std::string> read_lines(const std::string& path)
    {
        std::ifstream in(path);
        std::vector<std::string> out;
        std::string line;
        while (std::getline(in, line))
            out.push_back(line);
        return out;
    }

    struct pair_spaces
    {
        xt::xtensor<float, 2> glove, use;  // [4311, 100], [4311, 256], centred, unit rows
        std::vector<std::string> words;
    };

    pair_spaces load_pair(const tessera_test::fs::path& gv, const tessera_test::fs::path& gw,
                          const tessera_test::fs::path& uv, const tessera_test::fs::path& uw)
    {
        using namespace tessera::align;
        vocabulary_options vo;
        vo.strip_prefix_b = "\xE2\x96\x81";  // SentencePiece word start U+2581: whole words only
        vo.require_prefix = true;
        vo.letters_only = true;  // lowercase ASCII words
        const auto match = intersect_vocabularies(read_lines(gw.string()), read_lines(uw.string()), vo);
        const auto G = tessera::io::read_npy<float>(gv.string());
        const auto U = tessera::io::read_npy<float>(uv.string());
        return {center_and_normalize(gather_rows(G, match.index_a)), center_and_normalize(gather_rows(U, match.index_b)),
                match.words};
    }
}  // namespace

TEST_CASE("GloVe 100d <-> USE-lite: held-out retrieval reproduces the reference")
{
    const auto gv = tessera_test::fetched_data("glove100d.npy"), gw = tessera_test::fetched_data("glove100d.words");
    const auto uv = tessera_test::fetched_data("use_lite_embeddings.npy"), uw = tessera_test::fetched_data("use_lite.vocab");
    TESSERA_SKIP_IF_MISSING(gv, "glove100d.npy");
    TESSERA_SKIP_IF_MISSING(gw, "glove100d.words");
    TESSERA_SKIP_IF_MISSING(uv, "use_lite_embeddings.npy");
    TESSERA_SKIP_IF_MISSING(uw, "use_lite.vocab");
    using namespace tessera::align;
    const auto d = load_pair(gv, gw, uv, uw);
    REQUIRE(d.words.size() == 4311);
    CHECK(d.glove.shape(1) == 100);
    CHECK(d.use.shape(1) == 256);

    const auto split = split_anchors(d.words.size(), 0.8, 0);
    CHECK(split.anchors.size() == 3448);
    procrustes_options po;
    po.center = false;  // rows are already centred over the shared vocabulary (the reference's setup)
    retrieval_options ro;
    ro.ks = {1, 5, 10};

    struct direction
    {
        const char* name;
        const xt::xtensor<float, 2>& src;
        const xt::xtensor<float, 2>& dst;
        double p1, p10;  // the numpy reference
    };
    for (const direction dir : {direction{"GloVe -> USE-lite", d.glove, d.use, 0.508, 0.845},
                                direction{"USE-lite -> GloVe", d.use, d.glove, 0.674, 0.902}})
    {
        const std::string name = dir.name;
        CAPTURE(name);
        const auto t = procrustes(gather_rows(dir.src, split.anchors), gather_rows(dir.dst, split.anchors), po);
        // p > q (USE-lite 256 -> GloVe 100): the polar factor is not the least-squares minimiser
        // over R^T R = I and the status says so; p < q: it is, status ok.
        if (t.R.shape(0) > t.R.shape(1))
            CHECK(t.status.code == tessera::status_code::accuracy_limited);
        else
            CHECK(t.status.ok());
        using tessera::blas::op;
        const bool tall = t.R.shape(0) >= t.R.shape(1);  // tall: orthonormal columns, wide: rows
        const auto G = tall ? tessera::blas::matmul(t.R, t.R, op::transpose, op::none)
                            : tessera::blas::matmul(t.R, t.R, op::none, op::transpose);
        CHECK(xt::amax(xt::abs(G - xt::eye<float>(G.shape(0))))() < 1e-5);
        const auto mapped = t.apply(gather_rows(dir.src, split.held_out));
        // Held-out words retrieved among all 4,311 shared target words.
        const auto r = retrieval_precision(mapped, dir.dst, split.held_out, ro);
        MESSAGE(name << ": P@1 " << r.at(1) << "  P@5 " << r.at(5) << "  P@10 " << r.at(10) << "  MRR "
                         << r.mean_reciprocal_rank);
        CHECK(r.at(1) == doctest::Approx(dir.p1).epsilon(0.08));
        CHECK(r.at(10) == doctest::Approx(dir.p10).epsilon(0.04));

        const auto rep = alignment_report(t, gather_rows(dir.src, split.held_out), gather_rows(dir.dst, split.held_out));
        MESSAGE(name << " held-out report: cosine mean " << rep.cosine.mean << " median " << rep.cosine_median
                         << " p5 " << rep.cosine.percentile(5) << "; relational r " << rep.relational_pearson
                         << " rho " << rep.relational_spearman << "; disparity " << rep.disparity << " (no refit "
                         << rep.mapped_disparity << "); angular " << rep.angular_distance << "; P@1/5/10 among "
                         << rep.rows << ": " << rep.retrieval.at(1) << " " << rep.retrieval.at(5) << " "
                         << rep.retrieval.at(10) << "; volume r " << rep.volume_pearson << " rho "
                         << rep.volume_spearman);
        CHECK(rep.relational_pearson > 0.3);

        // A random semi-orthogonal map of the same shape retrieves nothing.
        auto rnd = t;
        const auto Q = tessera::lapack::qr<float>(tessera::random_normal<float>(std::max(t.R.shape(0), t.R.shape(1)),
                                                                                std::min(t.R.shape(0), t.R.shape(1)), 5))
                           .Q;
        rnd.R = t.R.shape(0) >= t.R.shape(1) ? Q : xt::xtensor<float, 2>(xt::transpose(Q));
        const auto rr = retrieval_precision(rnd.apply(gather_rows(dir.src, split.held_out)), dir.dst, split.held_out, ro);
        MESSAGE(name << " random map: P@1 " << rr.at(1) << "  P@10 " << rr.at(10));
        CHECK(rr.at(1) < 0.01);
    }
}
