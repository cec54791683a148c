// model::checkpoint on every format: the stories260K llama2.c model written as Hugging Face
// folders by scripts/write_stories_checkpoints.py (F32, F16, BF16, single file and shards) must
// read back equal to model::read_llama2_checkpoint after undoing HF's rotary row permutation;
// synthetic safetensors shards and GGUF files cover the index checks and the GGUF path.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/model/llama2_checkpoint.hpp>
#include <tessera/io/gguf.hpp>
#include <tessera/io/safetensors.hpp>
#include <tessera/model/checkpoint.hpp>

#include "test_support.hpp"

namespace fs = std::filesystem;
namespace mdl = tessera::model;
using mdl::tensor_role;

namespace
{
    fs::path temp_dir(const std::string& name)
    {
        const fs::path p = fs::temp_directory_path() / ("tessera_model_" + name);
        fs::remove_all(p);
        fs::create_directories(p);
        return p;
    }

    /// Inverse of HF's permute: row h*head + j*head/2 + i goes back to row h*head + 2i + j.
    xt::xtensor<float, 2> unpermute(const xt::xtensor<float, 2>& w, std::size_t heads)
    {
        const std::size_t out = w.shape(0), in = w.shape(1), head = out / heads;
        xt::xtensor<float, 2> r = xt::xtensor<float, 2>::from_shape({out, in});
        for (std::size_t h = 0; h < heads; ++h)
            for (std::size_t i = 0; i < head / 2; ++i)
                for (std::size_t j = 0; j < 2; ++j)
                    for (std::size_t c = 0; c < in; ++c)
                        r(h * head + 2 * i + j, c) = w(h * head + j * head / 2 + i, c);
        return r;
    }

    /// Rounds float32 values as the script stores them (F16 or BF16, nearest even).
    template <class E>
    xt::xtensor<float, 2> stored(const E& a, const std::string& dtype)
    {
        xt::xtensor<float, 2> x = a;
        if (dtype == "F32")
            return x;
        const auto t = dtype == "F16" ? tessera::io::dtype::float16 : tessera::io::dtype::bfloat16;
        std::vector<unsigned char> b(x.size() * 2);
        tessera::io::encode(x.data(), t, b.data(), x.size());
        tessera::io::decode(b.data(), t, false, x.data(), x.size());
        return x;
    }

    std::string write_stories(const fs::path& bin, const std::string& dtype, int shards)
    {
        const fs::path out = temp_dir("stories_" + dtype + "_" + std::to_string(shards));
        const std::string cmd = "/usr/bin/python3 " + std::string(TESSERA_SOURCE_DIR) +
                                "/scripts/write_stories_checkpoints.py --bin " + bin.string() + " --out " + out.string() +
                                " --dtype " + dtype + " --shards " + std::to_string(shards) + " > /dev/null";
        REQUIRE(std::system(cmd.c_str()) == 0);
        return out.string();
    }
}  // namespace

