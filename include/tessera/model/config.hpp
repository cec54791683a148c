#pragma once
/// \file config.hpp
/// The architecture hyper-parameters of a checkpoint, from a Hugging Face `config.json`, GGUF
/// metadata or a llama2.c header, completed from the tensor catalog where the source is silent.

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "../core/errors.hpp"
#include "../io/gguf.hpp"
#include "../io/mapped_file.hpp"
#include "catalog.hpp"
#include "llama2_checkpoint.hpp"

namespace tessera::model
{
    /// Hyper-parameters of a transformer checkpoint. A count of 0 means "not known" (the source
    /// does not state it and the tensors do not tell).
    struct model_config
    {
        std::string architecture;          ///< "LlamaForCausalLM" (config.json architectures[0]), GGUF general.architecture ("llama"), or "llama2.c"
        std::string model_type;            ///< config.json model_type ("llama", "gpt2", "t5", ...), the GGUF architecture, "llama" for llama2.c
        std::size_t n_layers = 0;          ///< transformer blocks (num_hidden_layers / n_layer / num_layers / block_count)
        std::size_t hidden = 0;            ///< model width (hidden_size / n_embd / d_model / embedding_length)
        std::size_t intermediate = 0;      ///< FFN width (intermediate_size / n_inner / d_ff / feed_forward_length)
        std::size_t n_heads = 0;           ///< query heads (num_attention_heads / n_head / num_heads / head_count)
        std::size_t n_kv_heads = 0;        ///< key/value heads (num_key_value_heads / head_count_kv; n_heads when absent)
        std::size_t vocab_size = 0;        ///< tokens (vocab_size; GGUF: the tokenizer's token count)
        std::size_t max_positions = 0;     ///< context length (max_position_embeddings / n_positions / context_length)
        bool tie_word_embeddings = false;  ///< the output classifier is the input embedding
        /// Rotary base theta: config.json `rope_theta`, GGUF `<arch>.rope.freq_base`, 10000 for
        /// llama2.c (not stored; llama2.c's value); empty when the source does not state it.
        std::optional<double> rope_theta;
        /// RMSNorm epsilon: config.json `rms_norm_eps`, GGUF `<arch>.attention.layer_norm_rms_epsilon`,
        /// 1e-5 for llama2.c (not stored; llama2.c's value); empty when the source does not state it.
        std::optional<double> rms_norm_eps;
        /// Rotary scaling type: config.json `rope_scaling.rope_type` (or `.type`), GGUF
        /// `<arch>.rope.scaling.type`; empty when absent, null or "none" (plain rotary).
        /// load_llama refuses any other ("linear", "dynamic", "yarn", "llama3", ...): it does not
        /// implement them, and the logits would be wrong.
        std::string rope_scaling;
    };

    namespace detail
    {
        using tessera::concat;

