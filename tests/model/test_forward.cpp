// model::llama_model / llama_runner on stories260K: the llama2.c .bin, the Hugging Face folder
// and the GGUF file written by scripts/write_stories_checkpoints.py give identical tensors and
// bitwise identical logits; greedy decoding reproduces the published sample; compressed operators
// (low rank, TT, ternary) run as stored and equal the forward pass on their densified matrices.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/compress/llama2.hpp>
#include <tessera/compress/llama2_tokenizer.hpp>
#include <tessera/model/divergence.hpp>
#include <tessera/model/forward.hpp>
#include <tessera/model/llama.hpp>
#include <tessera/spectral/truncated_svd.hpp>
#include <tessera/ternary/pack.hpp>
#include <tessera/tt/tt_matrix.hpp>

#include "test_support.hpp"

namespace fs = std::filesystem;
namespace mdl = tessera::model;
namespace tc = tessera::compress;

namespace
{
    const char* reference_text =
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she "
        "saw a big, red ball. She wanted to play with it, but it was too high";

    /// Runs `args` of scripts/write_stories_checkpoints.py; false (and a recorded skip) without python3.
    bool run_script(const std::string& args)
    {
        if (!fs::exists("/usr/bin/python3"))
        {
            MESSAGE("skipped: /usr/bin/python3 (with numpy) is needed to write the checkpoints");
            tessera_test::record_skip("/usr/bin/python3 (with numpy), needed to write the checkpoints");
            return false;
        }
        const std::string cmd = "/usr/bin/python3 " + std::string(TESSERA_SOURCE_DIR) +
                                "/scripts/write_stories_checkpoints.py " + args + " > /dev/null";
        REQUIRE(std::system(cmd.c_str()) == 0);
        return true;
    }

    fs::path temp_path(const std::string& name)
    {
        const fs::path p = fs::temp_directory_path() / ("tessera_forward_" + name);
        fs::remove_all(p);
        return p;
    }

    /// Logits of `tokens` fed from position 0, concatenated.
    template <class T>
    std::vector<T> logits_of(const mdl::llama_model<T>& m, const std::vector<int>& tokens)
    {
        mdl::llama_runner<T> run(m);
        std::vector<T> out;
        for (std::size_t pos = 0; pos < tokens.size(); ++pos)
        {
            const auto& z = run.forward(tokens[pos], pos);
            out.insert(out.end(), z.begin(), z.end());
        }
        return out;
    }

    template <class T>
    double max_rel(const std::vector<T>& a, const std::vector<T>& b)
    {
        double d = 0, s = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
        {
            d = std::max(d, std::abs(double(a[i]) - double(b[i])));
            s = std::max(s, std::abs(double(b[i])));
        }
        return d / s;
    }

    const std::vector<int> probe = {1, 403, 407, 261, 378, 275, 2, 101, 7, 400, 511, 0, 33};
}  // namespace

