// The weight terrain of a whole checkpoint (issue 16): every 2-D weight's spectrum and sparsity,
// per-layer QK^T circuits and FFN neurons, cross-layer similarity and the embedding, from a
// Hugging Face folder, a .safetensors file, a GGUF file or a llama2.c .bin.
//
//   model_terrain PATH                  text tables on stdout
//   model_terrain PATH --json           the battery's JSON (model::to_json) on stdout
//   model_terrain PATH --html out.html  also a self-contained HTML report with plots
#include <algorithm>
#include <array>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <tessera/model/battery.hpp>
#include <tessera/model/checkpoint.hpp>

#include "cli.hpp"
#include "svg_plot.hpp"

namespace mdl = tessera::model;
using example::fmt;

namespace
{
    std::string layer_text(std::ptrdiff_t l) { return l < 0 ? "-" : std::to_string(l); }

    /// Up to `k` evenly spread indices of [0, n).
    std::vector<std::size_t> spread(std::size_t n, std::size_t k)
    {
        std::vector<std::size_t> out;
        for (std::size_t i = 0; i < std::min(n, k); ++i)
            out.push_back(n <= k ? i : i * (n - 1) / (k - 1));
        return out;
    }

    /// Mean of the off-diagonal entries, and of the (l, l+1) entries, of a cosine matrix.
    std::pair<double, double> cross_means(const xt::xtensor<double, 2>& c)
    {
        const std::size_t n = c.shape(0);
        double off = 0.0, adj = 0.0;
        for (std::size_t a = 0; a < n; ++a)
            for (std::size_t b = 0; b < n; ++b)
                off += a != b ? c(a, b) : 0.0;
        for (std::size_t a = 0; a + 1 < n; ++a)
            adj += c(a, a + 1);
        return {off / static_cast<double>(n * (n - 1)), adj / static_cast<double>(n - 1)};
    }