        /// Parses a Hugging Face `config.json` (text `json`, read from `file`): the first of each
        /// key list that holds a number; tie_word_embeddings when present (`tie_known` says so).
        /// \throws tessera::io_error naming `file` and the byte offset for malformed JSON or a
        ///         top level that is not an object.
        inline model_config parse_hf_config(const std::string& json, const std::string& file, bool& tie_known)
        {
            nlohmann::json j;
            try
            {
                j = nlohmann::json::parse(json);
            }
            catch (const nlohmann::json::parse_error& e)
            {
                throw io_error(file, e.byte > 0 ? e.byte - 1 : 0, concat("malformed JSON: ", e.what()));
            }
            catch (const nlohmann::json::exception& e)
            {
                throw io_error(file, 0, concat("malformed JSON: ", e.what()));
            }
            if (!j.is_object())
                throw io_error(file, 0, "config.json must hold a JSON object");
            auto count = [&](std::initializer_list<const char*> keys) -> std::size_t {
                for (const char* k : keys)
                    if (j.contains(k) && j[k].is_number_unsigned())
                        return j[k].get<std::size_t>();
                return 0;
            };
            model_config c;
            if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty() &&
                j["architectures"][0].is_string())
                c.architecture = j["architectures"][0].get<std::string>();
            if (j.contains("model_type") && j["model_type"].is_string())
                c.model_type = j["model_type"].get<std::string>();
            c.n_layers = count({"num_hidden_layers", "n_layer", "num_layers"});
            c.hidden = count({"hidden_size", "n_embd", "d_model"});
            c.intermediate = count({"intermediate_size", "n_inner", "d_ff"});
            c.n_heads = count({"num_attention_heads", "n_head", "num_heads"});
            c.n_kv_heads = count({"num_key_value_heads"});
            c.vocab_size = count({"vocab_size"});
            c.max_positions = count({"max_position_embeddings", "n_positions"});
            for (auto [key, dst] : {std::pair{"rope_theta", &c.rope_theta}, {"rms_norm_eps", &c.rms_norm_eps}})
                if (j.contains(key) && j[key].is_number())
                    *dst = j[key].get<double>();
            if (j.contains("rope_scaling") && j["rope_scaling"].is_object())
            {
                const auto& r = j["rope_scaling"];
                for (const char* k : {"rope_type", "type"})
                    if (c.rope_scaling.empty() && r.contains(k) && r[k].is_string())
                        c.rope_scaling = r[k].get<std::string>();
                if (c.rope_scaling.empty())
                    c.rope_scaling = "unknown";  // an object without a type still scales
            }
            if (c.rope_scaling == "none" || c.rope_scaling == "default")
                c.rope_scaling.clear();
            tie_known = j.contains("tie_word_embeddings") && j["tie_word_embeddings"].is_boolean();
            if (tie_known)
                c.tie_word_embeddings = j["tie_word_embeddings"].get<bool>();
            return c;
        }

