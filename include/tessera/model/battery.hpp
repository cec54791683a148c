#pragma once
/// \file battery.hpp
/// The weight-terrain battery of a whole checkpoint (issue 16): per-tensor metrics of every 2-D
/// weight, per-layer QK^T and FFN-neuron metrics, cross-layer cosine matrices per weight type and
/// the embedding terrain, gathered in one battery_report with a JSON form.

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <xtensor/xtensor.hpp>

#include "../core/blas.hpp"
#include "../core/status.hpp"
#include "battery_attention.hpp"
#include "battery_embedding.hpp"
#include "battery_ffn.hpp"
#include "battery_weights.hpp"
#include "catalog.hpp"
#include "checkpoint.hpp"

namespace tessera::model
{
    /// Options of run_battery().
    struct battery_options
    {
        weight_metrics_options weights;  ///< per-tensor metrics
        ffn_options ffn;                 ///< dead-neuron threshold
        embedding_options embedding;     ///< embedding samples and seed
        bool layers = true;              ///< per-layer QK^T and FFN-neuron metrics
        bool cross_layer = true;         ///< cross-layer cosine matrices
        bool embedding_terrain = true;   ///< embedding terrain (the costliest part on a large vocabulary)
        /// Called after each unit of work with (done, total, what): one unit per measured 2-D
        /// weight, per layer block and for the embedding; `what` names it. Empty: never called.
        std::function<void(std::size_t, std::size_t, const std::string&)> progress;
    };

    /// One 2-D weight of the report.
    struct tensor_row
    {
        std::string name;                         ///< tensor name in the checkpoint
        tensor_role role = tensor_role::unknown;  ///< catalog role
        std::ptrdiff_t layer = -1;                ///< block index, -1 outside blocks
        std::vector<std::size_t> shape;           ///< stored shape
        weight_metrics metrics;                   ///< measure_weight of it
    };

    /// Per-layer metrics (present only where the layer has the tensors).
    struct layer_row
    {
        std::ptrdiff_t layer = -1;  ///< block index
        bool has_qk = false;        ///< attn_q and attn_k (or a fused attn_qkv) found, either layout
        qk_metrics qk;              ///< measure_qk of them
        bool has_ffn = false;       ///< ffn_up and ffn_down found, either layout
        ffn_metrics ffn;            ///< measure_ffn / measure_gated_ffn of them (neurons: rows of [out, in] up)
    };

    /// Cosine matrix of one weight type across layers.
    struct cross_layer_row
    {
        tensor_role role = tensor_role::unknown;  ///< the weight type
        std::vector<std::ptrdiff_t> layers;       ///< block index of each row/column
        xt::xtensor<double, 2> cosine;            ///< [L, L] cross_layer_cosine
    };

    /// Everything run_battery measured.
    struct battery_report
    {
        std::vector<tensor_row> tensors;          ///< every 2-D weight (norm, position and bias tensors excluded), storage order within type
        std::vector<layer_row> layers;            ///< by block index
        std::vector<cross_layer_row> cross_layer; ///< one per weight type present in >= 2 layers with one shape
        bool has_embedding = false;               ///< an embedding tensor was measured
        std::string embedding_name;               ///< its name
        embedding_metrics embedding;              ///< its terrain (tie compared with the lm_head, or tied per config)
        std::vector<std::string> skipped;         ///< 2-D tensors whose stored type cannot be decoded
    };

    namespace detail
    {
        inline bool battery_weight_role(tensor_role r) noexcept
        {
            return r != tensor_role::norm && r != tensor_role::position;
        }

        /// The matrix shape of a stored weight: [m, n] for 2-D, [in, out] for a 4-D 1x1
        /// convolution kernel [1, 1, in, out] (TF / USE-lite); false otherwise.
        inline bool battery_matrix_shape(const std::vector<std::size_t>& s, std::array<std::size_t, 2>& out) noexcept
        {
            if (s.size() == 2)
                out = {s[0], s[1]};
            else if (s.size() == 4 && s[0] == 1 && s[1] == 1)
                out = {s[2], s[3]};
            else
                return false;
            return true;
        }

        /// The block a layer's tensors belong to: TF exports (USE-lite) spell one block's path
        /// differently per tensor ("module/..../Encode/Layer_0" for attention kernels,
        /// "module_apply_default/.../Encode/TransformerStack/Layer_0" for FFN kernels), so a
        /// leading "module_apply_default" or "module" and a trailing "TransformerStack" segment
        /// are dropped; other components (encoder / decoder ...) stay apart.
        inline std::string battery_block(std::string c)
        {
            for (const char* p : {"module_apply_default.", "module."})
                if (c.rfind(p, 0) == 0)
                {
                    c = c.substr(std::string(p).size());
                    break;
                }
            const std::string tail = ".TransformerStack";
            if (c.size() >= tail.size() && c.compare(c.size() - tail.size(), tail.size(), tail) == 0)
                c.resize(c.size() - tail.size());
            return c;
        }

