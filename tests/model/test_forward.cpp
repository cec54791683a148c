// model::llama_model / llama_runner on stories260K: the llama2.c .bin, the Hugging Face folder
// and the GGUF file written by scripts/write_stories_checkpoints.py give identical tensors and
// bitwise identical logits; greedy decoding reproduces the published sample; compressed operators
// (low rank, TT, ternary) run as stored and equal the forward pass on their densified matrices;
// the llama2.c weights through llama2_view match an independent numpy forward pass; load_llama
// takes rope_theta and rms_norm_eps from config.json / GGUF metadata (a synthetic model written
// by the test, against numpy at (10000, 1e-5) and (500000, 1e-6)).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <tessera/core/parallel.hpp>
#include <tessera/io/gguf.hpp>
#include <tessera/io/safetensors.hpp>
#include <tessera/model/divergence.hpp>
#include <tessera/model/forward.hpp>
#include <tessera/model/llama.hpp>
#include <tessera/model/llama2_checkpoint.hpp>
#include <tessera/model/llama2_tokenizer.hpp>
#include <tessera/spectral/truncated_svd.hpp>
#include <tessera/ternary/pack.hpp>
#include <tessera/tt/tt_matrix.hpp>

#include "llama2_synthetic.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace io = tessera::io;
namespace mdl = tessera::model;

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

    /// max |a - b| / max |b|.
    template <class A, class B>
    double max_rel(const std::vector<A>& a, const std::vector<B>& b)
    {
        REQUIRE(a.size() == b.size());
        double d = 0, s = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
        {
            d = std::max(d, std::abs(double(a[i]) - double(b[i])));
            s = std::max(s, std::abs(double(b[i])));
        }
        return d / s;
    }

    const std::vector<int> probe = {1, 403, 407, 261, 378, 275, 2, 101, 7, 400, 511, 0, 33};

    // The synthetic model of generate_model_forward.py (SYN): dim 16, hidden 24, 2 layers, 4 heads,
    // 2 kv heads, vocab 12, seq_len 8.
    constexpr std::size_t D = 16, H = 24, L = 2, NH = 4, NKV = 2, V = 12, S = 8, K = NKV * (D / NH);

    /// Tensor number `seed` of the synthetic model: ((37 i + 11 seed) mod 61 - 30) / scale (+ 1
    /// for a gain), exact in float; the script draws the same values in the same order.
    xt::xarray<float> rule(std::vector<std::size_t> shape, double scale, bool gain, int& seed)
    {
        xt::xarray<float> a = xt::xarray<float>::from_shape(shape);
        for (std::size_t i = 0; i < a.size(); ++i)
            a.data()[i] = float(double(std::int64_t((37 * i + 11 * std::size_t(seed)) % 61) - 30) / scale +
                                (gain ? 1.0 : 0.0));
        ++seed;
        return a;
    }

    /// HF's q/k row order from the interleaved one (the inverse of mdl::unpermute_rotary):
    /// row h*head + j*head/2 + i holds row h*head + 2i + j.
    xt::xarray<float> permute_rotary(const xt::xarray<float>& w, std::size_t heads)
    {
        const std::size_t out = w.shape(0), in = w.shape(1), head = out / heads;
        xt::xarray<float> r = xt::xarray<float>::from_shape({out, in});
        for (std::size_t h = 0; h < heads; ++h)
            for (std::size_t i = 0; i < head / 2; ++i)
                for (std::size_t j = 0; j < 2; ++j)
                    std::copy_n(w.data() + (h * head + 2 * i + j) * in, in, r.data() + (h * head + j * head / 2 + i) * in);
        return r;
    }

    /// The synthetic model as GGUF names and as HF names (q/k permuted), in the script's seed order.
    void synthetic(std::vector<io::gguf_tensor<float>>& gguf, std::vector<io::named_tensor<float>>& hf)
    {
        int seed = 0;
        auto both = [&](const std::string& g, const std::string& h, xt::xarray<float> a, std::size_t permute_heads = 0) {
            gguf.push_back({g, a, io::ggml_type::f32});
            hf.push_back({h, permute_heads ? permute_rotary(a, permute_heads) : a});
        };
        both("token_embd.weight", "model.embed_tokens.weight", rule({V, D}, 4096.0, false, seed));
        for (std::size_t l = 0; l < L; ++l)
        {
            const std::string g = "blk." + std::to_string(l) + ".", h = "model.layers." + std::to_string(l) + ".";
            both(g + "attn_norm.weight", h + "input_layernorm.weight", rule({D}, 128.0, true, seed));
            both(g + "attn_q.weight", h + "self_attn.q_proj.weight", rule({D, D}, 64.0, false, seed), NH);
            both(g + "attn_k.weight", h + "self_attn.k_proj.weight", rule({K, D}, 64.0, false, seed), NKV);
            both(g + "attn_v.weight", h + "self_attn.v_proj.weight", rule({K, D}, 64.0, false, seed));
            both(g + "attn_output.weight", h + "self_attn.o_proj.weight", rule({D, D}, 64.0, false, seed));
            both(g + "ffn_norm.weight", h + "post_attention_layernorm.weight", rule({D}, 128.0, true, seed));
            both(g + "ffn_gate.weight", h + "mlp.gate_proj.weight", rule({H, D}, 64.0, false, seed));
            both(g + "ffn_down.weight", h + "mlp.down_proj.weight", rule({D, H}, 64.0, false, seed));
            both(g + "ffn_up.weight", h + "mlp.up_proj.weight", rule({H, D}, 64.0, false, seed));
        }
        both("output_norm.weight", "model.norm.weight", rule({D}, 128.0, true, seed));
    }

    /// GGUF llama metadata of the synthetic model; theta / eps written as float32 when > 0.
    io::gguf_metadata gguf_meta(float theta, float eps)
    {
        io::gguf_metadata m;
        m.set("general.architecture", io::gguf_value(std::string("llama")));
        m.set("llama.block_count", io::gguf_value(std::uint32_t(L)));
        m.set("llama.embedding_length", io::gguf_value(std::uint32_t(D)));
        m.set("llama.feed_forward_length", io::gguf_value(std::uint32_t(H)));
        m.set("llama.attention.head_count", io::gguf_value(std::uint32_t(NH)));
        m.set("llama.attention.head_count_kv", io::gguf_value(std::uint32_t(NKV)));
        m.set("llama.context_length", io::gguf_value(std::uint32_t(S)));
        if (theta > 0)
            m.set("llama.rope.freq_base", io::gguf_value(theta));
        if (eps > 0)
            m.set("llama.attention.layer_norm_rms_epsilon", io::gguf_value(eps));
        return m;
    }

    /// An HF folder of the synthetic model; `extra` is spliced into config.json.
    std::string hf_folder(const std::string& name, const std::vector<io::named_tensor<float>>& t, const std::string& extra)
    {
        const fs::path dir = temp_path(name);
        fs::create_directories(dir);
        io::write_safetensors<float>((dir / "model.safetensors").string(), t);
        std::ofstream((dir / "config.json").string())
            << R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "num_hidden_layers": 2,
                  "hidden_size": 16, "intermediate_size": 24, "num_attention_heads": 4, "num_key_value_heads": 2,
                  "vocab_size": 12, "max_position_embeddings": 8, "tie_word_embeddings": true)"
            << extra << "}";
        return dir.string();
    }
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
    const auto w = mdl::read_llama2_checkpoint<T>(bin.string());
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
    // And llama2_view (the same forward pass on the file's own rotary tables) to rounding.
    const auto lw = logits_of(mdl::llama2_view(w), probe);
    CHECK(max_rel(la, lw) < (std::is_same_v<T, float> ? 1e-4 : 1e-5));
    for (const auto* m : {&a, &b, &c})
    {
        CHECK(m->config.rope_theta == 10000.0);  // llama2.c's values, recorded by the writer script
        CHECK(m->config.rms_norm_eps == 1e-5);
    }
    CHECK(ch.config().rms_norm_eps == 1e-5);  // stated in config.json / GGUF, not defaulted
    CHECK(cg.config().rms_norm_eps == 1e-5);  // float32 1e-5f read as the decimal 1e-5
    CHECK(cg.config().rope_theta == 10000.0);
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
    const auto tok = mdl::read_llama2_tokenizer(tokfile.string(), 512);
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
                         "model::llama_model::validate: layers.2.w2 must have shape [64, 172], got [64, 64]",
                         tessera::invalid_argument);
    mdl::llama_runner<float> run(m);
    CHECK_THROWS_WITH_AS(run.forward(512, 0), "model::llama_runner::forward: token=512 must be in [0, 512)",
                         tessera::invalid_argument);
    broken = m;
    broken.config.rms_norm_eps = -1e-5;
    CHECK_THROWS_WITH_AS(mdl::llama_runner<float>{broken},
                         "model::llama_model::validate: config.rms_norm_eps=-1e-05 must be finite and >= 0",
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("llama2_view: greedy stories260K from BOS reproduces the published reference text", T, float,
                   double)
{
    const auto model = tessera_test::shared_data("stories260K/stories260K.bin");
    const auto tokfile = tessera_test::shared_data("stories260K/tok512.bin");
    TESSERA_SKIP_IF_MISSING(model, "../shared/data/stories260K");
    TESSERA_SKIP_IF_MISSING(tokfile, "../shared/data/stories260K/tok512.bin");
    const auto w = mdl::read_llama2_checkpoint<T>(model.string());
    const auto tok = mdl::read_llama2_tokenizer(tokfile.string(), w.config.vocab_size);
    const auto tokens = mdl::generate_greedy(mdl::llama2_view(w), 256);
    CHECK(tokens.front() == 1);
    CHECK(tokens.size() == 257);  // 256 forward passes, no BOS emitted
    const std::string text = tok.decode(tokens);
    CHECK(text.substr(0, std::string(reference_text).size()) == reference_text);
}

TEST_CASE_TEMPLATE("llama2_view: forward logits match an independent numpy forward pass", T, float, double)
{
    const auto model = tessera_test::shared_data("stories260K/stories260K.bin");
    TESSERA_SKIP_IF_MISSING(model, "../shared/data/stories260K");
    const auto meta = nlohmann::json::parse(std::ifstream(tessera_test::fixture("model/llama2_stories260K_logits.json")));
    const std::vector<int> tokens = meta["tokens"];
    std::vector<double> ref(tokens.size() * 512);
    std::ifstream(tessera_test::fixture("model/llama2_stories260K_logits.f64"), std::ios::binary)
        .read(reinterpret_cast<char*>(ref.data()), std::streamsize(ref.size() * sizeof(double)));
    const auto w = mdl::read_llama2_checkpoint<T>(model.string());
    mdl::llama_runner<T> run(mdl::llama2_view(w));
    double worst = 0.0;
    for (std::size_t pos = 0; pos < tokens.size(); ++pos)
    {
        const auto& logits = run.forward(tokens[pos], pos);
        for (std::size_t v = 0; v < 512; ++v)
            worst = std::max(worst, std::abs(double(logits[v]) - ref[pos * 512 + v]));
        if (pos + 1 < tokens.size())
            CHECK(mdl::argmax(logits) == tokens[pos + 1]);
    }
    MESSAGE("max |logit - numpy float64| = " << worst);
    CHECK(worst < (std::is_same_v<T, float> ? 2e-4 : 1e-10));
    // The same tokens again through greedy generation.
    CHECK(mdl::generate_greedy(mdl::llama2_view(w), tokens.size() - 1) == tokens);
}

TEST_CASE_TEMPLATE("forward: identical logits at any thread count, rewinding, and checked arguments", T, float, double)
{
    llama2_test::tiny t;
    t.dim = 256;  // large enough for the matrix-vector products to run in parallel
    t.heads = 8;
    t.kv_heads = 4;
    t.hidden = 320;
    const auto path = llama2_test::write("fwd.bin", llama2_test::bytes(t, false, [](std::size_t i) {
                                             return float(std::sin(0.37 * double(i)) * 0.1);
                                         }));
    const auto w = mdl::read_llama2_checkpoint<T>(path);
    const auto m = mdl::llama2_view(w);
    std::vector<xt::xtensor<T, 1>> one, two;
    for (int threads : {1, 2})
    {
        tessera::detail::thread_count_guard guard(threads);
        mdl::llama_runner<T> run(m);
        auto& out = threads == 1 ? one : two;
        for (std::size_t pos = 0; pos < 4; ++pos)
            out.push_back(run.forward(int(pos * 3 % 10), pos));
    }
    for (std::size_t p = 0; p < 4; ++p)
        CHECK(one[p] == two[p]);
    mdl::llama_runner<T> run(m);
    run.forward(0, 0);
    run.forward(3, 1);
    const xt::xtensor<T, 1> rewound = run.forward(6, 1);
    mdl::llama_runner<T> fresh(m);
    fresh.forward(0, 0);
    CHECK(fresh.forward(6, 1) == rewound);
    CHECK_THROWS_WITH_AS(run.forward(10, 2), "model::llama_runner::forward: token=10 must be in [0, 10)",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(run.forward(1, 3), "model::llama_runner::forward: pos=3 skips ahead: positions [0, 2) are cached",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(run.forward(1, 6), "model::llama_runner::forward: pos=6 must be < seq_len=6",
                         tessera::invalid_argument);
    // Greedy generation stops at seq_len and never exceeds steps + 1 tokens.
    CHECK(mdl::generate_greedy(m, 100).size() <= 7);
    CHECK(mdl::generate_greedy(m, 2).size() <= 3);
    CHECK_THROWS_AS(mdl::generate_greedy(m, 3, {}), tessera::invalid_argument);
    auto broken = w;
    broken.layers[1].wv = xt::zeros<T>({3, 256});
    CHECK_THROWS_WITH_AS(mdl::llama2_view(broken), doctest::Contains("layers.1.wv must have shape [128, 256]"),
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("load_llama: rope_theta and rms_norm_eps from GGUF metadata and config.json, against numpy", T,
                   float, double)
{
    const auto ref = nlohmann::json::parse(std::ifstream(tessera_test::fixture("model/forward_config.json")));
    const std::vector<int> tokens = ref["tokens"];
    const std::vector<double> llama2c = ref["runs"][0]["logits"], llama3 = ref["runs"][1]["logits"];
    REQUIRE(double(ref["runs"][1]["rope_theta"]) == 500000.0);
    REQUIRE(double(ref["runs"][1]["rms_norm_eps"]) == 1e-6);
    // The two settings really give different logits (so a reader that ignores them fails below).
    REQUIRE(max_rel(llama3, llama2c) > 0.1);
    const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-12;

    std::vector<io::gguf_tensor<float>> gt;
    std::vector<io::named_tensor<float>> ht;
    synthetic(gt, ht);
    const fs::path dir = temp_path("config_gguf");
    fs::create_directories(dir);
    const std::string g3 = (dir / "theta500000.gguf").string(), g2 = (dir / "llama2c.gguf").string(),
                      g0 = (dir / "no_eps.gguf").string();
    io::write_gguf<float>(g3, gguf_meta(500000.0f, 1e-6f), gt);
    io::write_gguf<float>(g2, gguf_meta(0.0f, 1e-5f), gt);  // freq_base absent: llama.cpp's 10000
    io::write_gguf<float>(g0, gguf_meta(10000.0f, 0.0f), gt);
    const std::string h3 = hf_folder("hf3", ht, R"(, "rope_theta": 500000.0, "rms_norm_eps": 1e-06)");
    const std::string h2 = hf_folder("hf2", ht, R"(, "rope_theta": 10000.0, "rms_norm_eps": 1e-05)");
    const std::string h0 = hf_folder("hf0", ht, "");

    // The config readers.
    const mdl::checkpoint c3(g3), c2(g2), c0(g0), k3(h3), k2(h2), k0(h0);
    CHECK(c3.config().rope_theta == 500000.0);
    CHECK(c3.config().rms_norm_eps == 1e-6);  // float32 1e-6f read as the decimal 1e-6
    CHECK_FALSE(c2.config().rope_theta.has_value());
    CHECK(c2.config().rms_norm_eps == 1e-5);
    CHECK_FALSE(c0.config().rms_norm_eps.has_value());
    CHECK(k3.config().rope_theta == 500000.0);
    CHECK(k3.config().rms_norm_eps == 1e-6);
    CHECK_FALSE(k0.config().rope_theta.has_value());
    CHECK_FALSE(k0.config().rms_norm_eps.has_value());

    // The forward pass: GGUF and HF (q/k permutation undone) agree bitwise, and match numpy.
    const auto m3 = mdl::load_llama<T>(c3), m2 = mdl::load_llama<T>(c2);
    CHECK(m3.config.rope_theta == 500000.0);
    CHECK(m3.config.rms_norm_eps == 1e-6);
    CHECK(m2.config.rope_theta == 10000.0);
    CHECK(m2.config.rms_norm_eps == 1e-5);
    const auto l3 = logits_of(m3, tokens), l2 = logits_of(m2, tokens);
    MESSAGE("max rel |logits - numpy|: (500000, 1e-6) " << max_rel(l3, llama3) << ", (10000, 1e-5) "
                                                         << max_rel(l2, llama2c));
    CHECK(max_rel(l3, llama3) < tol);
    CHECK(max_rel(l2, llama2c) < tol);
    CHECK(logits_of(mdl::load_llama<T>(k3), tokens) == l3);
    CHECK(logits_of(mdl::load_llama<T>(k2), tokens) == l2);

    // Unstated in config.json: transformers' LlamaConfig defaults (10000, 1e-6).
    const auto m0 = mdl::load_llama<T>(k0);
    CHECK(m0.config.rope_theta == 10000.0);
    CHECK(m0.config.rms_norm_eps == 1e-6);
    // Unstated in GGUF: llama.cpp refuses a llama file without the epsilon; so does load_llama.
    CHECK_THROWS_WITH_AS(mdl::load_llama<T>(c0),
                         doctest::Contains("no_eps.gguf: GGUF metadata must state llama.attention.layer_norm_rms_epsilon"),
                         tessera::invalid_argument);
}

TEST_CASE("load_llama refuses a rope_theta, rms_norm_eps or rope_scaling it cannot run")
{
    std::vector<io::gguf_tensor<float>> gt;
    std::vector<io::named_tensor<float>> ht;
    synthetic(gt, ht);
    const std::string neg = hf_folder("neg", ht, R"(, "rope_theta": -1, "rms_norm_eps": 1e-06)");
    CHECK_THROWS_WITH_AS(mdl::load_llama<float>(mdl::checkpoint(neg)),
                         doctest::Contains("tessera_forward_neg: rope_theta=-1 must be finite and > 0"),
                         tessera::invalid_argument);
    const std::string eps = hf_folder("eps", ht, R"(, "rms_norm_eps": -0.5)");
    CHECK_THROWS_WITH_AS(mdl::load_llama<float>(mdl::checkpoint(eps)),
                         doctest::Contains("tessera_forward_eps: rms_norm_eps=-0.5 must be finite and >= 0"),
                         tessera::invalid_argument);
    // Scaled rotary (Llama 3.1, YaRN, linear...) is not implemented: refused, never run as plain.
    const mdl::checkpoint l31(hf_folder("llama31", ht, R"(, "rope_scaling": {"rope_type": "llama3", "factor": 8.0})"));
    CHECK(l31.config().rope_scaling == "llama3");
    CHECK_THROWS_WITH_AS(mdl::load_llama<float>(l31), doctest::Contains("rope_scaling 'llama3' is not supported"),
                         tessera::invalid_argument);
    CHECK(mdl::checkpoint(hf_folder("typed", ht, R"(, "rope_scaling": {"type": "linear", "factor": 2})"))
              .config()
              .rope_scaling == "linear");
    for (const char* plain : {R"(, "rope_scaling": null)", R"(, "rope_scaling": {"rope_type": "default"})"})
    {
        const mdl::checkpoint ck(hf_folder("plain", ht, plain));
        CHECK(ck.config().rope_scaling.empty());
        CHECK(mdl::load_llama<float>(ck).config.rms_norm_eps == 1e-6);
    }
    const fs::path dir = temp_path("scaling_gguf");
    fs::create_directories(dir);
    for (const char* type : {"none", "yarn"})
    {
        auto m = gguf_meta(10000.0f, 1e-5f);
        m.set("llama.rope.scaling.type", io::gguf_value(std::string(type)));
        const std::string path = (dir / (std::string(type) + ".gguf")).string();
        io::write_gguf<float>(path, m, gt);
        const mdl::checkpoint ck(path);
        if (std::string(type) == "none")
            CHECK(mdl::load_llama<float>(ck).config.rope_theta == 10000.0);
        else
            CHECK_THROWS_WITH_AS(mdl::load_llama<float>(ck), doctest::Contains("rope_scaling 'yarn' is not supported"),
                                 tessera::invalid_argument);
    }
}
