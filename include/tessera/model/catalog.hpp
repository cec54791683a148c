#pragma once
/// \file catalog.hpp
/// The role of each tensor of a model checkpoint (embedding, attention projection, FFN
/// projection, norm, ...) and its layer index, from its name alone, by one table of naming rules
/// covering Hugging Face llama/qwen2/mistral/mixtral, gpt2, bert, t5, vit/clip/dinov2, GGUF
/// (llama.cpp), llama2.c and USE-lite (TF.js) names. A name no rule matches is kept with role
/// `unknown`; nothing is dropped.

#include <cstddef>
#include <string>
#include <vector>

namespace tessera::model
{
    /// What a tensor is for. Fused projections have their own roles.
    enum class tensor_role
    {
        embedding,  ///< input token table (or a vision model's patch projection)
        lm_head,    ///< output classifier [vocab, hidden] (absent when tied to the embedding)
        attn_q,     ///< attention query projection
        attn_k,     ///< attention key projection
        attn_v,     ///< attention value projection
        attn_qkv,   ///< fused query/key/value projection (gpt2 c_attn, phi3 qkv_proj, GGUF attn_qkv)
        attn_o,     ///< attention output projection
        ffn_gate,   ///< gated FFN gate projection (SwiGLU w1 / gate_proj / T5 wi_0)
        ffn_up,     ///< FFN up projection (w3 / up_proj / fc1 / c_fc / intermediate.dense)
        ffn_gate_up,  ///< fused gate and up projection (phi3 gate_up_proj, dinov2 weights_in)
        ffn_down,   ///< FFN down projection (w2 / down_proj / fc2 / T5 wo)
        norm,       ///< a normalisation gain or bias (RMSNorm, LayerNorm)
        position,   ///< position embedding, relative position bias, rotary tables
        other,      ///< recognised but none of the above (pooler, cls token, layer scale, ...)
        unknown     ///< no rule matched the name
    };

    /// How a weight matrix's last two axes are laid out.
    enum class tensor_layout
    {
        out_in,  ///< [out, in]: row i produces output i (torch Linear, GGUF, llama2.c)
        in_out   ///< [in, out]: transposed (gpt2 Conv1D, TF kernels such as USE-lite's)
    };

    /// One catalogued tensor.
    struct catalog_entry
    {
        std::string name;                              ///< the tensor's name in the checkpoint
        tensor_role role = tensor_role::unknown;       ///< what it is for
        std::ptrdiff_t layer = -1;                     ///< transformer block index, -1 when not in a block
        std::string component;                         ///< the path before the block list ("model", "encoder", "decoder", "vision_model.encoder"), empty when not in a block
        bool bias = false;                             ///< true for a bias vector (name ends in "bias")
        tensor_layout layout = tensor_layout::out_in;  ///< layout of a weight matrix
    };

    namespace detail
    {
        /// One naming rule: segments (split at '.' and '/') that must occur contiguously in a
        /// name; a segment pattern may begin and/or end with '*' (substring match); a leading
        /// '^' anchors the pattern at the first segment, a trailing '$' at the last.
        struct catalog_rule
        {
            const char* pattern;
            tensor_role role;
            tensor_layout layout;
        };

