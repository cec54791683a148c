// compression_sweep: how much of an embedding matrix survives each way of shrinking it
// (seeds 002, 003, 004). Truncated SVD over ranks, random projection over k (plain and
// scale-corrected, every projection kind), TT-matrix over bond dimensions on a suggested
// shape, ternary quantization over group sizes, the formats people ship (fp16, int8 per row,
// int4 per group) and additive Gaussian noise W + s std(W) N -- each scored by
// compress::compression_report and printed as one table sorted by bytes, written as CSV, JSON
// and a self-contained HTML report, each with its provenance (seed, version, commit, command,
// input checksum, date).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>
#include <tessera/compress.hpp>
#include <tessera/core/random.hpp>
#include <tessera/projection.hpp>
#include <tessera/spectral.hpp>
#include <tessera/ternary.hpp>
#include <tessera/tt.hpp>

#include "cli.hpp"
#include "data.hpp"
#include "provenance.hpp"
#include "svg_plot.hpp"

namespace tc = tessera::compress;

struct row
{
    std::string method, param, label;  // label: the point's short name on the plots
    tc::quality_report q;
    std::string status = "n/a";  // the compressed form's status, when it reports one
};

// Full precision (max_digits10 of double), unquoted: what a CSV or JSON reader parses back exactly.
static std::string number(double v)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.*g", std::numeric_limits<double>::max_digits10, v);
    return buf;
}

// "mean ± half-width" of a statistic drawn over several seeds; the value alone for one draw.
static std::string with_interval(const tessera::stats::mean_interval& m, double value, int digits)
{
    if (m.count < 2 || !std::isfinite(m.low))
        return example::fmt(value, digits);
    return example::fmt(value, digits) + " ± " + example::fmt(m.half_width(), 2);
}

static nlohmann::json interval_json(const tessera::stats::mean_interval& m)  // NaN is written as null
{
    return {{"count", m.count}, {"mean", m.mean}, {"std", m.stddev}, {"ci95", {m.low, m.high}},
            {"min", m.min}, {"max", m.max}};
}

// RFC 4180: a field is quoted only when it holds a comma, a quote or a line break.
static std::string csv_field(const std::string& s)
{
    if (s.find_first_of(",\"\r\n") == std::string::npos)
        return s;
    std::string o = "\"";
    for (char c : s)
        o += c == '"' ? std::string("\"\"") : std::string(1, c);
    return o + "\"";
}

