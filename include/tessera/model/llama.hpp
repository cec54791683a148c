#pragma once
/// \file llama.hpp
/// Building a llama_model (model/forward.hpp) with dense operators: from a model::checkpoint in
/// any llama layout (llama2.c .bin, Hugging Face llama folder or .safetensors, GGUF llama), or as
/// a borrowing view of llama2_weights (model/llama2_checkpoint.hpp).
///
/// Rotary order. llama2.c and Meta rotate the interleaved pairs (2i, 2i+1) of each head, and
/// so does this forward pass. Hugging Face checkpoints permute the rows of q_proj and k_proj
/// within each head for rotate_half (row h*head + 2i + j stored at h*head + j*head/2 + i);
/// load_llama undoes that. llama.cpp's convert_hf_to_gguf.py permutes them back before writing
/// GGUF, so GGUF's attn_q / attn_k are read as stored.

#include <cmath>
#include <cstddef>
#include <memory>
#include <string>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "checkpoint.hpp"
#include "config.hpp"
#include "forward.hpp"
#include "llama2_checkpoint.hpp"

namespace tessera::model
{
    namespace detail
    {
        /// Rotary tables [seq_len, head_size/2]: cos and sin of pos * theta^(-2i/head_size),
        /// computed in double and rounded once to T.
        template <class T>
        void rope_tables(std::size_t seq_len, std::size_t head_size, double theta, xt::xtensor<T, 2>& cos_out,
                         xt::xtensor<T, 2>& sin_out)
        {
            const std::size_t half = head_size / 2;
            cos_out = xt::xtensor<T, 2>::from_shape({seq_len, half});
            sin_out = xt::xtensor<T, 2>::from_shape({seq_len, half});
            for (std::size_t i = 0; i < half; ++i)
            {
                const double f = std::pow(theta, -static_cast<double>(2 * i) / static_cast<double>(head_size));
                for (std::size_t p = 0; p < seq_len; ++p)
                {
                    cos_out(p, i) = static_cast<T>(std::cos(static_cast<double>(p) * f));
                    sin_out(p, i) = static_cast<T>(std::sin(static_cast<double>(p) * f));
                }
            }
        }

        /// The rows of an HF q_proj / k_proj [heads * head, in] back in interleaved rotary order:
        /// row h*head + 2i + j comes from row h*head + j*head/2 + i.
        template <class T>
        xt::xtensor<T, 2> unpermute_rotary(const xt::xtensor<T, 2>& w, std::size_t heads)
        {
            const std::size_t out = w.shape(0), in = w.shape(1), head = out / heads;
            xt::xtensor<T, 2> r = xt::xtensor<T, 2>::from_shape({out, in});
            for (std::size_t h = 0; h < heads; ++h)
                for (std::size_t i = 0; i < head / 2; ++i)
                    for (std::size_t j = 0; j < 2; ++j)
                        std::copy_n(w.data() + (h * head + j * head / 2 + i) * in, in,
                                    r.data() + (h * head + 2 * i + j) * in);
            return r;
        }

        /// A llama_model that borrows the matrices and embedding of `w` (dense views, no copy;
        /// norm gains and rotary tables copied), with w's own rotary tables.
        /// \note `w` must outlive the model and every runner built on it.
        /// \throws tessera::invalid_argument as llama2_weights::validate.
        template <class T>
        llama_model<T> llama2_view(const llama2_weights<T>& w)
        {
            w.validate();
            llama_model<T> m;
            m.config = w.config;
            m.token_embedding = std::shared_ptr<const xt::xtensor<T, 2>>(std::shared_ptr<void>(), &w.token_embedding);
            for (const auto& y : w.layers)
            {
                using op = linear_operator<T>;
                m.layers.push_back({y.rms_att, op::view(y.wq), op::view(y.wk), op::view(y.wv), op::view(y.wo),
                                    y.rms_ffn, op::view(y.w1), op::view(y.w2), op::view(y.w3)});
            }
            m.rms_final = w.rms_final;
            m.classifier = linear_operator<T>::view(w.config.shared_classifier ? w.token_embedding : w.classifier);
            m.rope_cos = w.freq_cis_real;
            m.rope_sin = w.freq_cis_imag;
            return m;
        }