TEST_CASE_TEMPLATE("stories260K read as llama2.c, HF folder and GGUF: identical tensors and logits", T, float, double)
{
    const auto bin = tessera_test::shared_data("stories260K/stories260K.bin");
    TESSERA_SKIP_IF_MISSING(bin, "../shared/data/stories260K");
    const fs::path hf = temp_path("hf"), gguf = temp_path("stories.gguf");
    if (!run_script("--bin " + bin.string() + " --out " + hf.string()) ||
        !run_script("--bin " + bin.string() + " --gguf " + gguf.string()))
        return;
    const mdl::checkpoint cb(bin.string()), ch(hf.string()), cg(gguf.string());
    CHECK(cg.format() == mdl::checkpoint_format::gguf);
    CHECK(cg.config().max_positions == 512);
    const auto a = mdl::load_llama<T>(cb), b = mdl::load_llama<T>(ch), c = mdl::load_llama<T>(cg);
    const auto w = tc::read_llama2_checkpoint<T>(bin.string());
    for (const auto* m : {&a, &b, &c})
    {
        CHECK(m->config.dim == 64);
        CHECK(m->config.n_kv_heads == 4);
        CHECK(m->config.seq_len == 512);
        CHECK(m->config.shared_classifier);
        CHECK(*m->token_embedding == w.token_embedding);
        CHECK(m->rms_final == w.rms_final);
        CHECK(m->rope_cos == a.rope_cos);
        CHECK(m->rope_sin == a.rope_sin);
        CHECK(m->storage_bytes() == 264128 * sizeof(T) - 2 * 512 * 4 * sizeof(T));  // all but the rope tables
        for (std::size_t l = 0; l < 5; ++l)
        {
            const auto& y = m->layers[l];
            const auto& r = w.layers[l];
            CHECK(y.wq.densify() == r.wq);  // the HF q/k row permutation undone
            CHECK(y.wk.densify() == r.wk);
            CHECK(y.wv.densify() == r.wv);
            CHECK(y.wo.densify() == r.wo);
            CHECK(y.w1.densify() == r.w1);
            CHECK(y.w2.densify() == r.w2);
            CHECK(y.w3.densify() == r.w3);
            CHECK(y.rms_att == r.rms_att);
            CHECK(y.rms_ffn == r.rms_ffn);
        }
    }
    // The file's float32-angle rotary tables agree with the double-computed ones to ~2e-6.
    CHECK(xt::amax(xt::abs(xt::cast<double>(a.rope_cos) - xt::cast<double>(w.freq_cis_real)))() < 5e-6);
    CHECK(xt::amax(xt::abs(xt::cast<double>(a.rope_sin) - xt::cast<double>(w.freq_cis_imag)))() < 5e-6);
    // Same tensors and tables => bitwise the same logits.
    const auto la = logits_of(a, probe);
    CHECK(la == logits_of(b, probe));
    CHECK(la == logits_of(c, probe));
    // And the compress:: runner (the same forward pass on the file's own rotary tables) to rounding.
    const auto lw = logits_of(mdl::llama2_view(w), probe);
    CHECK(max_rel(la, lw) < (std::is_same_v<T, float> ? 1e-4 : 1e-5));
    {
        tc::llama2_runner<T> run(w);
        std::vector<T> lr;
        for (std::size_t pos = 0; pos < probe.size(); ++pos)
        {
            const auto& z = run.forward(probe[pos], pos);
            lr.insert(lr.end(), z.begin(), z.end());
        }
        CHECK(lr == lw);
    }
}

TEST_CASE("greedy decoding from BOS of the GGUF and HF readings prints the reference sample")
{
    const auto bin = tessera_test::shared_data("stories260K/stories260K.bin");
    const auto tokfile = tessera_test::shared_data("stories260K/tok512.bin");
    TESSERA_SKIP_IF_MISSING(bin, "../shared/data/stories260K");
    TESSERA_SKIP_IF_MISSING(tokfile, "../shared/data/stories260K/tok512.bin");
    const fs::path hf = temp_path("hf_greedy"), gguf = temp_path("greedy.gguf");
    if (!run_script("--bin " + bin.string() + " --out " + hf.string()) ||
        !run_script("--bin " + bin.string() + " --gguf " + gguf.string() + " --tokenizer " + tokfile.string()))
        return;
    const auto tok = tc::read_llama2_tokenizer(tokfile.string(), 512);
    const mdl::checkpoint cg(gguf.string());
    CHECK(cg.config().vocab_size == 512);  // from tokenizer.ggml.tokens
    for (const std::string& path : {gguf.string(), hf.string()})
    {
        CAPTURE(path);
        const auto tokens = mdl::generate_greedy(mdl::load_llama<float>(mdl::checkpoint(path)), 256);
        CHECK(tokens.size() == 257);
        CHECK(tok.decode(tokens).substr(0, std::string(reference_text).size()) == reference_text);
    }
}