int main(int argc, char** argv)
{
    return example::cli::run("compression_sweep", [&] {
        std::string input = example::default_embeddings(), tensor, csv, html;
        std::vector<std::size_t> ranks{2, 5, 10, 20, 30, 50, 75}, ks{10, 25, 50, 75}, bonds{2, 4, 8, 16, 32},
            groups{32, 64, 128};
        std::vector<double> noise{0.01, 0.05, 0.1, 0.2};
        std::size_t queries = 500, tt_cores = 3, int4_group = 32, seeds = 3;
        std::uint64_t seed = 0;
        bool json = false, no_baselines = false;
        example::cli cli("compression_sweep", "Sweep SVD, random projection, TT-matrix, ternary, fp16/int8/int4 and "
                                              "additive noise on an embedding matrix; report error, cosine and "
                                              "neighbour preservation.");
        cli.add("--input", input, "matrix: .npy (+ .words), .safetensors, GloVe/word2vec text", "PATH");
        cli.add("--tensor", tensor, "tensor name inside a .safetensors file", "NAME");
        const std::size_t one = 1, big = std::size_t(1) << 20;
        cli.add("--ranks", ranks, "truncated SVD ranks", "A,B,..", one, big);
        cli.add("--k", ks, "random projection dimensions", "A,B,..", one, big);
        cli.add("--bonds", bonds, "TT-matrix bond dimensions", "A,B,..", one, big);
        cli.add("--groups", groups, "ternary group sizes", "A,B,..", one, big);
        cli.add("--tt-cores", tt_cores, "TT-matrix cores (modes per side)", "N", one, std::size_t(16));
        cli.add("--noise", noise, "relative noise levels s of W + s std(W) N(0,1)", "A,B,..", 0.0, 1e6);
        cli.add("--int4-group", int4_group, "int4 baseline group size (ggml Q4_0: 32)", "N", one, big);
        cli.add("--no-baselines", no_baselines, "skip the fp16, int8 and int4 baselines");
        cli.add("--queries", queries, "query rows for neighbour recall@10", "N", one, big);
        cli.add("--seeds", seeds, "independent query/pair samples: recall@10 and pair Spearman are their mean with a "
                                  "95% interval", "N", one, std::size_t(1000));
        cli.add("--csv", csv, "write the table as CSV (provenance as leading '# key: value' lines)", "PATH");
        cli.add("--html", html, "write a self-contained HTML report with SVG plots", "PATH");
        cli.add("--seed", seed, "seed of projections, noise and samples");
        cli.add("--json", json, "print results as JSON");
        if (!cli.parse(argc, argv))
            return 0;
        const auto prov = example::provenance(argc, argv, input, seed);
        const auto e = example::load_embeddings(input, tensor);
        const auto& A = e.matrix;
        const std::size_t n = A.shape(0), d = A.shape(1);
        tc::report_options opts;
        opts.knn_queries = queries;
        opts.seed = seed;
        opts.seeds = seeds;
        std::vector<row> rows;
        const std::size_t total =
            ranks.size() + 8 * ks.size() + bonds.size() + groups.size() + noise.size() + (no_baselines ? 0 : 3);
        example::progress bar("sweep", total);
        auto add = [&](std::string method, std::string param, std::string label, tc::quality_report q,
                       std::string status = "n/a") {
            rows.push_back({std::move(method), std::move(param), std::move(label), std::move(q), std::move(status)});
            bar.tick();
        };

        for (std::size_t r : ranks)  // truncated SVD: A ~ (U S) Vt
            if (r <= std::min(n, d))
                add("svd", "rank=" + std::to_string(r), "r=" + std::to_string(r),
                    tc::compression_report(A, tessera::spectral::low_rank<float>(tessera::spectral::truncated_svd(A, r)), opts));
        using tessera::projection::projection_kind;
        for (auto kind : {projection_kind::gaussian, projection_kind::orthonormal, projection_kind::achlioptas,
                          projection_kind::very_sparse})
            for (std::size_t k : ks)  // random projection codes A P, reconstructed by pinv(P)
                if (k <= d)
                {
                    const auto c = tessera::projection::compress(A, k, kind, seed);
                    const std::string name = std::string("rp-") + tessera::projection::to_string(kind);
                    add(name, "k=" + std::to_string(k), "k=" + std::to_string(k), tc::compression_report(A, c, opts));
                    add(name + "-scaled", "k=" + std::to_string(k), "k=" + std::to_string(k),
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
                    "b=" + std::to_string(b), tc::compression_report(A, back, t.storage_bytes(), opts));
            }
        }
        for (std::size_t g : groups)  // ternary codes in {-1, 0, 1} with one scale per g weights
        {
            tessera::ternary::quantize_options o;
            o.group_size = g;
            add("ternary", "group=" + std::to_string(g), "g=" + std::to_string(g),
                tc::compression_report(A, tessera::ternary::quantize_absmean(A, o), opts));
        }
        if (!no_baselines)  // what people ship: fp16, int8 absmax per row, int4 with ggml's Q4_0 rule
        {
            const auto f = tc::to_fp16(A);
            add("fp16", "binary16", "fp16", tc::compression_report(A, f, opts), tessera::to_string(f.status.code));
            const auto i8 = tc::quantize_int8_per_row(A);
            add("int8-row", "absmax per row", "int8", tc::compression_report(A, i8, opts),
                tessera::to_string(i8.status.code));
            tc::int4_options o;
            o.group_size = int4_group;
            const auto i4 = tc::quantize_int4_per_group(A, o);
            add("int4-q4_0", "group=" + std::to_string(int4_group), "int4 g=" + std::to_string(int4_group),
                tc::compression_report(A, i4, opts), tessera::to_string(i4.status.code));
        }
        for (double s : noise)  // not a compression: the damage of a known amount of noise, for scale
        {
            const std::string level = "s=" + example::fmt(s, 6);
            add("noise", level, "noise " + level, tc::compression_report(A, tc::add_gaussian_noise(A, s, seed), opts));
        }
        std::stable_sort(rows.begin(), rows.end(),
                         [](const row& a, const row& b) { return a.q.storage_bytes < b.q.storage_bytes; });
        auto bits = [&](const row& r) { return 8.0 * double(r.q.storage_bytes) / double(n * d); };

        const std::vector<std::string> header{"method",    "param",        "bytes",       "bits_per_weight",
                                              "ratio",     "rel_error",    "row_cos_mean", "row_cos_p05",
                                              "recall@10", "pair_spearman", "recall@10_low", "recall@10_high",
                                              "pair_spearman_low", "pair_spearman_high", "status"};
        if (!csv.empty())
        {
            std::ostringstream out;
            for (const auto& [key, value] : prov)
                out << "# " << key << ": " << value << "\n";
            for (std::size_t i = 0; i < header.size(); ++i)
                out << header[i] << (i + 1 < header.size() ? "," : "\n");
            for (const auto& r : rows)
                out << csv_field(r.method) << "," << csv_field(r.param) << "," << r.q.storage_bytes << ","
                    << number(bits(r)) << "," << number(r.q.compression_ratio) << ","
                    << number(r.q.relative_frobenius_error) << "," << number(r.q.row_cosine.mean) << ","
                    << number(r.q.row_cosine.percentile(5)) << "," << number(r.q.knn_recall) << ","
                    << number(r.q.relational_spearman) << "," << number(r.q.knn_recall_interval.low) << ","
                    << number(r.q.knn_recall_interval.high) << "," << number(r.q.relational_spearman_interval.low)
                    << "," << number(r.q.relational_spearman_interval.high) << "," << r.status << "\n";
            example::write_text_file(csv, out.str());
        }
        if (!html.empty())
        {
            example::html_page page("tessera compression sweep: " + e.source);
            page.paragraph(std::to_string(n) + " x " + std::to_string(d) + " float32 matrix (" +
                           std::to_string(n * d * 4) + " bytes, 32 bits per weight). Recall@10 on " +
                           std::to_string(queries) + " sampled query rows; pairwise Spearman on " +
                           std::to_string(opts.pairs) + " row pairs; both are the mean over " + std::to_string(seeds) +
                           " independent samples (seeds), drawn with their Student-t 95% interval as a vertical "
                           "whisker and given as mean ± half-width in the table (one sample gives no interval). "
                           "The x axis is storage in bits per original "
                           "weight (8 x bytes / (rows x cols)); the pale band joins the Pareto frontier (no other "
                           "method is both smaller and better); dotted lines show what Gaussian noise "
                           "W + s std(W) N(0,1) of each level s does to the same metric.");
            page.paragraph("rp-* are random projections: the codes A P [rows, k] are stored and A is rebuilt as "
                           "A P pinv(P), the orthogonal projection of each row onto a k-dimensional subspace. "
                           "The \"-scaled\" variants (dashed) rebuild (d/k) A P pinv(P) instead, the seed "
                           "experiment's scale correction: unbiased in expectation but with a larger error "
                           "(about sqrt(d/k - 1) instead of sqrt(1 - k/d) of the norm on isotropic data). Scaling "
                           "changes no cosine, so they appear on the error plot only.");
            page.paragraph("Baselines: fp16 is IEEE binary16 (16 bits per weight); int8 is symmetric absmax per row "
                           "(8 + 32/d bits); int4 follows ggml's Q4_0 rule (per group of " + std::to_string(int4_group) +
                           " weights a binary16 scale d = m / -8 with m the value of largest magnitude, codes "
                           "min(15, floor(x/d + 8.5)): 4 + 16/group bits).");
            page.heading("Provenance");
            std::vector<std::vector<std::string>> prov_rows;
            for (const auto& [key, value] : prov)
                prov_rows.push_back({key, value});
            page.table({"key", "value"}, prov_rows);
            const std::string bpw = "bits per weight";
            example::plot err{"Reconstruction error vs storage", bpw, "relative Frobenius error", "error", true};
            example::plot cosp{"Cosine preservation vs storage", bpw, "mean row cosine", "cosine", true};
            example::plot rec{"Neighbour preservation vs storage", bpw, "recall@10", "recall", true};
            example::plot rel{"Relational preservation vs storage", bpw, "Spearman of pair cosines", "pairs", true};
            for (auto* p : {&err, &cosp, &rec, &rel})
                p->width = 760, p->height = 440;  // room for the per-point labels
            err.frontier = "min";
            cosp.frontier = rec.frontier = rel.frontier = "max";
            auto style = [](const std::string& method, example::series& s) {
                const std::string base = method.substr(0, method.find("-scaled"));
                s.dashed = base != method;
                if (base.rfind("rp-", 0) == 0)
                {
                    s.color = example::palette(1);
                    s.marker = base == "rp-orthonormal" ? "square" : base == "rp-achlioptas" ? "triangle"
                               : base == "rp-very_sparse" ? "diamond" : "circle";
                }
                else if (base == "svd")
                    s.color = example::palette(0);
                else if (base == "tt")
                    s.color = example::palette(2), s.marker = "square";
                else if (base == "ternary")
                    s.color = example::palette(4), s.marker = "triangle";
                else if (base == "fp16")
                    s.color = example::palette(6), s.marker = "square";
                else if (base == "int8-row")
                    s.color = example::palette(3), s.marker = "diamond";
                else
                    s.color = example::palette(5), s.marker = "triangle";
            };
            for (const auto& r : rows)
            {
                const bool scaled = r.method.find("-scaled") != std::string::npos;
                const double none = std::numeric_limits<double>::quiet_NaN();
                auto point = [&](example::plot& p, double y, double lo, double hi) {
                    if (r.method == "noise")
                    {
                        p.references.push_back({y, r.label});
                        return;
                    }
                    auto it = std::find_if(p.lines.begin(), p.lines.end(), [&](auto& s) { return s.name == r.method; });
                    if (it == p.lines.end())
                    {
                        example::series s;
                        s.name = r.method;
                        style(r.method, s);
                        it = p.lines.insert(p.lines.end(), std::move(s));
                    }
                    it->x.push_back(bits(r)), it->y.push_back(y), it->labels.push_back(r.label);
                    it->y_low.push_back(lo), it->y_high.push_back(hi);
                };
                point(err, r.q.relative_frobenius_error, none, none);
                if (!scaled)  // scaling by d/k changes no cosine: only the error differs
                {
                    point(cosp, r.q.row_cosine.mean, none, none);
                    point(rec, r.q.knn_recall, r.q.knn_recall_interval.low, r.q.knn_recall_interval.high);
                    point(rel, r.q.relational_spearman, r.q.relational_spearman_interval.low,
                          r.q.relational_spearman_interval.high);
                }
            }
            // Singular values of the data against a Gaussian matrix of the same shape and norm.
            const auto S = tessera::spectral::truncated_svd(A, std::min(n, d)).S;
            const double scale = std::sqrt(double(xt::sum(xt::square(xt::cast<double>(A)))()) / double(n * d));
            const auto G = tessera::random_normal<float>(n, d, seed + 7, 0, float(scale));
            const auto Sg = tessera::spectral::truncated_svd(G, std::min(n, d)).S;
            example::plot spec{"Singular values: data vs Gaussian", "index", "singular value", "spectrum", false, true};
            spec.lines.resize(2);
            spec.lines[0].name = "data", spec.lines[0].color = example::palette(0);
            spec.lines[1].name = "gaussian, same norm", spec.lines[1].color = example::palette(3);
            for (auto& s : spec.lines)
                s.markers = false;
            spec.lines[1].dashed = true;
            for (std::size_t i = 0; i < S.size(); ++i)
            {
                spec.lines[0].x.push_back(double(i + 1)), spec.lines[0].y.push_back(double(S(i)));
                spec.lines[1].x.push_back(double(i + 1)), spec.lines[1].y.push_back(double(Sg(i)));
            }
            for (const auto* p : {&err, &spec, &cosp, &rec, &rel})
                page.add(*p);
            page.heading("All configurations, sorted by bytes");
            std::vector<std::vector<std::string>> table;
            for (const auto& r : rows)
                table.push_back({r.method, r.param, std::to_string(r.q.storage_bytes), example::fmt(bits(r), 4),
                                 example::fmt(r.q.compression_ratio, 4), example::fmt(r.q.relative_frobenius_error, 4),
                                 example::fmt(r.q.row_cosine.mean, 4), example::fmt(r.q.row_cosine.percentile(5), 4),
                                 with_interval(r.q.knn_recall_interval, r.q.knn_recall, 3),
                                 with_interval(r.q.relational_spearman_interval, r.q.relational_spearman, 4), r.status});
            page.table({"method", "param", "bytes", "bits_per_weight", "ratio", "rel_error", "row_cos_mean",
                        "row_cos_p05", "recall@10 (95% interval)", "pair_spearman (95% interval)", "status"},
                       table);
            example::write_text_file(html, page.str());
        }
        if (json)
        {
            nlohmann::json out{{"input", e.source}, {"rows", n}, {"cols", d}, {"seed", seed}, {"seeds", seeds},
                               {"provenance", nlohmann::json::object()}, {"results", nlohmann::json::array()}};
            for (const auto& [key, value] : prov)
                out["provenance"][key] = value;
            for (const auto& r : rows)
                out["results"].push_back({{"method", r.method}, {"param", r.param}, {"label", r.label},
                                          {"bytes", r.q.storage_bytes}, {"bits_per_weight", bits(r)},
                                          {"ratio", r.q.compression_ratio}, {"rel_error", r.q.relative_frobenius_error},
                                          {"row_cos_mean", r.q.row_cosine.mean},
                                          {"row_cos_p05", r.q.row_cosine.percentile(5)},
                                          {"recall_at_10", r.q.knn_recall}, {"pair_spearman", r.q.relational_spearman},
                                          {"recall_at_10_interval", interval_json(r.q.knn_recall_interval)},
                                          {"pair_spearman_interval", interval_json(r.q.relational_spearman_interval)},
                                          {"status", r.status}});
            std::cout << out.dump(1) << "\n";
            return 0;
        }
        std::printf("%-22s %-26s %10s %6s %8s %9s %8s %15s %15s\n", "method", "param", "bytes", "bits", "ratio", "rel_err",
                    "cos", "recall@10", "pairs_rho");
        for (const auto& r : rows)
            std::printf("%-22s %-26s %10llu %6.2f %8.2f %9.4f %8.4f %15s %15s\n", r.method.c_str(), r.param.c_str(),
                        static_cast<unsigned long long>(r.q.storage_bytes), bits(r), r.q.compression_ratio,
                        r.q.relative_frobenius_error, r.q.row_cosine.mean,
                        with_interval(r.q.knn_recall_interval, r.q.knn_recall, 3).c_str(),
                        with_interval(r.q.relational_spearman_interval, r.q.relational_spearman, 4).c_str());
        if (seeds > 1)
            std::printf("recall@10 and pairs_rho: mean ± half-width of the 95%% interval over %zu samples\n", seeds);
        return 0;
    });
}
