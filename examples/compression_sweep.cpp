// compression_sweep: how much of an embedding matrix survives each way of shrinking it
// (seeds 002, 003, 004). Truncated SVD over ranks, random projection over k (plain and
// scale-corrected, every projection kind), TT-matrix over bond dimensions on a suggested
// shape, and ternary quantization over group sizes -- each scored by compress::compression_report
// and printed as one table sorted by bytes, written as CSV and as a self-contained HTML report.
#include <algorithm>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <tessera/tessera.hpp>

#include "cli.hpp"
#include "data.hpp"
#include "svg_plot.hpp"

namespace tc = tessera::compress;

struct row
{
    std::string method, param;
    tc::quality_report q;
};

int main(int argc, char** argv)
{
    return example::cli::run("compression_sweep", [&] {
        std::string input = example::default_embeddings(), tensor, csv, html;
        std::vector<std::size_t> ranks{2, 5, 10, 20, 30, 50, 75}, ks{10, 25, 50, 75}, bonds{2, 4, 8, 16, 32},
            groups{32, 64, 128};
        std::size_t queries = 500, tt_cores = 3;
        std::uint64_t seed = 0;
        bool json = false;
        example::cli cli("compression_sweep", "Sweep SVD, random projection, TT-matrix and ternary compression of "
                                              "an embedding matrix; report error, cosine and neighbour preservation.");
        cli.add("--input", input, "matrix: .npy (+ .words), .safetensors, GloVe/word2vec text", "PATH");
        cli.add("--tensor", tensor, "tensor name inside a .safetensors file", "NAME");
        const std::size_t one = 1, big = std::size_t(1) << 20;
        cli.add("--ranks", ranks, "truncated SVD ranks", "A,B,..", one, big);
        cli.add("--k", ks, "random projection dimensions", "A,B,..", one, big);
        cli.add("--bonds", bonds, "TT-matrix bond dimensions", "A,B,..", one, big);
        cli.add("--groups", groups, "ternary group sizes", "A,B,..", one, big);
        cli.add("--tt-cores", tt_cores, "TT-matrix cores (modes per side)", "N", one, std::size_t(16));
        cli.add("--queries", queries, "query rows for neighbour recall@10", "N", one, big);
        cli.add("--csv", csv, "write the table as CSV", "PATH");
        cli.add("--html", html, "write a self-contained HTML report with SVG plots", "PATH");
        cli.add("--seed", seed, "seed of projections and samples");
        cli.add("--json", json, "print results as JSON");
        if (!cli.parse(argc, argv))
            return 0;
        const auto e = example::load_embeddings(input, tensor);
        const auto& A = e.matrix;
        const std::size_t n = A.shape(0), d = A.shape(1);
        tc::report_options opts;
        opts.knn_queries = queries;
        opts.seed = seed;
        std::vector<row> rows;
        const std::size_t total = ranks.size() + 8 * ks.size() + bonds.size() + groups.size();
        example::progress bar("sweep", total);
        auto add = [&](std::string method, std::string param, tc::quality_report q) {
            rows.push_back({std::move(method), std::move(param), std::move(q)});
            bar.tick();
        };

        for (std::size_t r : ranks)  // truncated SVD: A ~ (U S) Vt
            if (r <= std::min(n, d))
                add("svd", "rank=" + std::to_string(r),
                    tc::compression_report(A, tessera::spectral::low_rank<float>(tessera::spectral::truncated_svd(A, r)), opts));
        using tessera::projection::projection_kind;
        for (auto kind : {projection_kind::gaussian, projection_kind::orthonormal, projection_kind::achlioptas,
                          projection_kind::very_sparse})
            for (std::size_t k : ks)  // random projection codes A P, reconstructed by pinv(P)
                if (k <= d)
                {
                    const auto c = tessera::projection::compress(A, k, kind, seed);
                    const std::string name = std::string("rp-") + tessera::projection::to_string(kind);
                    add(name, "k=" + std::to_string(k), tc::compression_report(A, c, opts));
                    add(name + "-scaled", "k=" + std::to_string(k),
                        tc::compression_report(A, c.reconstruct_scaled(), c.storage_bytes(), opts));
                }
        const auto shapes = tessera::tt::tt_shape_suggestions(n, d, tt_cores);
        if (!shapes.empty())
        {
            const auto& s = shapes.front();  // fewest parameters; zero rows/columns pad to its size
            xt::xtensor<float, 2> padded = xt::zeros<float>({s.rows, s.cols});
            xt::view(padded, xt::range(0, n), xt::range(0, d)) = A;
            for (std::size_t b : bonds)
            {
                tessera::tt::tt_options o;
                o.max_rank = b;
                o.rel_eps = 0.0;
                const auto t = tessera::tt::to_tt_matrix(padded, s.row_modes, s.col_modes, o);
                xt::xtensor<float, 2> back = xt::view(t.reconstruct(), xt::range(0, n), xt::range(0, d));
                add("tt", "bond=" + std::to_string(b) + " " + tessera::shape_to_string(s.row_modes) + "x" +
                              tessera::shape_to_string(s.col_modes),
                    tc::compression_report(A, back, t.storage_bytes(), opts));
            }
        }
        for (std::size_t g : groups)  // ternary codes in {-1, 0, 1} with one scale per g weights
        {
            tessera::ternary::quantize_options o;
            o.group_size = g;
            add("ternary", "group=" + std::to_string(g),
                tc::compression_report(A, tessera::ternary::quantize_absmean(A, o), opts));
        }
        std::sort(rows.begin(), rows.end(),
                  [](const row& a, const row& b) { return a.q.storage_bytes < b.q.storage_bytes; });

        const std::vector<std::string> header{"method", "param", "bytes", "ratio", "rel_error", "row_cos_mean",
                                              "row_cos_p05", "recall@10", "pair_spearman"};
        std::vector<std::vector<std::string>> table;
        for (const auto& r : rows)
            table.push_back({r.method, r.param, std::to_string(r.q.storage_bytes), example::fmt(r.q.compression_ratio, 4),
                             example::fmt(r.q.relative_frobenius_error, 4), example::fmt(r.q.row_cosine.mean, 4),
                             example::fmt(r.q.row_cosine.percentile(5), 4), example::fmt(r.q.knn_recall, 3),
                             example::fmt(r.q.relational_spearman, 4)});
        if (!csv.empty())
        {
            std::ostringstream out;
            for (std::size_t i = 0; i < header.size(); ++i)
                out << header[i] << (i + 1 < header.size() ? "," : "\n");
            for (const auto& t : table)
                for (std::size_t i = 0; i < t.size(); ++i)
                    out << '"' << t[i] << '"' << (i + 1 < t.size() ? "," : "\n");
            example::write_text_file(csv, out.str());
        }
        if (!html.empty())
        {
            example::html_page page("tessera compression sweep: " + e.source);
            page.paragraph(std::to_string(n) + " x " + std::to_string(d) + " float32 matrix (" +
                           std::to_string(n * d * 4) + " bytes). Recall@10 on " + std::to_string(queries) +
                           " sampled query rows; pairwise Spearman on " + std::to_string(opts.pairs) + " row pairs.");
            example::plot err{"Reconstruction error vs storage", "bytes", "relative Frobenius error", "error", true};
            example::plot cosp{"Cosine preservation vs storage", "bytes", "mean row cosine", "cosine", true};
            example::plot rec{"Neighbour preservation vs storage", "bytes", "recall@10", "recall", true};
            example::plot rel{"Relational preservation vs storage", "bytes", "Spearman of pair cosines", "pairs", true};
            std::vector<std::string> methods;  // one colour per method family across all plots
            for (const auto& r : rows)
            {
                const std::string base = r.method.substr(0, r.method.find("-scaled"));
                auto m = std::find(methods.begin(), methods.end(), base);
                const std::string color = example::palette(std::size_t(m - methods.begin()));
                if (m == methods.end())
                    methods.push_back(base);
                const bool scaled = base != r.method;
                auto point = [&](example::plot& p, double y) {
                    auto it = std::find_if(p.lines.begin(), p.lines.end(), [&](auto& s) { return s.name == r.method; });
                    if (it == p.lines.end())
                        it = p.lines.insert(p.lines.end(), {r.method, {}, {}, true, scaled, color});
                    it->x.push_back(double(r.q.storage_bytes)), it->y.push_back(y);
                };
                point(err, r.q.relative_frobenius_error);
                if (!scaled)  // scaling by d/k changes no cosine: only the error differs
                    point(cosp, r.q.row_cosine.mean), point(rec, r.q.knn_recall), point(rel, r.q.relational_spearman);
            }
            // Singular values of the data against a Gaussian matrix of the same shape and norm.
            const auto S = tessera::spectral::truncated_svd(A, std::min(n, d)).S;
            const double scale = std::sqrt(double(xt::sum(xt::square(xt::cast<double>(A)))()) / double(n * d));
            const auto G = tessera::random_normal<float>(n, d, seed + 7, 0, float(scale));
            const auto Sg = tessera::spectral::truncated_svd(G, std::min(n, d)).S;
            example::plot spec{"Singular values: data vs Gaussian", "index", "singular value", "spectrum", false, true};
            spec.lines.push_back({"data", {}, {}, false, false, ""});
            spec.lines.push_back({"gaussian, same norm", {}, {}, false, true, ""});
            for (std::size_t i = 0; i < S.size(); ++i)
            {
                spec.lines[0].x.push_back(double(i + 1)), spec.lines[0].y.push_back(double(S(i)));
                spec.lines[1].x.push_back(double(i + 1)), spec.lines[1].y.push_back(double(Sg(i)));
            }
            for (const auto* p : {&err, &spec, &cosp, &rec, &rel})
                page.add(*p);
            page.heading("All configurations, sorted by bytes");
            page.table(header, table);
            example::write_text_file(html, page.str());
        }
        if (json)
        {
            nlohmann::json out{{"input", e.source}, {"rows", n}, {"cols", d}, {"seed", seed}, {"results", nlohmann::json::array()}};
            for (const auto& r : rows)
                out["results"].push_back({{"method", r.method}, {"param", r.param}, {"bytes", r.q.storage_bytes},
                                          {"ratio", r.q.compression_ratio}, {"rel_error", r.q.relative_frobenius_error},
                                          {"row_cos_mean", r.q.row_cosine.mean}, {"recall_at_10", r.q.knn_recall},
                                          {"pair_spearman", r.q.relational_spearman}});
            std::cout << out.dump(1) << "\n";
            return 0;
        }
        std::printf("%-22s %-26s %10s %8s %9s %8s %9s %8s\n", "method", "param", "bytes", "ratio", "rel_err", "cos",
                    "recall@10", "pairs_rho");
        for (const auto& r : rows)
            std::printf("%-22s %-26s %10llu %8.2f %9.4f %8.4f %9.3f %8.4f\n", r.method.c_str(), r.param.c_str(),
                        static_cast<unsigned long long>(r.q.storage_bytes), r.q.compression_ratio,
                        r.q.relative_frobenius_error, r.q.row_cosine.mean, r.q.knn_recall, r.q.relational_spearman);
        return 0;
    });
}