        /// The naming rules, first match wins (so specific patterns precede generic ones).
        inline const std::vector<catalog_rule>& catalog_rules()
        {
            using r = tensor_role;
            constexpr auto oi = tensor_layout::out_in, io = tensor_layout::in_out;
            static const std::vector<catalog_rule> rules = {
                {"l2_normalize", r::other, oi}, {"block_sparse_moe.gate", r::other, oi},  // not norms / not FFN gates
                // norms before projections: "q_norm", "attn_norm", "LayerNorm", "ln_1", "rms_att", "layer_norm_scale"
                {"*norm*", r::norm, oi}, {"*Norm*", r::norm, oi}, {"ln_*", r::norm, oi}, {"rms_*", r::norm, oi},
                // positions
                {"relative_attention_bias", r::position, oi}, {"wpe", r::position, oi}, {"position_embd", r::position, oi},
                {"position_embedding", r::position, oi}, {"position_embeddings", r::position, oi},
                {"rotary_emb", r::position, oi}, {"rope_freqs", r::position, oi}, {"freq_cis_*", r::position, oi},
                {"AddTimingSignal", r::position, oi},
                // embeddings and heads
                {"token_type_embeddings", r::other, oi}, {"class_embedding", r::other, oi}, {"cls_token", r::other, oi},
                {"mask_token", r::other, oi}, {"register_tokens", r::other, oi},
                {"embed_tokens", r::embedding, oi}, {"wte", r::embedding, oi}, {"word_embeddings", r::embedding, oi},
                {"token_embd", r::embedding, oi}, {"token_embedding", r::embedding, oi}, {"^shared", r::embedding, oi},
                {"Embeddings_en", r::embedding, oi}, {"patch_embedding", r::embedding, oi},
                {"patch_embeddings", r::embedding, oi},
                {"^lm_head", r::lm_head, oi}, {"^output.weight$", r::lm_head, oi}, {"^classifier$", r::lm_head, oi},
                {"cls.predictions.decoder", r::lm_head, oi}, {"^embed_out", r::lm_head, oi},
                // gpt2 Conv1D ([in, out]) and USE-lite TF kernels
                {"attn.c_attn", r::attn_qkv, io}, {"attn.c_proj", r::attn_o, io}, {"mlp.c_fc", r::ffn_up, io},
                {"mlp.c_proj", r::ffn_down, io}, {"qkv_transform_single", r::attn_qkv, io},
                {"output_transform_single", r::attn_o, io}, {"FFN.conv1", r::ffn_up, io}, {"FFN.conv2", r::ffn_down, io},
                // T5 (before the generic wo / q / k / v)
                {"DenseReluDense.wi", r::ffn_up, oi}, {"DenseReluDense.wi_0", r::ffn_gate, oi},
                {"DenseReluDense.wi_1", r::ffn_up, oi}, {"DenseReluDense.wo", r::ffn_down, oi},
                {"SelfAttention.q", r::attn_q, oi}, {"SelfAttention.k", r::attn_k, oi}, {"SelfAttention.v", r::attn_v, oi},
                {"SelfAttention.o", r::attn_o, oi}, {"EncDecAttention.q", r::attn_q, oi},
                {"EncDecAttention.k", r::attn_k, oi}, {"EncDecAttention.v", r::attn_v, oi},
                {"EncDecAttention.o", r::attn_o, oi},
                // attention
                {"qkv_proj", r::attn_qkv, oi}, {"query_key_value", r::attn_qkv, oi}, {"attn_qkv", r::attn_qkv, oi},
                {"Wqkv", r::attn_qkv, oi}, {"attn.qkv", r::attn_qkv, oi},
                {"q_proj", r::attn_q, oi}, {"k_proj", r::attn_k, oi}, {"v_proj", r::attn_v, oi}, {"o_proj", r::attn_o, oi},
                {"out_proj", r::attn_o, oi}, {"attn.proj", r::attn_o, oi}, {"query", r::attn_q, oi}, {"key", r::attn_k, oi},
                {"value", r::attn_v, oi}, {"attention.output.dense", r::attn_o, oi}, {"attn_q", r::attn_q, oi},
                {"attn_k", r::attn_k, oi}, {"attn_v", r::attn_v, oi}, {"attn_output", r::attn_o, oi},
                {"wq", r::attn_q, oi}, {"wk", r::attn_k, oi}, {"wv", r::attn_v, oi}, {"wo", r::attn_o, oi},
                // feed-forward
                {"gate_up_proj", r::ffn_gate_up, oi}, {"weights_in", r::ffn_gate_up, oi}, {"weights_out", r::ffn_down, oi},
                {"gate_proj", r::ffn_gate, oi}, {"up_proj", r::ffn_up, oi}, {"down_proj", r::ffn_down, oi},
                {"ffn_gate", r::ffn_gate, oi}, {"ffn_up", r::ffn_up, oi}, {"ffn_down", r::ffn_down, oi},
                {"w1", r::ffn_gate, oi}, {"w3", r::ffn_up, oi}, {"w2", r::ffn_down, oi},
                {"intermediate.dense", r::ffn_up, oi}, {"output.dense", r::ffn_down, oi}, {"fc1", r::ffn_up, oi},
                {"fc2", r::ffn_down, oi},
                // recognised, other
                {"pooler", r::other, oi}, {"layer_scale*", r::other, oi}, {"text_projection", r::other, oi},
                {"visual_projection", r::other, oi}, {"logit_scale", r::other, oi}, {"attn.bias", r::other, oi},
                {"attn.masked_bias", r::other, oi}, {"cls.predictions", r::other, oi}, {"hidden_layers", r::other, io},
                {"TransformerLayer.dense", r::other, io}};
            return rules;
        }

        inline std::vector<std::string> split_name(const std::string& s)
        {
            std::vector<std::string> out(1);
            for (const char ch : s)
                if (ch == '.' || ch == '/')
                    out.emplace_back();
                else
                    out.back() += ch;
            return out;
        }