TEST_CASE("stories260K as HF llama folders (F32/F16/BF16, 1 or 3 shards) equals the llama2.c reading")
{
    const auto bin = tessera_test::shared_data("stories260K/stories260K.bin");
    TESSERA_SKIP_IF_MISSING(bin, "../shared/data/stories260K");
    if (!fs::exists("/usr/bin/python3"))
    {
        MESSAGE("skipped: /usr/bin/python3 (with numpy) is needed to write the folders");
        tessera_test::record_skip("/usr/bin/python3 (with numpy), needed to write the folders");
        return;
    }
    const auto w = tessera::model::read_llama2_checkpoint<float>(bin.string());
    for (const auto& [dtype, shards] : {std::pair<std::string, int>{"F32", 1}, {"BF16", 3}, {"F16", 2}})
    {
        CAPTURE(dtype);
        const mdl::checkpoint ck(write_stories(bin, dtype, shards));
        CHECK(ck.format() == mdl::checkpoint_format::hf_folder);
        const auto& c = ck.config();
        CHECK(c.architecture == "LlamaForCausalLM");
        CHECK(c.model_type == "llama");
        CHECK(c.n_layers == 5);
        CHECK(c.hidden == 64);
        CHECK(c.intermediate == 172);
        CHECK(c.n_heads == 8);
        CHECK(c.n_kv_heads == 4);
        CHECK(c.vocab_size == 512);
        CHECK(c.max_positions == 512);
        CHECK(c.tie_word_embeddings);
        REQUIRE(ck.tensors().size() == 1 + 9 * 5 + 1);
        CHECK_FALSE(ck.contains("lm_head.weight"));
        for (const auto& t : ck.tensors())
            CHECK(t.dtype == dtype);
        CHECK(ck.read<float>("model.embed_tokens.weight") == stored(w.token_embedding, dtype));
        CHECK(ck.read<float, 1>("model.norm.weight") == xt::view(stored(xt::reshape_view(w.rms_final, {1, 64}), dtype), 0));
        for (std::size_t l = 0; l < 5; ++l)
        {
            const auto& y = w.layers[l];
            const std::string p = "model.layers." + std::to_string(l) + ".";
            CHECK(unpermute(ck.read<float>(p + "self_attn.q_proj.weight"), 8) == stored(y.wq, dtype));
            CHECK(unpermute(ck.read<float>(p + "self_attn.k_proj.weight"), 4) == stored(y.wk, dtype));
            CHECK(ck.read<float>(p + "self_attn.v_proj.weight") == stored(y.wv, dtype));
            CHECK(ck.read<float>(p + "self_attn.o_proj.weight") == stored(y.wo, dtype));
            CHECK(ck.read<float>(p + "mlp.gate_proj.weight") == stored(y.w1, dtype));
            CHECK(ck.read<float>(p + "mlp.down_proj.weight") == stored(y.w2, dtype));
            CHECK(ck.read<float>(p + "mlp.up_proj.weight") == stored(y.w3, dtype));
            CHECK(ck.read<double, 1>(p + "input_layernorm.weight") ==
                  xt::cast<double>(xt::view(stored(xt::reshape_view(y.rms_att, {1, 64}), dtype), 0)));
            CHECK(ck.read<float, 1>(p + "post_attention_layernorm.weight") ==
                  xt::view(stored(xt::reshape_view(y.rms_ffn, {1, 64}), dtype), 0));
            CHECK(ck.role(p + "self_attn.k_proj.weight").role == tensor_role::attn_k);
            CHECK(ck.role(p + "mlp.gate_proj.weight").layer == std::ptrdiff_t(l));
        }
        std::size_t roles[15] = {};
        for (const auto& e : ck.catalog())
            ++roles[static_cast<std::size_t>(e.role)];
        CHECK(roles[static_cast<std::size_t>(tensor_role::embedding)] == 1);
        CHECK(roles[static_cast<std::size_t>(tensor_role::lm_head)] == 0);
        CHECK(roles[static_cast<std::size_t>(tensor_role::norm)] == 11);
        CHECK(roles[static_cast<std::size_t>(tensor_role::ffn_gate)] == 5);
        CHECK(roles[static_cast<std::size_t>(tensor_role::unknown)] == 0);
    }
}

