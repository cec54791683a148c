// The tensor catalog on the names each architecture really uses (transformers' module names,
// llama.cpp's GGUF names, llama2.c's arrays, the USE-lite TF.js manifest).
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/model/catalog.hpp>

namespace
{
    using tessera::model::tensor_layout;
    using tessera::model::tensor_role;
    using r = tensor_role;

    struct expect
    {
        const char* name;
        tensor_role role;
        std::ptrdiff_t layer;
        bool bias = false;
        tensor_layout layout = tensor_layout::out_in;
    };

    void check_all(const std::vector<expect>& names)
    {
        std::vector<std::string> list;
        for (const auto& e : names)
            list.push_back(e.name);
        const auto cat = tessera::model::catalog_names(list);
        REQUIRE(cat.size() == names.size());
        for (std::size_t i = 0; i < names.size(); ++i)
        {
            CAPTURE(names[i].name);
            CHECK(cat[i].name == names[i].name);
            CHECK(std::string(tessera::model::to_string(cat[i].role)) == tessera::model::to_string(names[i].role));
            CHECK(cat[i].layer == names[i].layer);
            CHECK(cat[i].bias == names[i].bias);
            CHECK(cat[i].layout == names[i].layout);
        }
    }
    constexpr auto io = tensor_layout::in_out;
}  // namespace

TEST_CASE("catalog: llama / mistral / qwen2 (transformers LlamaForCausalLM naming)")
{
    check_all({{"model.embed_tokens.weight", r::embedding, -1},
               {"model.layers.3.self_attn.q_proj.weight", r::attn_q, 3},
               {"model.layers.3.self_attn.k_proj.weight", r::attn_k, 3},
               {"model.layers.3.self_attn.v_proj.weight", r::attn_v, 3},
               {"model.layers.3.self_attn.q_proj.bias", r::attn_q, 3, true},  // qwen2
               {"model.layers.3.self_attn.o_proj.weight", r::attn_o, 3},
               {"model.layers.12.mlp.gate_proj.weight", r::ffn_gate, 12},
               {"model.layers.12.mlp.up_proj.weight", r::ffn_up, 12},
               {"model.layers.12.mlp.down_proj.weight", r::ffn_down, 12},
               {"model.layers.0.input_layernorm.weight", r::norm, 0},
               {"model.layers.0.post_attention_layernorm.weight", r::norm, 0},
               {"model.layers.0.self_attn.q_norm.weight", r::norm, 0},  // qwen3
               {"model.layers.0.self_attn.rotary_emb.inv_freq", r::position, 0},
               {"model.norm.weight", r::norm, -1},
               {"lm_head.weight", r::lm_head, -1},
               {"model.layers.1.block_sparse_moe.experts.7.w1.weight", r::ffn_gate, 1},  // mixtral
               {"model.layers.1.block_sparse_moe.experts.7.w2.weight", r::ffn_down, 1},
               {"model.layers.1.block_sparse_moe.gate.weight", r::other, 1},
               {"model.layers.2.self_attn.qkv_proj.weight", r::attn_qkv, 2},  // phi3
               {"model.layers.2.mlp.gate_up_proj.weight", r::ffn_gate_up, 2}});
    const auto e = tessera::model::classify_tensor("model.layers.3.self_attn.q_proj.weight");
    CHECK(e.component == "model");
}

TEST_CASE("catalog: gpt2 (Conv1D weights stored [in, out])")
{
    check_all({{"transformer.wte.weight", r::embedding, -1},
               {"transformer.wpe.weight", r::position, -1},
               {"transformer.h.0.ln_1.weight", r::norm, 0},
               {"transformer.h.0.ln_1.bias", r::norm, 0, true},
               {"transformer.h.0.attn.c_attn.weight", r::attn_qkv, 0, false, io},
               {"transformer.h.0.attn.c_attn.bias", r::attn_qkv, 0, true, io},
               {"transformer.h.0.attn.c_proj.weight", r::attn_o, 0, false, io},
               {"transformer.h.0.attn.bias", r::other, 0, true},  // the causal-mask buffer
               {"transformer.h.11.mlp.c_fc.weight", r::ffn_up, 11, false, io},
               {"transformer.h.11.mlp.c_proj.weight", r::ffn_down, 11, false, io},
               {"transformer.h.11.ln_2.weight", r::norm, 11},
               {"transformer.ln_f.weight", r::norm, -1},
               {"h.5.attn.c_attn.weight", r::attn_qkv, 5, false, io}});  // GPT2Model without the prefix
}