        /// A llama_model with dense operators read from a llama-layout checkpoint: llama2.c names
        /// (token_embedding, layers.L.wq, ...), Hugging Face LlamaForCausalLM names
        /// (model.embed_tokens.weight, model.layers.L.self_attn.q_proj.weight, ...; q/k rotary
        /// permutation undone) or GGUF llama names (token_embd.weight, blk.L.attn_q.weight, ...).
        /// The classifier is the embedding unless lm_head.weight / output.weight / classifier
        /// exists. Rotary tables: rope_tables(seq_len = config().max_positions) for every format,
        /// so the three readings of one model give bitwise identical logits. rope_theta and
        /// rms_norm_eps come from config() (config.json, GGUF metadata, llama2.c's 10000 / 1e-5);
        /// when unstated, the defaults of the format's reference implementation: rope_theta 10000
        /// (transformers' LlamaConfig, llama.cpp), rms_norm_eps 1e-6 for a Hugging Face checkpoint
        /// (transformers' LlamaConfig); a GGUF file must state it (llama.cpp refuses one that does not).
        /// \note A llama2.c file's own freq_cis tables (float32 angles) are not used: they differ
        ///       from the double-computed ones by at most ~2.3e-6 (stories260K); llama2_view uses them.
        /// \throws tessera::invalid_argument when the checkpoint is not a llama layout (no known
        ///         embedding name), a count in config() is 0, config().rope_scaling is set,
        ///         rope_theta is not finite and > 0, rms_norm_eps is not finite and >= 0 or absent
        ///         from a GGUF file, or a tensor has the wrong shape;
        ///         tessera::io_error when a tensor cannot be decoded.
        template <class T>
        llama_model<T> load_llama(const checkpoint& ck)
        {
            const char* fn = "model::load_llama";
            enum class names { llama2c, hf, gguf } kind;
            if (ck.contains("token_embedding"))
                kind = names::llama2c;
            else if (ck.contains("model.embed_tokens.weight"))
                kind = names::hf;
            else if (ck.contains("token_embd.weight"))
                kind = names::gguf;
            else
                throw invalid_argument(concat(fn, ": ", ck.path(), " is not a llama layout: none of token_embedding, "
                                                  "model.embed_tokens.weight, token_embd.weight"));
            const model_config& mc = ck.config();
            llama2_config c;
            for (const auto& [l, m] : llama2_sizes)
                c.*l = mc.*m;
            require(mc.rope_scaling.empty(), fn, ck.path(), ": rope_scaling '", mc.rope_scaling,
                    "' is not supported (plain rotary only): the logits would be wrong");
            require(kind != names::gguf || mc.rms_norm_eps.has_value(), fn, ck.path(), ": GGUF metadata must state ",
                    mc.architecture, ".attention.layer_norm_rms_epsilon");
            c.rope_theta = mc.rope_theta.value_or(10000.0);
            c.rms_norm_eps = mc.rms_norm_eps.value_or(kind == names::hf ? 1e-6 : 1e-5);
            require(std::isfinite(c.rope_theta) && c.rope_theta > 0.0, fn, ck.path(), ": rope_theta=", c.rope_theta,
                    " must be finite and > 0");
            require(std::isfinite(c.rms_norm_eps) && c.rms_norm_eps >= 0.0, fn, ck.path(), ": rms_norm_eps=",
                    c.rms_norm_eps, " must be finite and >= 0");
            require(c.dim && c.hidden_dim && c.n_layers && c.n_heads && c.n_kv_heads && c.vocab_size && c.seq_len, fn,
                    ck.path(), ": config must state hidden=", c.dim, ", intermediate=", c.hidden_dim, ", n_layers=",
                    c.n_layers, ", n_heads=", c.n_heads, ", n_kv_heads=", c.n_kv_heads, ", vocab_size=", c.vocab_size,
                    ", max_positions=", c.seq_len, " (all > 0)");
            auto name = [&](const char* l2c, const char* hf, const char* gguf, std::ptrdiff_t l = -1) {
                const char* base = kind == names::llama2c ? l2c : kind == names::hf ? hf : gguf;
                if (l < 0)
                    return std::string(base);
                return kind == names::llama2c ? concat("layers.", l, ".", base)
                       : kind == names::hf    ? concat("model.layers.", l, ".", base)
                                              : concat("blk.", l, ".", base);
            };
            const std::string head = name("classifier", "lm_head.weight", "output.weight");
            c.shared_classifier = !ck.contains(head);
            llama_model<T> m;
            m.config = c;
            auto emb = std::make_shared<const xt::xtensor<T, 2>>(
                ck.read<T, 2>(name("token_embedding", "model.embed_tokens.weight", "token_embd.weight")));
            m.token_embedding = emb;
            m.classifier = c.shared_classifier ? linear_operator<T>(emb) : linear_operator<T>(ck.read<T, 2>(head));
            m.rms_final = ck.read<T, 1>(name("rms_final", "model.norm.weight", "output_norm.weight"));
            for (std::size_t li = 0; li < c.n_layers; ++li)
            {
                const auto l = static_cast<std::ptrdiff_t>(li);
                auto mat = [&](const char* a, const char* b, const char* g) {
                    return ck.read<T, 2>(name(a, b, g, l));
                };
                auto wq = mat("wq", "self_attn.q_proj.weight", "attn_q.weight");
                auto wk = mat("wk", "self_attn.k_proj.weight", "attn_k.weight");
                if (kind == names::hf)
                {
                    require(wq.shape(0) == c.dim && wk.shape(0) == c.kv_dim(), fn, "layer ", l, ": q_proj ",
                            shape_to_string(wq.shape()), " / k_proj ", shape_to_string(wk.shape()),
                            " disagree with dim=", c.dim, ", kv_dim=", c.kv_dim());
                    wq = unpermute_rotary(wq, c.n_heads);
                    wk = unpermute_rotary(wk, c.n_kv_heads);
                }
                using op = linear_operator<T>;
                m.layers.push_back({ck.read<T, 1>(name("rms_att", "input_layernorm.weight", "attn_norm.weight", l)),
                                    op(std::move(wq)), op(std::move(wk)),
                                    op(mat("wv", "self_attn.v_proj.weight", "attn_v.weight")),
                                    op(mat("wo", "self_attn.o_proj.weight", "attn_output.weight")),
                                    ck.read<T, 1>(name("rms_ffn", "post_attention_layernorm.weight", "ffn_norm.weight", l)),
                                    op(mat("w1", "mlp.gate_proj.weight", "ffn_gate.weight")),
                                    op(mat("w2", "mlp.down_proj.weight", "ffn_down.weight")),
                                    op(mat("w3", "mlp.up_proj.weight", "ffn_up.weight"))});
            }
            rope_tables(c.seq_len, c.head_size(), c.rope_theta, m.rope_cos, m.rope_sin);
            m.validate();
            return m;
        }
    }  // namespace detail

    using detail::llama2_view, detail::load_llama, detail::rope_tables, detail::unpermute_rotary;
}  // namespace tessera::model
