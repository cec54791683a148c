// Loads real word vectors -- the fetched 341,479-word GloVe matrix when scripts/fetch_data.sh
// has run, else the bundled 10,000-word float16 default -- and prints each query word's five
// nearest neighbours by cosine similarity (stats::knn).   io_nearest [--input M.npy] [word ...]
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <tessera/stats/knn.hpp>
#include <xtensor/xview.hpp>

#include "cli.hpp"
#include "data.hpp"

int main(int argc, char** argv)
{
    return example::cli::run("io_nearest", [&] {
        std::string input = (example::fetched_dir() / "glove100d.npy").string();
        if (!std::filesystem::exists(input))
            input = example::default_embeddings();
        std::string words;
        std::vector<std::string> queries;
        std::size_t k = 5;
        example::cli cli("io_nearest", "Nearest neighbours of words by cosine similarity.");
        cli.add("--input", input, "matrix: .npy (+ .words beside it), .safetensors, GloVe/word2vec text", "PATH");
        cli.add("--words", words, "vocabulary file, one word per row (default: .words beside a .npy)", "PATH");
        cli.add("--k", k, "neighbours per word", "N", std::size_t(1), std::size_t(1000));
        cli.rest("WORD", queries, "query words (default: king france computer)");
        if (!cli.parse(argc, argv))
            return 0;
        const auto e = example::load_embeddings(input, "", words);  // checks one word per row
        const auto& m = e.matrix;  // float16 widens exactly
        if (e.words.size() == 0)
            throw std::runtime_error(e.source + ": no vocabulary (expected a .words file beside it, or --words)");
        std::cout << example::printable(e.source) << ": " << m.shape(0) << " words x " << m.shape(1) << " dims\n";
        if (queries.empty())
            queries = {"king", "france", "computer"};
        for (const auto& q : queries)
        {
            const auto row = e.words.find(q);
            if (!row)
            {
                std::cout << example::printable(q) << ": not in the vocabulary\n";
                continue;
            }
            tessera::stats::knn_options o;
            o.k = std::min(k + 1, m.shape(0));  // the word itself comes back among them
            const xt::xtensor<float, 2> query = xt::view(m, xt::range(*row, *row + 1), xt::all());
            const auto r = tessera::stats::knn(query, m, o);
            std::cout << example::printable(q) << ":";
            for (std::size_t j = 0, shown = 0; j < o.k && shown < k; ++j)
                if (r.indices(0, j) != *row)
                {
                    std::cout << ' ' << example::printable(e.words.words[r.indices(0, j)]) << " (" << r.scores(0, j) << ')';
                    ++shown;
                }
            std::cout << '\n';
        }
        return 0;
    });
}