TEST_CASE("catalog: bert")
{
    check_all({{"bert.embeddings.word_embeddings.weight", r::embedding, -1},
               {"bert.embeddings.position_embeddings.weight", r::position, -1},
               {"bert.embeddings.token_type_embeddings.weight", r::other, -1},
               {"bert.embeddings.LayerNorm.weight", r::norm, -1},
               {"encoder.layer.0.attention.self.query.weight", r::attn_q, 0},
               {"encoder.layer.0.attention.self.key.bias", r::attn_k, 0, true},
               {"encoder.layer.0.attention.self.value.weight", r::attn_v, 0},
               {"encoder.layer.0.attention.output.dense.weight", r::attn_o, 0},
               {"encoder.layer.0.attention.output.LayerNorm.weight", r::norm, 0},
               {"encoder.layer.7.intermediate.dense.weight", r::ffn_up, 7},
               {"encoder.layer.7.output.dense.weight", r::ffn_down, 7},
               {"encoder.layer.7.output.LayerNorm.bias", r::norm, 7, true},
               {"bert.pooler.dense.weight", r::other, -1},
               {"cls.predictions.decoder.weight", r::lm_head, -1},
               {"cls.predictions.transform.dense.weight", r::other, -1}});
}

TEST_CASE("catalog: t5 (encoder and decoder blocks, relative position bias)")
{
    check_all({{"shared.weight", r::embedding, -1},
               {"encoder.embed_tokens.weight", r::embedding, -1},
               {"encoder.block.0.layer.0.SelfAttention.q.weight", r::attn_q, 0},
               {"encoder.block.0.layer.0.SelfAttention.k.weight", r::attn_k, 0},
               {"encoder.block.0.layer.0.SelfAttention.v.weight", r::attn_v, 0},
               {"encoder.block.0.layer.0.SelfAttention.o.weight", r::attn_o, 0},
               {"encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", r::position, 0},
               {"encoder.block.0.layer.0.layer_norm.weight", r::norm, 0},
               {"encoder.block.3.layer.1.DenseReluDense.wi.weight", r::ffn_up, 3},
               {"encoder.block.3.layer.1.DenseReluDense.wo.weight", r::ffn_down, 3},
               {"decoder.block.2.layer.1.EncDecAttention.k.weight", r::attn_k, 2},
               {"decoder.block.2.layer.2.DenseReluDense.wi_0.weight", r::ffn_gate, 2},  // t5 v1.1 gated
               {"decoder.block.2.layer.2.DenseReluDense.wi_1.weight", r::ffn_up, 2},
               {"decoder.final_layer_norm.weight", r::norm, -1},
               {"lm_head.weight", r::lm_head, -1}});
    CHECK(tessera::model::classify_tensor("decoder.block.2.layer.1.EncDecAttention.k.weight").component == "decoder");
}

TEST_CASE("catalog: vit / clip / dinov2")
{
    check_all({{"vision_model.embeddings.patch_embedding.weight", r::embedding, -1},
               {"vision_model.embeddings.position_embedding.weight", r::position, -1},
               {"vision_model.embeddings.class_embedding", r::other, -1},
               {"vision_model.pre_layrnorm.weight", r::norm, -1},  // CLIP's own spelling
               {"vision_model.encoder.layers.0.self_attn.k_proj.weight", r::attn_k, 0},
               {"vision_model.encoder.layers.0.self_attn.out_proj.weight", r::attn_o, 0},
               {"vision_model.encoder.layers.0.layer_norm1.weight", r::norm, 0},
               {"vision_model.encoder.layers.11.mlp.fc1.weight", r::ffn_up, 11},
               {"vision_model.encoder.layers.11.mlp.fc2.bias", r::ffn_down, 11, true},
               {"text_model.embeddings.token_embedding.weight", r::embedding, -1},
               {"text_model.final_layer_norm.weight", r::norm, -1},
               {"visual_projection.weight", r::other, -1},
               {"logit_scale", r::other, -1},
               {"embeddings.cls_token", r::other, -1},  // dinov2
               {"embeddings.mask_token", r::other, -1},
               {"embeddings.patch_embeddings.projection.weight", r::embedding, -1},
               {"embeddings.position_embeddings", r::position, -1},
               {"encoder.layer.0.attention.attention.query.weight", r::attn_q, 0},
               {"encoder.layer.0.attention.attention.value.bias", r::attn_v, 0, true},
               {"encoder.layer.0.attention.output.dense.weight", r::attn_o, 0},
               {"encoder.layer.0.layer_scale1.lambda1", r::other, 0},
               {"encoder.layer.0.norm1.weight", r::norm, 0},
               {"encoder.layer.0.mlp.fc1.weight", r::ffn_up, 0},
               {"encoder.layer.39.mlp.weights_in.weight", r::ffn_gate_up, 39},  // dinov2 giant SwiGLU
               {"layernorm.weight", r::norm, -1},
               {"vit.encoder.layer.2.intermediate.dense.weight", r::ffn_up, 2},
               {"vit.encoder.layer.2.layernorm_before.weight", r::norm, 2}});
    CHECK(tessera::model::classify_tensor("vision_model.encoder.layers.0.self_attn.k_proj.weight").component ==
          "vision_model.encoder");
}

