// Loads real word vectors -- the fetched 341,479-word GloVe matrix when scripts/fetch_data.sh
// has run, else the bundled 10,000-word float16 default -- and prints each query word's five
// nearest neighbours by cosine similarity.   io_nearest [word ...]
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <tessera/io.hpp>

int main(int argc, char** argv)
{
    try
    {
        namespace io = tessera::io;
        const char* env = std::getenv("TESSERA_DATA_DIR");
        std::string base = std::string(env && *env ? env : "data") + "/glove100d";
        if (!std::filesystem::exists(base + ".npy"))
            base = std::string(TESSERA_EXAMPLES_DATA) + "/glove100d_top10k";  // bundled default
        const xt::xtensor<float, 2> m = io::read_npy<float>(base + ".npy");  // float16 widens exactly
        const io::vocabulary vocab = io::read_words(base + ".words");
        std::cout << base << ": " << m.shape()[0] << " words x " << m.shape()[1] << " dims\n";

        const std::size_t n = m.shape()[0], d = m.shape()[1];
        std::vector<double> norm(n);
        for (std::size_t i = 0; i < n; ++i)
        {
            double s = 0;
            for (std::size_t j = 0; j < d; ++j)
                s += double(m(i, j)) * m(i, j);
            norm[i] = std::sqrt(s);
        }
        std::vector<std::string> queries(argv + 1, argv + argc);
        if (queries.empty())
            queries = {"king", "france", "computer"};
        for (const auto& q : queries)
        {
            const auto row = vocab.find(q);
            if (!row)
            {
                std::cout << q << ": not in the vocabulary\n";
                continue;
            }
            std::vector<std::pair<double, std::size_t>> sims;
            for (std::size_t i = 0; i < n; ++i)
            {
                double s = 0;
                for (std::size_t j = 0; j < d; ++j)
                    s += double(m(i, j)) * m(*row, j);
                if (i != *row)
                    sims.emplace_back(-s / (norm[i] * norm[*row] + 1e-300), i);
            }
            std::partial_sort(sims.begin(), sims.begin() + 5, sims.end());
            std::cout << q << ":";
            for (std::size_t k = 0; k < 5; ++k)
                std::cout << ' ' << vocab.words[sims[k].second] << " (" << -sims[k].first << ')';
            std::cout << '\n';
        }
        return 0;
    }
    catch (const std::exception& e)
    {
        std::cerr << "io_nearest: " << e.what() << '\n';
        return 1;
    }
}
