// embedding_terrain: the shape of an embedding space (seed 001, sections 1 and 13a). Row norms,
// sampled cosine and distance distributions, the covariance eigenspectrum (participation ratio,
// dimensions for 80/90/95/99% of the variance), spectral metrics, volumes of random
// pentachora (4-simplices) against Gaussian points of the same per-dimension spread, and --
// when the rows are words -- the digit-distance structure and category cohesion. Every sampled
// statistic is drawn --seeds times (seed, seed + 1, ...) and reported with its mean, spread and
// Student-t 95% interval (seed notebook section 3): the first draw's full distributions are kept.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>
#include <tessera/tessera.hpp>

#include "cli.hpp"
#include "data.hpp"

using nlohmann::json;

static json interval(const tessera::stats::mean_interval& m)  // NaN is written as null
{
    return {{"count", m.count}, {"mean", m.mean}, {"std", m.stddev}, {"ci95", {m.low, m.high}}, {"min", m.min},
            {"max", m.max}};
}

// "mean ± half-width [low, high]" of a statistic over seeds; the value alone for one draw.
static std::string with_interval(const tessera::stats::mean_interval& m)
{
    char buf[160];
    if (m.count < 2)
        std::snprintf(buf, sizeof buf, "%.4g", m.mean);
    else
        std::snprintf(buf, sizeof buf, "%.4g ± %.2g [%.4g, %.4g]", m.mean, m.half_width(), m.low, m.high);
    return buf;
}

static json summary(const tessera::stats::distribution_summary& s)
{
    return {{"mean", s.mean}, {"std", s.stddev}, {"min", s.min}, {"p05", s.percentile(5)},
            {"median", s.percentile(50)}, {"p95", s.percentile(95)}, {"max", s.max}};
}