        /// What the per-type pass keeps of one block for its layer row: the FFN neuron norms
        /// (taken while each weight is in memory) and the attention tensors' indices.
        struct battery_block_parts
        {
            xt::xtensor<double, 1> up, gate, down;  ///< neuron norms ([0] when absent)
            std::map<tensor_role, std::size_t> attn;  ///< attn_q / attn_k / attn_qkv -> tensor index
        };

        /// Runs the battery on checkpoint `ck`, tensors decoded to float one weight type at a time
        /// (peak memory: the largest type's tensors over all layers, or the embedding and its
        /// head). Weights are 2-D tensors and 4-D [1, 1, in, out] kernels (as [in, out]).
        /// Per tensor: measure_weight of every non-bias weight. Per layer (either layout; in_out
        /// weights are read transposed): measure_qk with config n_heads / n_kv_heads (one head
        /// when unknown and Wq, Wk have one shape), Wq and Wk split from a fused qkv (rows
        /// [q; k; v], or thirds without head counts); the FFN dead-neuron metrics from the neuron
        /// norms taken during the per-tensor pass (no second read). Cross-layer cosine per role.
        /// Embedding: measure_embedding against the lm_head (or tied per the config), its
        /// covariance spectrum from the Gram matrix of the embedding's own singular values
        /// (covariance_from_gram), the embedding read once.
        /// \throws tessera::invalid_argument / io_error from the reads and measures, or for
        ///         options.ffn.dead_threshold outside [0, 1).
        inline battery_report run_battery(const checkpoint& ck, const battery_options& options = {})
        {
            require(options.ffn.dead_threshold >= 0.0 && options.ffn.dead_threshold < 1.0, "model::run_battery",
                    "options.ffn.dead_threshold=", options.ffn.dead_threshold, " must be in [0, 1)");
            battery_report rep;
            const auto& cat = ck.catalog();
            const auto& ts = ck.tensors();
            std::map<std::pair<tensor_role, std::string>, std::vector<std::size_t>> by_type;
            std::vector<std::size_t> singles;
            std::array<std::size_t, 2> ms{};
            for (std::size_t i = 0; i < ts.size(); ++i)
            {
                if (!battery_matrix_shape(ts[i].shape, ms) || cat[i].bias || !battery_weight_role(cat[i].role))
                    continue;
                if (!ts[i].readable)
                    rep.skipped.push_back(ts[i].name);
                else if (cat[i].layer >= 0)
                    by_type[{cat[i].role, cat[i].component}].push_back(i);
                else
                    singles.push_back(i);
            }
            auto read = [&](std::size_t i) {
                if (ts[i].shape.size() == 2)
                    return ck.read<float, 2>(ts[i].name);
                battery_matrix_shape(ts[i].shape, ms);
                const auto t = ck.read<float, 4>(ts[i].name);
                xt::xtensor<float, 2> W = xt::xtensor<float, 2>::from_shape({ms[0], ms[1]});
                std::copy(t.begin(), t.end(), W.begin());
                return W;
            };
            // [out, in] view of a weight for the layer metrics
            auto read_out_in = [&](std::size_t i) {
                auto W = read(i);
                return cat[i].layout == tensor_layout::in_out ? tessera::blas::transposed(W) : W;
            };
            std::map<std::pair<std::ptrdiff_t, std::string>, battery_block_parts> blocks;
            const auto is_attn = [](tensor_role r) {
                return r == tensor_role::attn_q || r == tensor_role::attn_k || r == tensor_role::attn_qkv;
            };
            const auto is_ffn = [](tensor_role r) {
                return r == tensor_role::ffn_up || r == tensor_role::ffn_gate || r == tensor_role::ffn_down;
            };
            if (options.layers)
                for (const auto& [key, idx] : by_type)
                    if (is_attn(key.first) || is_ffn(key.first))
                        for (std::size_t i : idx)
                            blocks[{cat[i].layer, battery_block(key.second)}];
            bool has_embedding = false;
            for (std::size_t i : singles)
                has_embedding = has_embedding || cat[i].role == tensor_role::embedding;
            std::size_t done = 0, total = singles.size() + blocks.size();
            total += options.embedding_terrain && has_embedding ? 1u : 0u;
            for (const auto& kv : by_type)
                total += kv.second.size();
            auto tick = [&](const std::string& what) {
                if (options.progress)
                    options.progress(++done, total, what);
            };
            auto row_of = [&](std::size_t i, const xt::xtensor<float, 2>& W, xt::xtensor<double, 2>* gram) {
                rep.tensors.push_back({ts[i].name, cat[i].role, cat[i].layer, ts[i].shape,
                                       weight_metrics_of(W, options.weights, gram)});
                tick(ts[i].name);
            };
            for (const auto& [key, idx] : by_type)
            {
                std::vector<xt::xtensor<float, 2>> W;
                bool same = true;
                for (std::size_t i : idx)
                {
                    W.push_back(read(i));
                    row_of(i, W.back(), nullptr);
                    same = same && W.back().shape() == W.front().shape();
                    const auto b = blocks.find({cat[i].layer, battery_block(key.second)});
                    if (b != blocks.end() && is_attn(key.first))
                        b->second.attn[key.first] = i;
                    else if (b != blocks.end() && is_ffn(key.first))
                    {
                        // neurons are the rows of up/gate and the columns of down in [out, in]
                        const bool rows = (key.first == tensor_role::ffn_down) == (cat[i].layout == tensor_layout::in_out);
                        auto v = rows ? row_norms_double(W.back()) : column_norms_double(W.back());
                        (key.first == tensor_role::ffn_up ? b->second.up
                                                          : key.first == tensor_role::ffn_gate ? b->second.gate
                                                                                               : b->second.down) = std::move(v);
                    }
                    if (!options.cross_layer)
                        W.clear();
                }
                if (options.cross_layer && same && W.size() >= 2)
                {
                    cross_layer_row c;
                    c.role = key.first;
                    for (std::size_t i : idx)
                        c.layers.push_back(cat[i].layer);
                    c.cosine = cross_layer_cosine(W);
                    rep.cross_layer.push_back(std::move(c));
                }
            }
            bool terrain_done = false;
            for (std::size_t i : singles)
            {
                if (cat[i].role != tensor_role::embedding || !options.embedding_terrain || terrain_done)
                {
                    row_of(i, read(i), nullptr);
                    continue;
                }
                const auto E = read(i);
                xt::xtensor<double, 2> G;
                row_of(i, E, &G);
                std::size_t head = ts.size();
                for (std::size_t j : singles)
                    if (cat[j].role == tensor_role::lm_head && ts[j].shape == ts[i].shape)
                        head = j;
                if (head < ts.size())
                {
                    const auto H = read(head);
                    rep.embedding = embedding_metrics_of(E, &H, options.embedding, &G, true);
                }
                else
                    rep.embedding = embedding_metrics_of<float>(E, nullptr, options.embedding, &G, true);
                if (head == ts.size() && ck.config().tie_word_embeddings)
                    rep.embedding.tie = {true, true, 1.0, 1.0, 0.0};
                rep.has_embedding = terrain_done = true;
                rep.embedding_name = ts[i].name;
                tick(ts[i].name + " terrain");
            }
            const auto& cfg = ck.config();
            for (const auto& [lk, parts] : blocks)
            {
                layer_row L;
                L.layer = lk.first;
                const auto& a = parts.attn;
                std::size_t nh = cfg.n_heads, nkv = cfg.n_kv_heads ? cfg.n_kv_heads : cfg.n_heads;
                if (a.count(tensor_role::attn_q) && a.count(tensor_role::attn_k))
                {
                    const auto q = read_out_in(a.at(tensor_role::attn_q)), k = read_out_in(a.at(tensor_role::attn_k));
                    if (nh == 0 && q.shape() == k.shape())
                        nh = nkv = 1;
                    if (nh > 0)
                    {
                        L.qk = measure_qk(q, k, nh, nkv);
                        L.has_qk = true;
                    }
                }
                else if (a.count(tensor_role::attn_qkv))
                {
                    const auto W = read_out_in(a.at(tensor_role::attn_qkv));
                    const std::size_t rows = W.shape(0), hidden = W.shape(1);
                    if (nh == 0 && rows % 3 == 0)
                        nh = nkv = 1;
                    const std::size_t parts_rows = nh + 2 * nkv, dh = nh > 0 && rows % parts_rows == 0 ? rows / parts_rows : 0;
                    if (dh > 0)
                    {
                        xt::xtensor<float, 2> q = xt::xtensor<float, 2>::from_shape({nh * dh, hidden}),
                                              k = xt::xtensor<float, 2>::from_shape({nkv * dh, hidden});
                        std::copy(W.data(), W.data() + q.size(), q.begin());
                        std::copy(W.data() + q.size(), W.data() + q.size() + k.size(), k.begin());
                        L.qk = measure_qk(q, k, nh, nkv);
                        L.has_qk = true;
                    }
                }
                const std::size_t f = parts.up.size();
                if (f > 0 && parts.down.size() == f && (parts.gate.size() == 0 || parts.gate.size() == f))
                {
                    L.ffn = ffn_metrics_from_norms(parts.up, parts.gate, parts.down, options.ffn);
                    L.has_ffn = true;
                }
                if (L.has_qk || L.has_ffn)
                    rep.layers.push_back(std::move(L));
                tick(concat("layer ", lk.first, " QK and FFN"));
            }
            return rep;
        }

