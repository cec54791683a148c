// vocab_factorization: what do a model's tensor dimensions factor into, and what would a
// factorized embedding cost? (seed 000). Prime factorization of the vocabulary and width
// (RoBERTa's 50265 = 3 * 3 * 5 * 1117), parameter counts of factorized embeddings for chosen
// factor groupings (a token is a tuple of sub-token ids, e.g. 9 x 5 x 1117, each with its own
// table; vectors summed or concatenated), and TT-matrix shape suggestions for the [vocab, dim] table.
#include <cstdio>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <tessera/tessera.hpp>

#include "cli.hpp"
#include "data.hpp"

using nlohmann::json;

int main(int argc, char** argv)
{
    return example::cli::run("vocab_factorization", [&] {
        std::size_t vocab = 50265, dim = 768, rank = 16;
        std::string input, groupings = "9x5x1117,45x1117,15x3351";
        std::vector<std::size_t> cores{2, 3, 4};
        bool as_json = false;
        example::cli cli("vocab_factorization", "Prime factors of a model's dimensions, factorized-embedding "
                                                "parameter counts, and TT-matrix shapes for its embedding table.");
        constexpr std::size_t max_size = std::size_t(1) << 32;  // sizes beyond any embedding table
        cli.add("--vocab", vocab, "vocabulary size (rows of the embedding)", "N", std::size_t(1), max_size);
        cli.add("--dim", dim, "embedding width", "N", std::size_t(1), max_size);
        cli.add("--input", input, "take vocab and dim from this matrix instead", "PATH");
        cli.add("--groupings", groupings, "factor groupings of the vocabulary, comma separated (AxBxC)", "G,G");
        cli.add("--cores", cores, "TT-matrix core counts to suggest shapes for", "A,B,..", std::size_t(1), std::size_t(16));
        cli.add("--rank", rank, "TT rank at which shapes are compared", "N", std::size_t(1), std::size_t(1) << 16);
        cli.add("--json", as_json, "print results as JSON");
        if (!cli.parse(argc, argv))
            return 0;
        if (!input.empty())
        {
            const auto e = example::load_embeddings(input);
            vocab = e.matrix.shape(0), dim = e.matrix.shape(1);
        }
        const double dense = double(vocab) * double(dim);
        json out{{"vocab", vocab}, {"dim", dim}, {"dense_params", dense},
                 {"vocab_prime_factors", tessera::tt::prime_factors(vocab)},
                 {"dim_prime_factors", tessera::tt::prime_factors(dim)},
                 {"vocab_next_smooth", tessera::tt::next_smooth(vocab, 7)}, {"groupings", json::array()},
                 {"tt_shapes", json::array()}};

        std::stringstream list(groupings);
        for (std::string g; std::getline(list, g, ',');)
        {
            const auto f = example::cli::list<std::size_t>("--groupings", g, 1, max_size, 'x');
            std::size_t product = 1, sum = 0;
            for (auto x : f)
            {
                if (product > max_size / x)  // covers more than any vocabulary: refuse, never wrap
                    throw example::usage_error("--groupings expects factors whose product is at most " +
                                               std::to_string(max_size) + ", got '" + example::printable(g) + "'");
                product *= x, sum += x;
            }
            // sum: each sub-token has a full-width vector, added; concat: width dim / parts each.
            const double summed = double(sum) * double(dim);  // sum <= 32 * 2^32: exact
            const double concat = double(sum) * double(dim) / double(f.size());
            out["groupings"].push_back({{"grouping", g}, {"factors", f}, {"covers", product},
                                        {"exact", product == vocab}, {"params_sum", summed},
                                        {"params_concat", concat}, {"fraction_sum", summed / dense},
                                        {"fraction_concat", concat / dense}});
        }
        tessera::tt::tt_shape_options so;
        so.rank = rank;
        so.max_results = 3;
        for (std::size_t d : cores)
            for (const auto& s : tessera::tt::tt_shape_suggestions(vocab, dim, d, so))
                out["tt_shapes"].push_back({{"cores", d}, {"row_modes", s.row_modes}, {"col_modes", s.col_modes},
                                            {"padded_rows", s.rows}, {"padded_cols", s.cols}, {"params", s.params},
                                            {"fraction", s.param_fraction}});
        if (as_json)
        {
            std::cout << out.dump(1) << "\n";
            return 0;
        }
        auto factors = [](const json& f) {
            std::string s;
            for (const auto& x : f)
                s += (s.empty() ? "" : " x ") + std::to_string(x.get<std::size_t>());
            return s.empty() ? std::string("1") : s;
        };
        std::printf("vocab %zu = %s   (next 7-smooth size: %zu)\n", vocab, factors(out["vocab_prime_factors"]).c_str(),
                    out["vocab_next_smooth"].get<std::size_t>());
        std::printf("dim   %zu = %s\nembedding table: %.0f parameters\n\n", dim, factors(out["dim_prime_factors"]).c_str(),
                    dense);
        std::printf("%-14s %8s %6s %14s %9s %14s %9s\n", "grouping", "covers", "exact", "params (sum)", "fraction",
                    "params (cat)", "fraction");
        for (const auto& g : out["groupings"])
            std::printf("%-14s %8zu %6s %14.0f %9.5f %14.0f %9.5f\n", g["grouping"].get<std::string>().c_str(),
                        g["covers"].get<std::size_t>(), g["exact"].get<bool>() ? "yes" : "no",
                        g["params_sum"].get<double>(), g["fraction_sum"].get<double>(), g["params_concat"].get<double>(),
                        g["fraction_concat"].get<double>());
        std::printf("\nTT-matrix shapes at rank %zu (fewest parameters first):\n", rank);
        for (const auto& s : out["tt_shapes"])
            std::printf("  %zu cores  rows %-22s cols %-16s padded %zu x %zu  params %zu (%.5f)\n",
                        s["cores"].get<std::size_t>(), s["row_modes"].dump().c_str(), s["col_modes"].dump().c_str(),
                        s["padded_rows"].get<std::size_t>(), s["padded_cols"].get<std::size_t>(),
                        s["params"].get<std::size_t>(), s["fraction"].get<double>());
        return 0;
    });
}