TEST_CASE_TEMPLATE("compressed operators run as stored and equal the forward pass on their densified matrices", T,
                   float, double)
{
    const auto bin = tessera_test::shared_data("stories260K/stories260K.bin");
    TESSERA_SKIP_IF_MISSING(bin, "../shared/data/stories260K");
    const auto original = mdl::load_llama<T>(mdl::checkpoint(bin.string()));
    namespace tn = tessera::ternary;
    mdl::llama_model<T> packed = original, dense = original;  // copies share operators until replaced
    std::size_t compressed = 0, replaced = 0;
    tn::quantize_options q;
    q.granularity = tn::scale_granularity::per_row;
    tessera::tt::tt_options to;
    to.max_rank = 8;
    for (std::size_t l = 0; l < 5; ++l)
    {
        auto& y = packed.layers[l];
        const auto& o = original.layers[l];
        y.wq = mdl::linear_operator<T>(tessera::spectral::low_rank<T>(tessera::spectral::truncated_svd(o.wq.densify(), 24)));
        y.wo = mdl::linear_operator<T>(tessera::spectral::low_rank<T>(tessera::spectral::truncated_svd(o.wo.densify(), 24)));
        y.w1 = mdl::linear_operator<T>(tessera::tt::to_tt_matrix(o.w1.densify(), {4, 43}, {8, 8}, to));
        y.w2 = mdl::linear_operator<T>(tessera::tt::to_tt_matrix(o.w2.densify(), {8, 8}, {4, 43}, to));
        y.w3 = mdl::linear_operator<T>(tn::quantize_pack_2bit(o.w3.densify(), q), mdl::ternary_input::exact_float);
        for (const auto* op : {&y.wq, &y.wo, &y.w1, &y.w2, &y.w3})
        {
            compressed += op->storage_bytes();
            replaced += op->rows() * op->cols() * sizeof(T);
        }
        auto& d = dense.layers[l];
        for (auto [dst, src] : {std::pair{&d.wq, &y.wq}, {&d.wo, &y.wo}, {&d.w1, &y.w1}, {&d.w2, &y.w2}, {&d.w3, &y.w3}})
            *dst = mdl::linear_operator<T>(src->densify());
    }
    CHECK(packed.layers[0].w3.storage_bytes() == 172 * 16 + 172 * 4);  // 2 bits per weight + a float per row
    CHECK(packed.storage_bytes() == original.storage_bytes() - replaced + compressed);
    CHECK(compressed < replaced / 2);
    const auto lp = logits_of(packed, probe), ld = logits_of(dense, probe);
    MESSAGE("max relative |operators - densified| = " << max_rel(lp, ld));
    // (double too is at float rounding: the ternary kernels take and return float)
    CHECK(max_rel(lp, ld) < 1e-5);
    // next_token_divergence runs the compressed operators: against the densified copy it is
    // rounding, against the original a real drift.
    const std::vector<std::vector<int>> seqs{mdl::generate_greedy(original, 40)};
    const auto same = mdl::next_token_divergence(dense, packed, seqs);
    const auto drift = mdl::next_token_divergence(original, packed, seqs);
    CHECK(same.positions == 41);
    CHECK(same.max_kl < 1e-10);
    CHECK(drift.mean_kl > 1e-4);
    CHECK(drift.mean_kl > 1e3 * same.mean_kl);
    // int8 activations (the default for ternary operators) change the result a little more.
    auto int8 = packed;
    for (std::size_t l = 0; l < 5; ++l)
        int8.layers[l].w3 = mdl::linear_operator<T>(tn::quantize_pack_2bit(original.layers[l].w3.densify(), q));
    CHECK(mdl::next_token_divergence(packed, int8, seqs).mean_kl > 0.0);
}

TEST_CASE("load_llama and llama_model::validate reject what they cannot run")
{
    const auto bin = tessera_test::shared_data("stories260K/stories260K.bin");
    TESSERA_SKIP_IF_MISSING(bin, "../shared/data/stories260K");
    auto m = mdl::load_llama<float>(mdl::checkpoint(bin.string()));
    mdl::llama_model<float> broken = m;
    broken.layers[2].w2 = mdl::linear_operator<float>(xt::xtensor<float, 2>::from_shape({64, 64}));
    CHECK_THROWS_WITH_AS(mdl::llama_runner<float>{broken},
                         "llama_model::validate: layers.2.w2 must have shape [64, 172], got [64, 64]",
                         tessera::invalid_argument);
    mdl::llama_runner<float> run(m);
    CHECK_THROWS_WITH_AS(run.forward(512, 0), "llama_runner::forward: token=512 must be in [0, 512)",
                         tessera::invalid_argument);
    mdl::llama_load_options o;
    o.rope_theta = -1;
    CHECK_THROWS_WITH_AS(mdl::load_llama<float>(mdl::checkpoint(bin.string()), o),
                         "load_llama: rope_theta=-1 must be finite and > 0", tessera::invalid_argument);
}