        inline nlohmann::json status_json(const tessera::status& s)
        {
            return {{"code", tessera::to_string(s.code)}, {"message", s.message}};
        }

        /// The report as JSON: "tensors" (name, role, layer, shape and every scalar metric),
        /// "layers" (the full-matrix QK^T positive_fraction, positive_mass and symmetry, then the
        /// per-head scalars; FFN dead counts and indices), "cross_layer" (role,
        /// layers, cosine rows), "embedding", "skipped". Singular values and per-neuron vectors
        /// are left out (they are in the structs).
        inline nlohmann::json to_json(const battery_report& rep)
        {
            nlohmann::json j;
            j["tensors"] = nlohmann::json::array();
            for (const auto& t : rep.tensors)
            {
                const auto& m = t.metrics;
                j["tensors"].push_back(
                    {{"name", t.name}, {"role", to_string(t.role)}, {"layer", t.layer}, {"shape", t.shape},
                     {"stable_rank", m.stable_rank}, {"participation_ratio", m.participation_ratio},
                     {"effective_rank", m.effective_rank}, {"energy_rank", m.energy_rank},
                     {"condition_number", std::isfinite(m.condition_number) ? nlohmann::json(m.condition_number) : nlohmann::json("inf")},
                     {"active_fraction", m.active_fraction}, {"sparsity", m.sparsity}, {"frobenius", m.frobenius},
                     {"mean_abs", m.mean_abs}, {"mean", m.mean}, {"std", m.stddev}, {"max_abs", m.max_abs},
                     {"row_norm_mean", m.row_norm_mean}, {"row_norm_std", m.row_norm_std}, {"method", m.method},
                     {"status", status_json(m.status)}});
            }
            j["layers"] = nlohmann::json::array();
            for (const auto& L : rep.layers)
            {
                nlohmann::json l{{"layer", L.layer}};
                if (L.has_qk)
                {
                    nlohmann::json heads = nlohmann::json::array();
                    for (const auto& h : L.qk.heads)
                        heads.push_back({{"head", h.head}, {"kv_head", h.kv_head}, {"stable_rank", h.stable_rank},
                                         {"participation_ratio", h.participation_ratio},
                                         {"effective_rank", h.effective_rank}, {"symmetry", h.symmetry},
                                         {"positive_fraction", h.positive_fraction}, {"positive_mass", h.positive_mass}});
                    l["qk"] = {{"positive_fraction", L.qk.positive_fraction}, {"positive_mass", L.qk.positive_mass},
                               {"symmetry", L.qk.symmetry}, {"mean_symmetry", L.qk.mean_symmetry}, {"heads", heads},
                               {"status", status_json(L.qk.status)}};
                }
                if (L.has_ffn)
                    l["ffn"] = {{"neurons", L.ffn.neurons}, {"dead", L.ffn.dead}, {"dead_input", L.ffn.dead_input},
                                {"dead_output", L.ffn.dead_output}, {"dead_fraction", L.ffn.dead_fraction}};
                j["layers"].push_back(l);
            }
            j["cross_layer"] = nlohmann::json::array();
            for (const auto& c : rep.cross_layer)
            {
                nlohmann::json rows = nlohmann::json::array();
                for (std::size_t a = 0; a < c.cosine.shape(0); ++a)
                    rows.push_back(std::vector<double>(c.cosine.data() + a * c.cosine.shape(1),
                                                       c.cosine.data() + (a + 1) * c.cosine.shape(1)));
                j["cross_layer"].push_back({{"role", to_string(c.role)}, {"layers", c.layers}, {"cosine", rows}});
            }
            if (rep.has_embedding)
            {
                const auto& e = rep.embedding;
                j["embedding"] = {
                    {"name", rep.embedding_name}, {"row_norm_mean", e.row_norms.mean}, {"row_norm_std", e.row_norms.stddev},
                    {"cosine_mean", e.cosine.mean}, {"cosine_std", e.cosine.stddev},
                    {"covariance_participation_ratio", e.covariance_participation_ratio},
                    {"volume_cv", e.volume_cv}, {"gaussian_ratio", e.gaussian_ratio},
                    {"tie", {{"compared", e.tie.compared}, {"tied", e.tie.tied},
                             {"matched_row_cosine_mean", e.tie.matched_row_cosine_mean},
                             {"relative_difference", e.tie.relative_difference}}},
                    {"status", status_json(e.status)}};
            }
            j["skipped"] = rep.skipped;
            return j;
        }
    }  // namespace detail

    using detail::run_battery, detail::to_json;
}  // namespace tessera::model