        inline bool segment_matches(const std::string& pat, const std::string& seg)
        {
            const bool lead = !pat.empty() && pat.front() == '*', trail = pat.size() > 1 && pat.back() == '*';
            const std::string core = pat.substr(lead ? 1 : 0, pat.size() - (lead ? 1 : 0) - (trail ? 1 : 0));
            if (lead && trail)
                return seg.find(core) != std::string::npos;
            if (trail)
                return seg.rfind(core, 0) == 0;
            if (lead)
                return seg.size() >= core.size() && seg.compare(seg.size() - core.size(), core.size(), core) == 0;
            return seg == core;
        }

        inline bool rule_matches(const catalog_rule& rule, const std::vector<std::string>& segs)
        {
            std::string p = rule.pattern;
            const bool head = p.front() == '^', tail = p.back() == '$';
            p = p.substr(head ? 1 : 0, p.size() - (head ? 1 : 0) - (tail ? 1 : 0));
            const auto pats = split_name(p);
            if (pats.size() > segs.size())
                return false;
            for (std::size_t at = 0; at + pats.size() <= segs.size(); ++at)
            {
                if ((head && at != 0) || (tail && at + pats.size() != segs.size()))
                    continue;
                std::size_t k = 0;
                while (k < pats.size() && segment_matches(pats[k], segs[at + k]))
                    ++k;
                if (k == pats.size())
                    return true;
            }
            return false;
        }

        inline bool all_digits(const std::string& s)
        {
            if (s.empty() || s.size() > 9)
                return false;
            for (const char ch : s)
                if (ch < '0' || ch > '9')
                    return false;
            return true;
        }

        /// The catalog entry of one tensor name: the first matching rule's role and layout, the
        /// first block index (`layers.N`, `layer.N`, `h.N`, `block.N`, `blocks.N`, `blk.N`,
        /// `Layer_N`) and the path before it, and whether the name ends in "bias". O(rules * length).
        inline catalog_entry classify_tensor(const std::string& name)
        {
            catalog_entry e;
            e.name = name;
            const auto segs = split_name(name);
            for (std::size_t i = 0; i < segs.size() && e.layer < 0; ++i)
            {
                const std::string& s = segs[i];
                std::string index;
                if (i + 1 < segs.size() && all_digits(segs[i + 1]) &&
                    (s == "layers" || s == "layer" || s == "h" || s == "block" || s == "blocks" || s == "blk"))
                    index = segs[i + 1];
                else if (s.rfind("Layer_", 0) == 0 && all_digits(s.substr(6)))
                    index = s.substr(6);
                if (index.empty())
                    continue;
                e.layer = static_cast<std::ptrdiff_t>(std::stoul(index));
                for (std::size_t j = 0; j < i; ++j)
                    e.component += (j ? "." : "") + segs[j];
            }
            // TF names end in ".../bias/ConcatPartitions/concat" or ".../layer_norm_bias/ConcatPartitions/concat"
            const std::string& tf = segs.size() > 2 && segs[segs.size() - 2] == "ConcatPartitions" ? segs[segs.size() - 3] : "";
            e.bias = segs.back() == "bias" || (tf.size() >= 4 && tf.compare(tf.size() - 4, 4, "bias") == 0);
            for (const auto& rule : catalog_rules())
                if (rule_matches(rule, segs))
                {
                    e.role = rule.role;
                    e.layout = rule.layout;
                    break;
                }
            return e;
        }

        /// classify_tensor of every name, in the given order (unknown names kept, role `unknown`).
        inline std::vector<catalog_entry> catalog_names(const std::vector<std::string>& names)
        {
            std::vector<catalog_entry> out;
            out.reserve(names.size());
            for (const auto& n : names)
                out.push_back(classify_tensor(n));
            return out;
        }

        /// Name of a role: "embedding", "lm_head", "attn_q", ..., "unknown".
        inline const char* to_string(tensor_role r) noexcept
        {
            static const char* names[] = {"embedding", "lm_head", "attn_q",      "attn_k",   "attn_v",
                                          "attn_qkv",  "attn_o",  "ffn_gate",    "ffn_up",   "ffn_gate_up",
                                          "ffn_down",  "norm",    "position",    "other",    "unknown"};
            return names[static_cast<std::size_t>(r)];
        }
    }  // namespace detail

    using detail::catalog_names, detail::classify_tensor, detail::to_string;
}  // namespace tessera::model