    void print_text(const mdl::checkpoint& ck, const mdl::battery_report& rep)
    {
        const auto& c = ck.config();
        std::printf("%s: %s, %s, %zu layers, hidden %zu, ffn %zu, %zu heads (%zu kv), vocab %zu, tied %s\n",
                    example::printable(ck.path()).c_str(), mdl::to_string(ck.format()),
                    c.architecture.empty() ? "architecture unknown" : example::printable(c.architecture).c_str(), c.n_layers, c.hidden, c.intermediate, c.n_heads,
                    c.n_kv_heads, c.vocab_size, c.tie_word_embeddings ? "yes" : "no");
        std::printf("\n%-52s %-10s %5s %-13s %8s %8s %8s %6s %10s %8s\n", "tensor", "role", "layer", "shape", "stable_r",
                    "PR", "eff_rank", "r90%", "cond", "sp@1e-3");
        for (const auto& t : rep.tensors)
        {
            const auto& m = t.metrics;
            std::string name = example::printable(t.name);
            if (name.size() > 52)  // a long name on a line of its own
            {
                std::printf("%s\n", name.c_str());
                name.clear();
            }
            std::printf("%-52s %-10s %5s %-13s %8.2f %8.1f %8.1f %6zu %10s %8.4f%s\n",
                        name.c_str(), mdl::to_string(t.role), layer_text(t.layer).c_str(),
                        tessera::shape_to_string(t.shape).c_str(), m.stable_rank, m.participation_ratio,
                        m.effective_rank, m.energy_rank, fmt(m.condition_number, 3).c_str(), m.sparsity[1],
                        m.status.ok() ? "" : ("  [" + std::string(tessera::to_string(m.status.code)) + "]").c_str());
        }
        for (const auto& s : rep.skipped)
            std::printf("%-52s skipped (stored type not decodable)\n", example::printable(s).c_str());
        if (!rep.layers.empty())
        {
            std::printf("\n%5s | %5s %9s %9s %8s %8s %8s | %7s %6s %6s %6s %10s %10s\n", "layer", "heads", "QK_sr", "QK_PR",
                        "asym", "pos_frac", "pos_mass", "neurons", "dead", "d_in", "d_out", "imp_mean", "imp_max");
            for (const auto& L : rep.layers)
            {
                std::printf("%5s |", layer_text(L.layer).c_str());
                if (L.has_qk)
                {
                    double sr = 0.0, pr = 0.0;
                    for (const auto& h : L.qk.heads)
                        sr += h.stable_rank / static_cast<double>(L.qk.heads.size()),
                            pr += h.participation_ratio / static_cast<double>(L.qk.heads.size());
                    std::printf(" %5zu %9.2f %9.2f %8.3f %8.3f %8.3f |", L.qk.n_heads, sr, pr, L.qk.mean_symmetry,
                                L.qk.positive_fraction, L.qk.positive_mass);
                }
                else
                    std::printf(" %5s %9s %9s %8s %8s %8s |", "-", "-", "-", "-", "-", "-");
                if (L.has_ffn)
                    std::printf(" %7zu %6zu %6zu %6zu %10.4g %10.4g\n", L.ffn.neurons, L.ffn.dead.size(),
                                L.ffn.dead_input, L.ffn.dead_output, xt::mean(L.ffn.importance)(),
                                xt::amax(L.ffn.importance)());
                else
                    std::printf(" %7s\n", "-");
            }
            std::printf("(QK_sr, QK_PR: mean over heads of the stable rank and participation ratio of W_Q,h^T W_K,g;\n"
                        " asym = mean over heads of ||M_h - M_h^T||_F / ||M_h||_F; pos_frac, pos_mass = fraction of positive\n"
                        " eigenvalues of the symmetric part of the layer's full M = W_Q^T W_K and their share of\n"
                        " sum |lambda|; imp = ||up_i|| ||down_:,i||)\n");
        }
        if (!rep.cross_layer.empty())
        {
            std::printf("\n%-11s %7s %14s %14s\n", "cross-layer", "layers", "mean cos", "adjacent cos");
            for (const auto& x : rep.cross_layer)
            {
                const auto [off, adj] = cross_means(x.cosine);
                std::printf("%-11s %7zu %14.4f %14.4f\n", mdl::to_string(x.role), x.layers.size(), off, adj);
            }
        }
        if (rep.has_embedding)
        {
            const auto& e = rep.embedding;
            std::printf("\nembedding %s: row norms %.4g +- %.4g, sampled cosine %.4f +- %.4f\n",
                        example::printable(rep.embedding_name).c_str(), e.row_norms.mean, e.row_norms.stddev,
                        e.cosine.mean, e.cosine.stddev);
            std::printf("  covariance participation ratio %.1f (%.3f of the width); pentachoron volume CV %.3f, "
                        "mean volume / Gaussian %.3f\n",
                        e.covariance_participation_ratio, e.covariance_participation_fraction, e.volume_cv,
                        e.gaussian_ratio);
            if (!e.tie.compared)
                std::printf("  output head: none of the embedding's shape\n");
            else if (e.tie.tied)
                std::printf("  output head: tied to the embedding\n");
            else
                std::printf("  output head: untied, matched-row cosine mean %.4f (min %.4f), ||E - H|| / ||E|| %.4f\n",
                            e.tie.matched_row_cosine_mean, e.tie.matched_row_cosine_min, e.tie.relative_difference);
        }
    }

    example::series line(std::string name, std::vector<double> x = {}, std::vector<double> y = {}, bool markers = true)
    {
        example::series s;
        s.name = std::move(name);
        s.x = std::move(x);
        s.y = std::move(y);
        s.markers = markers;
        return s;
    }

    std::vector<double> iota_x(std::size_t n)
    {
        std::vector<double> x(n);
        for (std::size_t i = 0; i < n; ++i)
            x[i] = static_cast<double>(i + 1);
        return x;
    }