TEST_CASE("a llama2.c .bin opens as a checkpoint named as parse_llama2_header names its arrays")
{
    const auto bin = tessera_test::shared_data("stories260K/stories260K.bin");
    TESSERA_SKIP_IF_MISSING(bin, "../shared/data/stories260K");
    const mdl::checkpoint ck(bin.string());
    const auto w = tessera::model::read_llama2_checkpoint<double>(bin.string());
    CHECK(ck.format() == mdl::checkpoint_format::llama2c);
    CHECK(ck.config().architecture == "llama2.c");
    CHECK(ck.config().n_kv_heads == 4);
    CHECK(ck.config().tie_word_embeddings);
    CHECK(ck.tensors().size() == 1 + 9 * 5 + 3);
    CHECK(ck.read<double>("layers.3.w2") == w.layers[3].w2);
    CHECK(ck.read<double>("freq_cis_imag") == w.freq_cis_imag);
    CHECK(ck.read<double, 1>("rms_final") == w.rms_final);
    CHECK(ck.role("layers.3.w2").role == tensor_role::ffn_down);
    CHECK(ck.info("token_embedding").bytes == 512 * 64 * 4);
    CHECK_THROWS_WITH_AS((ck.read<float, 2>("rms_final")),
                         "model::checkpoint::read: tensor 'rms_final' has shape [64], not 2 dimensions", tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(ck.read<float>("wq"), doctest::Contains("model::checkpoint: name='wq' is not a tensor of"),
                         tessera::invalid_argument);
}

TEST_CASE("GGUF files open through io::gguf_file: names, config from metadata, dequantized reads")
{
    namespace io = tessera::io;
    const fs::path dir = temp_dir("gguf");
    const std::string path = (dir / "tiny.gguf").string();
    xt::xarray<float> emb = xt::arange<float>(0, 96).reshape({6, 16}) / 7.0f;
    xt::xarray<float> q = xt::arange<float>(0, 256).reshape({8, 32}) / 100.0f;
    io::gguf_metadata m;
    m.set("general.architecture", io::gguf_value(std::string("llama")));
    m.set("llama.block_count", io::gguf_value(std::uint32_t(1)));
    m.set("llama.embedding_length", io::gguf_value(std::uint32_t(16)));
    m.set("llama.attention.head_count", io::gguf_value(std::uint32_t(2)));
    io::write_gguf<float>(path, m, {{"token_embd.weight", emb, io::ggml_type::f32},
                                   {"blk.0.attn_q.weight", q, io::ggml_type::q8_0}});
    const mdl::checkpoint ck(path);
    CHECK(ck.format() == mdl::checkpoint_format::gguf);
    CHECK(ck.config().architecture == "llama");
    CHECK(ck.config().n_layers == 1);
    CHECK(ck.config().n_heads == 2);
    CHECK(ck.config().n_kv_heads == 2);   // absent: equals n_heads
    CHECK(ck.config().vocab_size == 6);   // no tokenizer: from the embedding's shape
    CHECK(ck.config().tie_word_embeddings);  // no output.weight
    CHECK(ck.read<float>("token_embd.weight") == emb);
    CHECK(ck.info("blk.0.attn_q.weight").dtype == "Q8_0");
    CHECK(xt::allclose(ck.read<float>("blk.0.attn_q.weight"), q, 0, 2.56 / 127));  // Q8_0: |err| <= d/2
    CHECK(ck.role("blk.0.attn_q.weight").role == tensor_role::attn_q);
}

TEST_CASE("sharded folders: weight_map and the shards must agree; folders need a model file")
{
    namespace io = tessera::io;
    const fs::path dir = temp_dir("shards");
    const std::vector<io::named_tensor<float>> a{{"model.embed_tokens.weight", xt::ones<float>({4, 2})}};
    const std::vector<io::named_tensor<float>> b{{"model.layers.0.mlp.up_proj.weight", xt::ones<float>({3, 2})},
                                                 {"lm_head.weight", xt::zeros<float>({4, 2})}};
    io::write_safetensors((dir / "s1.safetensors").string(), a);
    io::write_safetensors((dir / "s2.safetensors").string(), b);
    auto index = [&](const std::string& body) {
        std::ofstream((dir / "model.safetensors.index.json").string()) << body;
        return dir.string();
    };
    const std::string good = R"({"metadata": {}, "weight_map": {"model.embed_tokens.weight": "s1.safetensors",
        "model.layers.0.mlp.up_proj.weight": "s2.safetensors", "lm_head.weight": "s2.safetensors"}})";
    const mdl::checkpoint ck(index(good));
    CHECK(ck.tensors().size() == 3);
    CHECK(ck.config().n_layers == 1);      // no config.json: inferred from the names
    CHECK(ck.config().vocab_size == 4);
    CHECK_FALSE(ck.config().tie_word_embeddings);  // lm_head present
    CHECK(ck.read<float>("lm_head.weight") == xt::zeros<float>({4, 2}));
    CHECK_THROWS_WITH_AS(mdl::checkpoint(index(R"({"weight_map": {"model.embed_tokens.weight": "s1.safetensors",
        "model.layers.0.mlp.up_proj.weight": "s2.safetensors"}})")),
                         doctest::Contains("tensor 'lm_head.weight' of "), tessera::io_error);
    CHECK_THROWS_WITH_AS(mdl::checkpoint(index(R"({"weight_map": {"model.embed_tokens.weight": "s1.safetensors",
        "model.layers.0.mlp.up_proj.weight": "s2.safetensors", "lm_head.weight": "s1.safetensors"}})")),
                         doctest::Contains("is not listed in weight_map (listed in s1.safetensors)"), tessera::io_error);
    CHECK_THROWS_WITH_AS(mdl::checkpoint(index(R"({"weight_map": {"x": "../s1.safetensors"}})")),
                         doctest::Contains("is not a file name inside the folder"), tessera::io_error);
    CHECK_THROWS_WITH_AS(mdl::checkpoint(index(R"({"weight_map": {"x": "s3.safetensors"}})")),
                         doctest::Contains("s3.safetensors: byte 0: cannot open for reading"), tessera::io_error);
    CHECK_THROWS_WITH_AS(mdl::checkpoint(index(R"({"weight_map": [1]})")), doctest::Contains("needs an object \"weight_map\""),
                         tessera::io_error);
    CHECK_THROWS_WITH_AS(mdl::checkpoint(index(good + "garbage")), doctest::Contains("malformed JSON"), tessera::io_error);
    std::ofstream((dir / "config.json").string()) << R"({"num_hidden_layers": 2, "tie_word_embeddings": true, )";
    CHECK_THROWS_WITH_AS(mdl::checkpoint(index(good)), doctest::Contains("config.json: byte"), tessera::io_error);
    const fs::path empty = temp_dir("empty");
    CHECK_THROWS_WITH_AS(mdl::checkpoint(empty.string()),
                         doctest::Contains("folder has neither model.safetensors nor model.safetensors.index.json"),
                         tessera::io_error);
    CHECK_THROWS_WITH_AS(mdl::checkpoint((empty / "none.bin").string()), doctest::Contains("cannot open for reading"),
                         tessera::io_error);
}