TEST_CASE("catalog: GGUF (llama.cpp) and llama2.c names")
{
    check_all({{"token_embd.weight", r::embedding, -1},
               {"output.weight", r::lm_head, -1},
               {"output_norm.weight", r::norm, -1},
               {"rope_freqs.weight", r::position, -1},
               {"blk.0.attn_q.weight", r::attn_q, 0},
               {"blk.0.attn_k.weight", r::attn_k, 0},
               {"blk.0.attn_v.weight", r::attn_v, 0},
               {"blk.0.attn_qkv.weight", r::attn_qkv, 0},
               {"blk.0.attn_output.weight", r::attn_o, 0},
               {"blk.0.attn_norm.weight", r::norm, 0},
               {"blk.0.attn_q_norm.weight", r::norm, 0},
               {"blk.9.ffn_gate.weight", r::ffn_gate, 9},
               {"blk.9.ffn_up.weight", r::ffn_up, 9},
               {"blk.9.ffn_down.weight", r::ffn_down, 9},
               {"blk.9.ffn_norm.weight", r::norm, 9},
               {"token_embedding", r::embedding, -1},  // llama2.c, as parse_llama2_header names them
               {"layers.4.rms_att", r::norm, 4},
               {"layers.4.wq", r::attn_q, 4},
               {"layers.4.wk", r::attn_k, 4},
               {"layers.4.wv", r::attn_v, 4},
               {"layers.4.wo", r::attn_o, 4},
               {"layers.4.rms_ffn", r::norm, 4},
               {"layers.4.w1", r::ffn_gate, 4},
               {"layers.4.w2", r::ffn_down, 4},
               {"layers.4.w3", r::ffn_up, 4},
               {"rms_final", r::norm, -1},
               {"freq_cis_real", r::position, -1},
               {"freq_cis_imag", r::position, -1},
               {"classifier", r::lm_head, -1}});
}

TEST_CASE("catalog: USE-lite TF.js manifest names (TF kernels are [in, out]); constants stay, as unknown")
{
    const std::string L0 = "module_apply_default/Encoder_en/KonaTransformer/Encode/Layer_0/TransformerLayer/";
    const std::string S1 = "module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/Layer_1/TransformerLayer/";
    const std::string names[] = {
        "module/Embeddings_en",
        "module/Encoder_en/KonaTransformer/Encode/Layer_0/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0",
        L0 + "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat",
        "module/Encoder_en/KonaTransformer/Encode/Layer_1/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0",
        S1 + "FFN/conv1/Tensordot/Reshape_1",
        S1 + "FFN/conv2/Tensordot/Reshape_1",
        L0 + "FFN/conv1/bias/ConcatPartitions/concat",
        L0 + "FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat",
        L0 + "layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat",
        L0 + "dense/kernel/ConcatPartitions/concat",
        "module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1",
        "module/Encoder_en/hidden_layers/tanh_layer_0/weights",
        "module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y",
        S1 + "MultiheadAttention/Const",
        "module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Const",
    };
    check_all({{names[0].c_str(), r::embedding, -1},
               {names[1].c_str(), r::attn_qkv, 0, false, io},
               {names[2].c_str(), r::attn_qkv, 0, true, io},
               {names[3].c_str(), r::attn_o, 1, false, io},
               {names[4].c_str(), r::ffn_up, 1, false, io},
               {names[5].c_str(), r::ffn_down, 1, false, io},
               {names[6].c_str(), r::ffn_up, 0, true, io},
               {names[7].c_str(), r::norm, 0},
               {names[8].c_str(), r::norm, 0, true},
               {names[9].c_str(), r::other, 0, false, io},
               {names[10].c_str(), r::position, 0},
               {names[11].c_str(), r::other, -1, false, io},
               {names[12].c_str(), r::other, -1},
               {names[13].c_str(), r::unknown, 1},
               {names[14].c_str(), r::unknown, -1}});
}

TEST_CASE("catalog: unknown names are kept, in order; an empty name is unknown")
{
    const auto cat = tessera::model::catalog_names({"foo", "", "model.layers.x.q_proj.weight", "blk.7"});
    REQUIRE(cat.size() == 4);
    CHECK(cat[0].role == r::unknown);
    CHECK(cat[1].role == r::unknown);
    CHECK(cat[1].layer == -1);
    CHECK(cat[2].role == r::attn_q);  // the role does not need a layer index
    CHECK(cat[2].layer == -1);
    CHECK(cat[3].layer == 7);
}