    std::string html_report(const mdl::checkpoint& ck, const mdl::battery_report& rep)
    {
        example::html_page page("Weight terrain of " + example::printable(ck.path()));
        const auto& c = ck.config();
        page.paragraph(std::string(mdl::to_string(ck.format())) + ", " + example::printable(c.architecture) + ": " +
                       std::to_string(c.n_layers) + " layers, hidden " + std::to_string(c.hidden) + ", ffn " +
                       std::to_string(c.intermediate) + ", " + std::to_string(c.n_heads) + " heads (" +
                       std::to_string(c.n_kv_heads) + " kv), vocab " + std::to_string(c.vocab_size) + ", " +
                       std::to_string(rep.tensors.size()) + " 2-D weights.");
        std::map<mdl::tensor_role, std::vector<const mdl::tensor_row*>> by_role;
        for (const auto& t : rep.tensors)
            by_role[t.role].push_back(&t);
        auto role_color = [](mdl::tensor_role r) { return example::palette(static_cast<std::size_t>(r)); };

        page.heading("Singular-value spectra by weight type");
        page.paragraph("sigma_i / sigma_1 against i, for up to six layers spread over the depth.");
        for (const auto& [role, rows] : by_role)
        {
            example::plot p(std::string(mdl::to_string(role)) + " spectra", "index i", "sigma_i / sigma_1",
                            std::string("spectra_") + mdl::to_string(role), false, true);
            for (std::size_t k : spread(rows.size(), 6))
            {
                const auto& s = rows[k]->metrics.singular_values;
                auto ser = line(rows[k]->layer >= 0 ? "layer " + std::to_string(rows[k]->layer)
                                                    : example::printable(rows[k]->name),
                                iota_x(s.size()), {}, s.size() <= 64);
                for (double v : s)
                    ser.y.push_back(s(0) > 0.0 ? v / s(0) : 0.0);
                p.lines.push_back(std::move(ser));
            }
            page.add(p);
        }

        page.heading("Stable rank and sparsity by layer");
        example::plot sr("Stable rank by layer", "layer", "||W||_F^2 / sigma_1^2", "stable_rank", false, true);
        example::plot hist("Magnitude histogram by weight type", "upper edge of the |w| bin (1: |w| >= 0.1)", "fraction of weights in the bin",
                           "sparsity", true, false);
        const double edges[5] = {1e-4, 1e-3, 1e-2, 1e-1, 1.0};
        for (const auto& [role, rows] : by_role)
        {
            auto s = line(mdl::to_string(role));
            std::array<double, 5> bins{};  // |w| < 1e-4, [1e-4, 1e-3), ..., >= 1e-1; mean over the tensors
            for (const auto* t : rows)
            {
                if (t->layer >= 0)
                    s.x.push_back(static_cast<double>(t->layer)), s.y.push_back(t->metrics.stable_rank);
                const auto& sp = t->metrics.sparsity;
                for (std::size_t b = 0; b < 5; ++b)
                    bins[b] += ((b < 4 ? sp[b] : 1.0) - (b ? sp[b - 1] : 0.0)) / static_cast<double>(rows.size());
            }
            s.color = role_color(role);
            if (!s.x.empty())
                sr.lines.push_back(std::move(s));
            hist.lines.push_back(line(mdl::to_string(role), std::vector<double>(edges, edges + 5),
                                      std::vector<double>(bins.begin(), bins.end())));
            hist.lines.back().color = role_color(role);
        }
        page.add(sr);
        page.add(hist);
        page.paragraph("The histogram's last point (x = 1) is the fraction with |w| >= 0.1.");

        if (!rep.layers.empty())
        {
            page.heading("QK^T circuits");
            page.paragraph("Singular values of M_h = W_Q,h^T W_K,g per head (normalized by the largest of the layer), "
                           "and per layer the mean asymmetry ||M_h - M_h^T||_F / ||M_h||_F over heads and the positive mass of the "
                           "layer's full M = W_Q^T W_K (sum of the positive eigenvalues of (M + M^T) / 2 over the sum of "
                           "their magnitudes; 0.5 is balanced).");
            std::vector<const mdl::layer_row*> qk;
            for (const auto& L : rep.layers)
                if (L.has_qk)
                    qk.push_back(&L);
            for (std::size_t k : spread(qk.size(), 3))
            {
                const auto& L = *qk[k];
                example::plot p("QK^T spectra, layer " + std::to_string(L.layer), "index i", "sigma_i / max sigma_1",
                                "qk_" + std::to_string(L.layer), false, true);
                double top = 0.0;
                for (const auto& h : L.qk.heads)
                    top = std::max(top, h.singular_values.size() ? h.singular_values(0) : 0.0);
                for (const auto& h : L.qk.heads)
                {
                    auto s = line("head " + std::to_string(h.head), iota_x(h.singular_values.size()), {}, false);
                    for (double v : h.singular_values)
                        s.y.push_back(top > 0.0 ? v / top : 0.0);
                    p.lines.push_back(std::move(s));
                }
                page.add(p);
            }
            example::plot sym("QK^T asymmetry and sign balance by layer", "layer", "value", "qk_symmetry");
            auto a = line("asymmetry"), f = line("positive mass");
            for (const auto* L : qk)
            {
                a.x.push_back(static_cast<double>(L->layer)), a.y.push_back(L->qk.mean_symmetry);
                f.x.push_back(static_cast<double>(L->layer)), f.y.push_back(L->qk.positive_mass);
            }
            sym.lines = {a, f};
            page.add(sym);

            page.heading("FFN neuron importance");
            page.paragraph("||up_i|| ||down_:,i|| sorted in decreasing order, for up to six layers.");
            std::vector<const mdl::layer_row*> ffn;
            for (const auto& L : rep.layers)
                if (L.has_ffn)
                    ffn.push_back(&L);
            example::plot imp("Neuron importance", "neuron rank", "importance", "importance", false, true);
            for (std::size_t k : spread(ffn.size(), 6))
            {
                std::vector<double> v(ffn[k]->ffn.importance.begin(), ffn[k]->ffn.importance.end());
                std::sort(v.rbegin(), v.rend());
                imp.lines.push_back(line("layer " + std::to_string(ffn[k]->layer) + " (" +
                                             std::to_string(ffn[k]->ffn.dead.size()) + " dead)",
                                         iota_x(v.size()), v, false));
            }
            page.add(imp);
        }

        if (!rep.cross_layer.empty())
        {
            page.heading("Cross-layer cosine");
            page.paragraph("Cosine of the flattened weights of every pair of layers, per weight type (scale -1 to 1).");
            for (const auto& x : rep.cross_layer)
            {
                example::heatmap h;
                h.title = mdl::to_string(x.role);
                h.id = std::string("cross_") + mdl::to_string(x.role);
                h.lo = -1.0;
                h.cell = std::max(6, std::min(28, 432 / static_cast<int>(x.layers.size())));
                for (std::size_t a = 0; a < x.layers.size(); ++a)
                {
                    h.row_labels.push_back(std::to_string(x.layers[a]));
                    h.values.emplace_back(x.cosine.data() + a * x.layers.size(), x.cosine.data() + (a + 1) * x.layers.size());
                }
                h.col_labels = h.row_labels;
                page.add(h);
            }
        }

        std::vector<std::vector<std::string>> rows;
        for (const auto& t : rep.tensors)
            rows.push_back({example::printable(t.name), mdl::to_string(t.role), layer_text(t.layer),
                            tessera::shape_to_string(t.shape), fmt(t.metrics.stable_rank, 4),
                            fmt(t.metrics.participation_ratio, 4), fmt(t.metrics.effective_rank, 4),
                            std::to_string(t.metrics.energy_rank), fmt(t.metrics.condition_number, 3),
                            fmt(t.metrics.sparsity[1], 3)});
        if (rep.has_embedding)
        {
            const auto& e = rep.embedding;
            page.heading("Embedding");
            page.table({"tensor", "row norm mean", "row norm std", "cosine mean", "cosine std", "cov. PR",
                        "volume CV", "volume / Gaussian", "head"},
                       {{example::printable(rep.embedding_name), fmt(e.row_norms.mean, 4), fmt(e.row_norms.stddev, 4),
                         fmt(e.cosine.mean, 4), fmt(e.cosine.stddev, 4), fmt(e.covariance_participation_ratio, 4),
                         fmt(e.volume_cv, 4), fmt(e.gaussian_ratio, 4),
                         !e.tie.compared ? "none" : e.tie.tied ? "tied" : "untied, cos " + fmt(e.tie.matched_row_cosine_mean, 3)}});
        }
        page.heading("Every weight");
        page.table({"tensor", "role", "layer", "shape", "stable rank", "PR", "eff. rank", "90% rank", "cond",
                    "sparsity@1e-3"},
                   rows);
        return page.str();
    }
}  // namespace