TEST_CASE("a single .safetensors file uses config.json beside it; stated fields win over inference")
{
    namespace io = tessera::io;
    const fs::path dir = temp_dir("single");
    io::write_safetensors<float>((dir / "weights.safetensors").string(),
                                 {{"transformer.wte.weight", xt::ones<float>({10, 4})},
                                  {"transformer.h.0.attn.c_attn.weight", xt::ones<float>({4, 12})},
                                  {"transformer.h.1.attn.c_attn.weight", xt::ones<float>({4, 12})}},
                                 io::dtype::bfloat16);
    const mdl::checkpoint bare((dir / "weights.safetensors").string());
    CHECK(bare.format() == mdl::checkpoint_format::safetensors);
    CHECK(bare.config().n_layers == 2);
    CHECK(bare.config().hidden == 4);
    CHECK_FALSE(bare.config().tie_word_embeddings);  // no config: architecture unknown, no tie inferred
    CHECK(bare.info("transformer.wte.weight").dtype == "BF16");
    CHECK(bare.role("transformer.h.1.attn.c_attn.weight").layout == mdl::tensor_layout::in_out);
    std::ofstream((dir / "config.json").string())
        << R"({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_layer": 12, "n_embd": 768,
              "n_head": 12, "n_inner": null, "n_positions": 1024, "vocab_size": 50257})";
    const mdl::checkpoint gpt2((dir / "weights.safetensors").string());
    CHECK(gpt2.config().architecture == "GPT2LMHeadModel");
    CHECK(gpt2.config().n_layers == 12);
    CHECK(gpt2.config().hidden == 768);
    CHECK(gpt2.config().intermediate == 0);  // null: unknown
    CHECK(gpt2.config().n_kv_heads == 12);
    CHECK(gpt2.config().max_positions == 1024);
    CHECK(gpt2.config().vocab_size == 50257);
    CHECK(gpt2.config().tie_word_embeddings);  // absent from config.json: no lm_head tensor
}

TEST_CASE("an encoder without an output head is not reported as tied (BERT config, or no config)")
{
    namespace io = tessera::io;
    const fs::path dir = temp_dir("encoder");
    io::write_safetensors<float>((dir / "model.safetensors").string(),
                                 {{"embeddings.word_embeddings.weight", xt::ones<float>({10, 4})},
                                  {"encoder.layer.0.attention.self.query.weight", xt::ones<float>({4, 4})}});
    const mdl::checkpoint bare((dir / "model.safetensors").string());
    CHECK_FALSE(bare.config().tie_word_embeddings);
    std::ofstream((dir / "config.json").string())
        << R"({"architectures": ["BertModel"], "model_type": "bert", "num_hidden_layers": 1})";
    const mdl::checkpoint bert(dir.string());
    CHECK(bert.config().architecture == "BertModel");
    CHECK_FALSE(bert.config().tie_word_embeddings);
    CHECK_FALSE(tessera::model::is_generative(bert.config()));
}
