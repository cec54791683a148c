// transformer_compression: does a language model still talk after its matrices are compressed?
// (seeds 002 and 004). Reads a llama2.c checkpoint, runs its forward pass in C++, compresses
// chosen matrices -- the token embedding (= classifier) by SVD rank or random projection, the
// FFN matrices by TT-matrix bond dimension, every linear layer ternary -- and reports per-matrix
// error, bytes, the next-token KL divergence from the original model on sequences it generates,
// greedy top-1 agreement, and the greedy text side by side.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>

#include <nlohmann/json.hpp>
#include <tessera/tessera.hpp>

#include "cli.hpp"
#include "compressors.hpp"

namespace tc = tessera::compress;
namespace mdl = tessera::model;
using nlohmann::json;

int main(int argc, char** argv)
{
    return example::cli::run("transformer_compression", [&] {
        // Default: ../shared/data/stories260K beside the checkout (examples/data -> repo -> its parent).
        std::string model = (example::shared_dir() / "stories260K/stories260K.bin").string();
        std::string tokenizer;
        std::vector<std::size_t> ranks{8, 16, 32}, ks{32}, bonds{4, 8, 16}, groups{32, 64};
        std::size_t steps = 128, samples = 3, tt_cores = 2, text_chars = 160;
        std::uint64_t seed = 0;
        bool as_json = false;
        example::cli cli("transformer_compression", "Compress the matrices of a llama2.c model and measure how far "
                                                    "its next-token predictions and greedy text drift.");
        cli.add("--model", model, "llama2.c checkpoint (legacy v0 format)", "PATH");
        cli.add("--tokenizer", tokenizer, "tokenizer .bin (default: tok<vocab>.bin or tokenizer.bin beside the model)", "PATH");
        const std::size_t one = 1, big = std::size_t(1) << 20;
        cli.add("--embed-ranks", ranks, "SVD ranks for the token embedding / classifier", "A,B,..", one, big);
        cli.add("--embed-k", ks, "random projection dimensions for the token embedding", "A,B,..", one, big);
        cli.add("--ffn-bonds", bonds, "TT-matrix bond dimensions for every FFN matrix (w1, w2, w3)", "A,B,..", one, big);
        cli.add("--tt-cores", tt_cores, "TT-matrix cores", "N", one, std::size_t(16));
        cli.add("--ternary-groups", groups, "ternary group sizes for every linear layer", "A,B,..", one, big);
        cli.add("--steps", steps, "tokens per evaluation sequence", "N", one, big);
        cli.add("--samples", samples, "sequences sampled at temperature 1 (plus the greedy one)", "N", std::size_t(0),
                std::size_t(1000));
        cli.add("--seed", seed, "seed of sampling and projections");
        cli.add("--json", as_json, "print results as JSON");
        if (!cli.parse(argc, argv))
            return 0;
        if (!std::filesystem::exists(model))
            throw std::runtime_error("cannot read " + model + ": no such file (expected a llama2.c checkpoint; "
                                     "stories260K lives in ../shared/data)");
        const auto original = mdl::read_llama2_checkpoint<float>(model);
        const auto original_model = mdl::llama2_view(original);  // the forward pass over it, no copy
        const auto dir = std::filesystem::path(model).parent_path();
        if (tokenizer.empty())
            tokenizer = (dir / ("tok" + std::to_string(original.config.vocab_size) + ".bin")).string();
        if (!std::filesystem::exists(tokenizer))
            tokenizer = (dir / "tokenizer.bin").string();
        const auto tok = mdl::read_llama2_tokenizer(tokenizer, original.config.vocab_size);

        // Evaluation sequences: the greedy continuation from BOS and `samples` sampled ones.
        std::vector<std::vector<int>> sequences{mdl::generate_greedy(original_model, steps)};
        for (std::size_t s = 0; s < samples; ++s)
            sequences.push_back(mdl::generate_sampled(original_model, steps, 1.0, seed + s));
        const std::string reference = tok.decode(sequences[0]);

        // Each configuration: which matrices, compressed how.
        struct config
        {
            std::string name;
            std::function<bool(const std::string&)> selects;
            std::function<example::approximation(const xt::xtensor<float, 2>&)> compress;
        };
        auto is_ffn = [](const std::string& m) {  // layers.<l>.w1, .w2, .w3
            return m.size() > 3 && m.compare(m.size() - 3, 2, ".w") == 0 && m.back() >= '1' && m.back() <= '3';
        };
        std::vector<config> configs{{"uncompressed", [](const std::string&) { return false; }, nullptr}};
        for (std::size_t r : ranks)
            configs.push_back({"embedding svd rank=" + std::to_string(r), [](auto& m) { return m == "token_embedding"; },
                               [r](auto& W) { return example::svd(W, r); }});
        for (std::size_t k : ks)
            configs.push_back({"embedding projection k=" + std::to_string(k), [](auto& m) { return m == "token_embedding"; },
                               [k, seed](auto& W) { return example::projection(W, k, seed); }});
        for (std::size_t b : bonds)
            configs.push_back({"ffn tt bond=" + std::to_string(b), is_ffn,
                               [b, tt_cores](auto& W) { return example::tensor_train(W, tt_cores, b); }});
        for (std::size_t g : groups)
            configs.push_back({"all linear ternary group=" + std::to_string(g),
                               [](auto& m) { return m != "token_embedding"; },
                               [g](auto& W) { return example::ternary(W, g); }});

        json out{{"model", model}, {"config", {{"dim", original.config.dim}, {"layers", original.config.n_layers},
                                               {"vocab", original.config.vocab_size}}},
                 {"sequences", sequences.size()}, {"steps", steps}, {"reference_text", reference}, {"results", json::array()}};
        example::progress bar("configs", configs.size());
        tc::report_options ro;  // error and bytes only: no neighbours or pairs for weight matrices
        ro.neighbours = false;
        ro.pairs = 0;
        for (const auto& c : configs)
        {
            auto w = original;
            std::size_t bytes = 0, dense = 0;
            json mats = json::array();
            for (const auto& name : original.matrix_names())
            {
                const auto& W = original.matrix(name);
                dense += W.size() * sizeof(float);
                if (!c.selects(name))
                {
                    bytes += W.size() * sizeof(float);
                    continue;
                }
                const auto a = c.compress(W);
                const auto q = tc::compression_report(W, a.matrix, std::uint64_t(a.bytes), ro);
                mats.push_back({{"matrix", name}, {"rel_error", q.relative_frobenius_error}, {"bytes", a.bytes},
                                {"ratio", q.compression_ratio}});
                w.matrix(name) = a.matrix;
                bytes += a.bytes;
            }
            const auto compressed = mdl::llama2_view(w);
            const auto div = mdl::next_token_divergence(original_model, compressed, sequences);
            const std::string text = tok.decode(mdl::generate_greedy(compressed, steps));
            out["results"].push_back({{"name", c.name}, {"weight_bytes", bytes}, {"ratio", double(dense) / double(bytes)},
                                      {"mean_kl", div.mean_kl}, {"max_kl", div.max_kl},
                                      {"top1_agreement", div.top1_agreement}, {"positions", div.positions},
                                      {"greedy_text", text}, {"same_text", text == reference}, {"matrices", mats}});
            bar.tick();
        }
        if (as_json)
        {
            std::cout << out.dump(1) << "\n";
            return 0;
        }
        std::printf("%s: dim %zu, %zu layers, vocab %zu; KL over %zu positions of %zu sequences\n\n",
                    example::printable(model).c_str(),
                    original.config.dim, original.config.n_layers, original.config.vocab_size,
                    out["results"][0]["positions"].get<std::size_t>(), sequences.size());
        std::printf("%-30s %10s %7s %10s %8s  %s\n", "configuration", "bytes", "ratio", "mean KL", "top-1", "max rel err");
        for (const auto& r : out["results"])
        {
            double worst = 0;
            for (const auto& m : r["matrices"])
                worst = std::max(worst, m["rel_error"].get<double>());
            std::printf("%-30s %10zu %7.2f %10.5f %8.3f  %.4f\n", r["name"].get<std::string>().c_str(),
                        r["weight_bytes"].get<std::size_t>(), r["ratio"].get<double>(), r["mean_kl"].get<double>(),
                        r["top1_agreement"].get<double>(), worst);
        }
        std::printf("\ngreedy text (first %zu characters):\n", text_chars);
        for (const auto& r : out["results"])
        {
            std::string t = r["greedy_text"].get<std::string>().substr(0, text_chars);
            std::replace(t.begin(), t.end(), '\n', ' ');  // decoded tokens come from the file: escaped
            std::printf("  %-30s | %s\n", r["name"].get<std::string>().c_str(), example::printable(t).c_str());
        }
        return 0;
    });
}