int main(int argc, char** argv)
{
    return example::cli::run("model_terrain", [&] {
        std::string path, html;
        bool json = false, quiet = false;
        example::cli cli("model_terrain",
                         "The weight terrain of a checkpoint: spectra, sparsity, QK^T circuits, FFN neurons, cross-layer\n"
                         "similarity and the embedding of every 2-D weight (tessera::model::run_battery).");
        cli.positional("PATH", path, "Hugging Face folder, .safetensors, .gguf or llama2.c .bin");
        cli.add("--json", json, "print the battery's JSON instead of the tables");
        cli.add("--html", html, "also write a self-contained HTML report with plots", "FILE");
        cli.add("--quiet", quiet, "no progress bar on stderr");
        if (!cli.parse(argc, argv))
            return 0;
        if (path.empty())
            throw example::usage_error("PATH is required");
        const mdl::checkpoint ck(path);
        mdl::battery_options options;
        std::unique_ptr<example::progress> bar;
        if (!quiet)
            options.progress = [&bar](std::size_t done, std::size_t total, const std::string&) {
                if (!bar)
                    bar = std::make_unique<example::progress>("battery", total);
                bar->tick();
                if (done == total)
                    bar.reset();
            };
        const auto rep = mdl::run_battery(ck, options);
        if (json)
            std::cout << mdl::to_json(rep).dump(2) << "\n";
        else
            print_text(ck, rep);
        if (!html.empty())
        {
            example::write_text_file(html, html_report(ck, rep));
            std::cerr << "model_terrain: wrote " << html << "\n";
        }
        return 0;
    });
}
