#pragma once
// Loading any matrix the io module reads, for the example programs: .npy (with a .words file
// beside it when present), .safetensors (--tensor NAME), GloVe text, word2vec text (.vec) and
// binary (.bin).
#include <filesystem>
#include <string>
#include <vector>

#include <tessera/io.hpp>

#include "cli.hpp"

namespace example
{
    struct embeddings
    {
        std::string source;                 ///< path (and tensor) it came from
        xt::xtensor<float, 2> matrix;       ///< [rows, dim]
        tessera::io::vocabulary words;      ///< row labels (words.words[i] is row i); empty when none
    };

    inline bool ends_with(const std::string& s, const std::string& suffix)
    {
        return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
    }

    /// Reads `path`; `tensor` names the matrix inside a .safetensors file; `words_path`
    /// overrides the vocabulary file (default: <path without .npy>.words when it exists).
    inline embeddings load_embeddings(const std::string& path, const std::string& tensor = "",
                                      const std::string& words_path = "")
    {
        namespace io = tessera::io;
        if (!std::filesystem::exists(path))
            throw std::runtime_error("cannot read " + path + ": no such file (expected a .npy, .safetensors, "
                                     "GloVe or word2vec file)");
        embeddings e;
        e.source = path;
        if (ends_with(path, ".npy"))
        {
            e.matrix = io::read_npy<float, 2>(path);
            std::string wp = words_path;
            if (wp.empty())
            {
                const std::string beside = path.substr(0, path.size() - 4) + ".words";
                if (std::filesystem::exists(beside))
                    wp = beside;
            }
            if (!wp.empty())
                e.words = io::read_words(wp);
        }
        else if (ends_with(path, ".safetensors"))
        {
            const io::safetensors_file f(path);
            if (tensor.empty())
            {
                std::string names;
                for (const auto& t : f.tensors())
                    names += "\n  " + printable(t.name) + " " + tessera::shape_to_string(t.shape);
                throw usage_error(path + " holds several tensors; choose one with --tensor NAME:" + names);
            }
            e.matrix = f.read_matrix<float>(tensor);
            e.source += ":" + tensor;
            if (!words_path.empty())
                e.words = io::read_words(words_path);
        }
        else
        {
            io::word_vectors<float> wv = ends_with(path, ".bin")   ? io::read_word2vec_binary<float>(path)
                                         : ends_with(path, ".vec") ? io::read_word2vec_text<float>(path)
                                                                   : io::read_glove_text<float>(path);
            e.matrix = std::move(wv.vectors);
            e.words = std::move(wv.vocab);
        }
        if (e.words.size() != 0 && e.words.size() != e.matrix.shape(0))
            throw std::runtime_error(e.source + ": its vocabulary has " + std::to_string(e.words.size()) +
                                     " words but the matrix has " + std::to_string(e.matrix.shape(0)) +
                                     " rows (expected one word per row)");
        return e;
    }
}  // namespace example