int main(int argc, char** argv)
{
    return example::cli::run("embedding_terrain", [&] {
        std::string input = example::default_embeddings(), tensor, words;
        std::size_t pairs = 100000, simplices = 20000, seeds = 5;
        std::uint64_t seed = 0;
        bool as_json = false;
        example::cli cli("embedding_terrain", "Norms, cosine/distance distributions, eigenspectrum, pentachoron "
                                              "volumes and word structure of an embedding matrix.");
        cli.add("--input", input, "matrix: .npy (+ .words), .safetensors, GloVe/word2vec text", "PATH");
        cli.add("--tensor", tensor, "tensor name inside a .safetensors file", "NAME");
        cli.add("--words", words, "vocabulary file (one word per line) for .npy/.safetensors input", "PATH");
        cli.add("--pairs", pairs, "row pairs sampled for cosine and distance distributions", "N", std::size_t(1),
                std::size_t(1) << 26);
        cli.add("--simplices", simplices, "random pentachora (5 rows each) for volume statistics", "N", std::size_t(1),
                std::size_t(1) << 24);
        cli.add("--seed", seed, "seed of every sample (draw s uses seed + s)");
        cli.add("--seeds", seeds, "independent draws of every sampled statistic, reported as mean and 95% interval",
                "N", std::size_t(1), std::size_t(1000));
        cli.add("--json", as_json, "print results as JSON");
        if (!cli.parse(argc, argv))
            return 0;
        const auto e = example::load_embeddings(input, tensor, words);
        const auto& A = e.matrix;
        const std::size_t n = A.shape(0), d = A.shape(1);
        namespace st = tessera::stats;
        example::progress bar("terrain", 3 + 2 * seeds);
        json out{{"input", e.source}, {"rows", n}, {"cols", d}, {"seed", seed}, {"seeds", seeds}};

        out["norms"] = summary(st::summarize(st::row_norms(A)));
        // Sampled statistics, once per seed; the first draw's distributions are kept in full.
        std::vector<double> cos_mean, cos_std, dist_mean, cv, volume, ratio;
        for (std::size_t s = 0; s < seeds; ++s)
        {
            const auto c = st::pairwise_cosine(A, pairs, seed + s);
            const auto dist = st::pairwise_distance(A, pairs, seed + s);
            cos_mean.push_back(c.summary.mean), cos_std.push_back(c.summary.stddev);
            dist_mean.push_back(dist.summary.mean);
            if (s == 0)
            {
                out["cosine"] = summary(c.summary);
                out["distance"] = summary(dist.summary);
            }
            bar.tick();
        }

        const auto cs = st::covariance_spectrum(A);
        out["spectrum"] = {{"participation_ratio", cs.participation_ratio},
                           {"pr_over_dim", cs.participation_ratio_fraction},
                           {"dims_80", cs.dims_80}, {"dims_90", cs.dims_90}, {"dims_95", cs.dims_95},
                           {"dims_99", cs.dims_99},
                           {"top_eigenvalues", std::vector<double>(cs.eigenvalues.begin(),
                                                                   cs.eigenvalues.begin() + std::min<long>(10, long(d)))}};
        const auto sr = tessera::spectral::spectrum_report(A);
        out["spectral"] = {{"stable_rank", sr.stable_rank}, {"effective_rank_entropy", sr.effective_rank_entropy},
                           {"effective_rank_vonneumann", sr.effective_rank_vonneumann},
                           {"spectral_norm", sr.spectral_norm}, {"condition_number", sr.condition_number},
                           {"energy_rank_90", sr.energy_rank}};
        bar.tick();

        const auto vs = tessera::simplex::volume_statistics(A, 4, simplices, seed);
        out["pentachoron"] = {{"count", vs.data.count}, {"mean_volume", vs.data.mean}, {"cv", vs.data.cv},
                              {"gaussian_mean_volume", vs.gaussian.mean}, {"ratio_to_gaussian", vs.mean_ratio},
                              {"fraction_degenerate", vs.data.fraction_degenerate}};
        cv.push_back(vs.data.cv), volume.push_back(vs.data.mean), ratio.push_back(vs.mean_ratio);
        bar.tick();
        for (std::size_t s = 1; s < seeds; ++s)
        {
            const auto v = tessera::simplex::volume_statistics(A, 4, simplices, seed + s);
            cv.push_back(v.data.cv), volume.push_back(v.data.mean), ratio.push_back(v.mean_ratio);
            bar.tick();
        }
        namespace ts = tessera::stats;
        const auto cos_iv = ts::interval_of_mean(cos_mean), cv_iv = ts::interval_of_mean(cv),
                   ratio_iv = ts::interval_of_mean(ratio);
        out["intervals"] = {{"seeds", seeds},
                            {"cosine_mean", interval(cos_iv)},
                            {"cosine_std", interval(ts::interval_of_mean(cos_std))},
                            {"distance_mean", interval(ts::interval_of_mean(dist_mean))},
                            {"pentachoron_cv", interval(cv_iv)},
                            {"pentachoron_mean_volume", interval(ts::interval_of_mean(volume))},
                            {"pentachoron_ratio_to_gaussian", interval(ratio_iv)}};

        if (e.words.size() > 0)
        {
            const auto& vocab = e.words;
            auto cosine = [&](std::size_t i, std::size_t j) {
                double ab = 0, aa = 0, bb = 0;
                for (std::size_t k = 0; k < d; ++k)
                    ab += double(A(i, k)) * A(j, k), aa += double(A(i, k)) * A(i, k), bb += double(A(j, k)) * A(j, k);
                return ab / std::sqrt(aa * bb);
            };
            // Digits: does cos(i, j) fall as |i - j| grows? (seed 001: a number line). Vocabularies
            // without digit tokens (the wink GloVe packaging) use the number words zero..nine.
            const std::vector<std::string> names{"zero", "one", "two", "three", "four",
                                                 "five", "six", "seven", "eight", "nine"};
            bool tokens = true;
            for (int i = 0; i < 10; ++i)
                tokens = tokens && vocab.find(std::to_string(i)).has_value();
            std::vector<double> gap, sim;
            for (int i = 0; i < 10; ++i)
                for (int j = i + 1; j < 10; ++j)
                {
                    const auto a = vocab.find(tokens ? std::to_string(i) : names[std::size_t(i)]);
                    const auto b = vocab.find(tokens ? std::to_string(j) : names[std::size_t(j)]);
                    if (a && b)
                        gap.push_back(j - i), sim.push_back(cosine(*a, *b));
                }
            if (gap.size() >= 3)
                out["digits"] = {{"pairs", gap.size()}, {"as", tokens ? "digit tokens" : "number words"},
                                 {"spearman_gap_vs_cosine", st::spearman(xt::adapt(gap), xt::adapt(sim))},
                                 {"pearson_gap_vs_cosine", st::pearson(xt::adapt(gap), xt::adapt(sim))}};
            // Categories: mean cosine inside a category against the mean over random pairs.
            const std::vector<std::pair<std::string, std::vector<std::string>>> categories{
                {"colors", {"red", "blue", "green", "yellow", "black", "white", "orange", "purple", "pink", "brown"}},
                {"animals", {"dog", "cat", "horse", "cow", "pig", "sheep", "lion", "tiger", "bear", "wolf"}},
                {"months", {"january", "february", "march", "april", "may", "june", "july", "august", "september",
                            "october", "november", "december"}},
                {"numbers", {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}},
                {"countries", {"france", "germany", "china", "japan", "india", "brazil", "canada", "italy", "spain",
                               "russia"}},
                {"family", {"mother", "father", "sister", "brother", "son", "daughter", "uncle", "aunt", "wife",
                            "husband"}}};
            json cats = json::array();
            for (const auto& [name, list] : categories)
            {
                std::vector<std::size_t> rows;
                for (const auto& w : list)
                    if (auto r = vocab.find(w))
                        rows.push_back(*r);
                double s = 0;
                std::size_t m = 0;
                for (std::size_t i = 0; i < rows.size(); ++i)
                    for (std::size_t j = i + 1; j < rows.size(); ++j, ++m)
                        s += cosine(rows[i], rows[j]);
                if (m > 0)
                    cats.push_back({{"category", name}, {"words", rows.size()}, {"intra_cosine", s / double(m)},
                                    {"lift_over_random", s / double(m) - cos_iv.mean}});
            }
            out["categories"] = cats;
        }
        bar.tick();

        if (as_json)
        {
            std::cout << out.dump(1) << "\n";
            return 0;
        }
        std::printf("%s: %zu x %zu\n", example::printable(e.source).c_str(), n, d);
        for (const char* k : {"norms", "cosine", "distance"})
            std::printf("  %-9s mean %8.4f  std %7.4f  min %8.4f  median %8.4f  max %8.4f\n", k,
                        out[k]["mean"].get<double>(), out[k]["std"].get<double>(), out[k]["min"].get<double>(),
                        out[k]["median"].get<double>(), out[k]["max"].get<double>());
        std::printf("  spectrum  participation ratio %.2f (%.3f of %zu dims); dims for 80/90/95/99%% variance: "
                    "%zu/%zu/%zu/%zu\n", cs.participation_ratio, cs.participation_ratio_fraction, d, cs.dims_80,
                    cs.dims_90, cs.dims_95, cs.dims_99);
        std::printf("  spectral  stable rank %.2f, effective rank %.1f (entropy) %.1f (von Neumann), cond %.3g\n",
                    sr.stable_rank, sr.effective_rank_entropy, sr.effective_rank_vonneumann, sr.condition_number);
        std::printf("  pentachora  %zu: mean volume %.4g (CV %.2f), Gaussian baseline %.4g, ratio %.4f\n",
                    vs.data.count, vs.data.mean, vs.data.cv, vs.gaussian.mean, vs.mean_ratio);
        std::printf("  over %zu seed%s (mean ± half-width [95%% interval]):\n", seeds, seeds == 1 ? "" : "s");
        std::printf("    pentachoron CV          %s\n", with_interval(cv_iv).c_str());
        std::printf("    volume / Gaussian       %s\n", with_interval(ratio_iv).c_str());
        std::printf("    sampled cosine mean     %s\n", with_interval(cos_iv).c_str());
        if (out.contains("digits"))
            std::printf("  digits    Spearman(|i-j|, cos) = %.3f over %zu pairs of %s\n",
                        out["digits"]["spearman_gap_vs_cosine"].get<double>(), out["digits"]["pairs"].get<std::size_t>(),
                        out["digits"]["as"].get<std::string>().c_str());
        if (out.contains("categories"))
            for (const auto& c : out["categories"])
                std::printf("  %-10s intra-cosine %.3f (random pairs %.3f) over %d words\n",
                            c["category"].get<std::string>().c_str(), c["intra_cosine"].get<double>(),
                            cos_iv.mean, c["words"].get<int>());
        return 0;
    });
}