        /// The decimal a float32 stands for: the shortest `%.*g` (1..9 digits) that rounds back to
        /// `f` (1e-5f -> 1e-5), so a GGUF float32 eps or theta equals the config.json value in double.
        inline double shortest_decimal(float f)
        {
            char buf[32];
            for (int digits = 1; digits < 9; ++digits)
            {
                std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(f));
                if (std::strtof(buf, nullptr) == f)
                    return std::strtod(buf, nullptr);
            }
            return static_cast<double>(f);
        }

        /// The config stated by GGUF metadata (`general.architecture` and `<arch>.block_count`,
        /// `.embedding_length`, `.feed_forward_length`, `.attention.head_count(_kv)`,
        /// `.context_length`, `.vocab_size` or the length of `tokenizer.ggml.tokens`,
        /// `.rope.freq_base`, `.attention.layer_norm_rms_epsilon` (a float32 value is read as
        /// shortest_decimal, a float64 one as stored), `.rope.scaling.type` ("none" = empty)).
        /// \throws tessera::invalid_argument when a key holds a value of the wrong type.
        inline model_config gguf_config(const io::gguf_metadata& m)
        {
            model_config c;
            c.architecture = m.get<std::string>("general.architecture").value_or("");
            c.model_type = c.architecture;
            auto count = [&](const char* key) {
                return m.get<std::size_t>(c.architecture + "." + key).value_or(0);
            };
            c.n_layers = count("block_count");
            c.hidden = count("embedding_length");
            c.intermediate = count("feed_forward_length");
            c.n_heads = count("attention.head_count");
            c.n_kv_heads = count("attention.head_count_kv");
            c.max_positions = count("context_length");
            c.vocab_size = count("vocab_size");
            if (c.vocab_size == 0)
                if (const io::gguf_value* t = m.find("tokenizer.ggml.tokens"))
                    c.vocab_size = t->array().values.size();
            for (auto [key, dst] : {std::pair{".rope.freq_base", &c.rope_theta},
                                    {".attention.layer_norm_rms_epsilon", &c.rms_norm_eps}})
                if (const io::gguf_value* v = m.find(c.architecture + key))
                    *dst = v->type() == io::gguf_value_type::float32 ? shortest_decimal(v->as<float>(c.architecture + key))
                                                                     : v->as<double>(c.architecture + key);
            c.rope_scaling = m.get<std::string>(c.architecture + ".rope.scaling.type").value_or("");
            if (c.rope_scaling == "none")
                c.rope_scaling.clear();
            return c;
        }

        /// The sizes a llama2.c header and a model_config both carry, as (llama2_config member,
        /// model_config member): one table for both directions of the conversion.
        inline constexpr std::pair<std::size_t llama2_config::*, std::size_t model_config::*> llama2_sizes[] = {
            {&llama2_config::dim, &model_config::hidden},
            {&llama2_config::hidden_dim, &model_config::intermediate},
            {&llama2_config::n_layers, &model_config::n_layers},
            {&llama2_config::n_heads, &model_config::n_heads},
            {&llama2_config::n_kv_heads, &model_config::n_kv_heads},
            {&llama2_config::vocab_size, &model_config::vocab_size},
            {&llama2_config::seq_len, &model_config::max_positions}};

        /// The config of a llama2.c header (architecture "llama2.c", model_type "llama"), with
        /// llama2.c's rope_theta and rms_norm_eps (h.rope_theta, h.rms_norm_eps: 10000, 1e-5).
        inline model_config llama2_model_config(const llama2_config& h)
        {
            model_config c;
            c.architecture = "llama2.c";
            c.model_type = "llama";
            for (const auto& [l, m] : llama2_sizes)
                c.*m = h.*l;
            c.tie_word_embeddings = h.shared_classifier;
            c.rope_theta = h.rope_theta;
            c.rms_norm_eps = h.rms_norm_eps;
            return c;
        }

        /// True when `c` names a generative (decoder) model, whose missing output head means a tied
        /// one: a config.json architecture `...ForCausalLM`, `...LMHeadModel` or
        /// `...ForConditionalGeneration`, or a decoder model_type / GGUF architecture.
        inline bool is_generative(const model_config& c)
        {
            for (const char* suffix : {"CausalLM", "LMHeadModel", "ForConditionalGeneration"})
                if (c.architecture.find(suffix) != std::string::npos)
                    return true;
            for (const char* t : {"llama", "llama2.c", "qwen2", "qwen3", "mistral", "mixtral", "phi3", "gemma", "gemma2",
                                  "gpt2", "gptj", "gpt_neox", "falcon", "starcoder2", "olmo", "stablelm", "bitnet"})
                if (c.model_type == t || c.architecture == t)
                    return true;
            return false;
        }

        /// Fills what `c` leaves unknown from the tensors: n_layers = 1 + the largest block index,
        /// vocab_size x hidden = the shape of the (first) embedding, n_kv_heads = n_heads, and
        /// tie_word_embeddings (unless `tie_known`) = no lm_head tensor, for a generative model only
        /// (is_generative): an encoder (BERT, USE-lite) or a checkpoint whose architecture is unknown
        /// has no head to tie, so it stays false. `shapes[i]` belongs to `entries[i]`.
        inline void complete_config(model_config& c, const std::vector<catalog_entry>& entries,
                                    const std::vector<std::vector<std::size_t>>& shapes, bool tie_known)
        {
            std::ptrdiff_t last = -1;
            bool head = false, embedding = false;
            for (std::size_t i = 0; i < entries.size(); ++i)
            {
                last = std::max(last, entries[i].layer);
                head = head || entries[i].role == tensor_role::lm_head;
                if (!embedding && entries[i].role == tensor_role::embedding && !entries[i].bias && shapes[i].size() == 2)
                {
                    embedding = true;
                    if (c.vocab_size == 0)
                        c.vocab_size = shapes[i][0];
                    if (c.hidden == 0)
                        c.hidden = shapes[i][1];
                }
            }
            if (c.n_layers == 0)
                c.n_layers = static_cast<std::size_t>(last + 1);
            if (c.n_kv_heads == 0)
                c.n_kv_heads = c.n_heads;
            if (!tie_known)
                c.tie_word_embeddings = embedding && !head && is_generative(c);
        }
    }  // namespace detail

    using detail::complete_config, detail::gguf_config, detail::is_generative, detail::llama2_model_config,
        detail::parse_hf_config;
}  // namespace tessera::model
