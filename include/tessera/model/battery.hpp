#pragma once
/// \file battery.hpp
/// The weight-terrain battery of a whole checkpoint (issue 16): per-tensor metrics of every 2-D
/// weight, per-layer QK^T and FFN-neuron metrics, cross-layer cosine matrices per weight type and
/// the embedding terrain, gathered in one battery_report with a JSON form.

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <xtensor/xtensor.hpp>

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
        bool has_qk = false;        ///< attn_q and attn_k found ([out, in] layout)
        qk_metrics qk;              ///< measure_qk of them
        bool has_ffn = false;       ///< ffn_up and ffn_down found ([out, in] layout)
        ffn_metrics ffn;            ///< measure_ffn / measure_gated_ffn of them
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

        /// Runs the battery on checkpoint `ck`, tensors decoded to float one weight type at a time
        /// (peak memory: the largest type's tensors over all layers, or embedding + head).
        /// Per-tensor: measure_weight of every 2-D non-bias weight. Per layer ([out, in] layouts):
        /// measure_qk with config n_heads / n_kv_heads (one head when unknown and Wq, Wk have one
        /// shape), measure_gated_ffn (measure_ffn without a gate). Cross-layer cosine per role.
        /// Embedding: measure_embedding against the lm_head, or marked tied when the config says so.
        /// \throws tessera::invalid_argument / io_error from the reads and measures.
        inline battery_report run_battery(const checkpoint& ck, const battery_options& options = {})
        {
            battery_report rep;
            const auto& cat = ck.catalog();
            const auto& ts = ck.tensors();
            std::map<std::pair<tensor_role, std::string>, std::vector<std::size_t>> by_type;
            std::vector<std::size_t> singles;
            for (std::size_t i = 0; i < ts.size(); ++i)
            {
                if (ts[i].shape.size() != 2 || cat[i].bias || !battery_weight_role(cat[i].role))
                    continue;
                if (!ts[i].readable)
                {
                    rep.skipped.push_back(ts[i].name);
                    continue;
                }
                if (cat[i].layer >= 0)
                    by_type[{cat[i].role, cat[i].component}].push_back(i);
                else
                    singles.push_back(i);
            }
            std::map<std::pair<std::ptrdiff_t, std::string>, std::map<tensor_role, std::size_t>> blocks;
            if (options.layers)
                for (const auto& [key, idx] : by_type)
                    for (std::size_t i : idx)
                        if (cat[i].layout == tensor_layout::out_in)
                            blocks[{cat[i].layer, key.second}][key.first] = i;
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
            auto row_of = [&](std::size_t i, const xt::xtensor<float, 2>& W) {
                tensor_row r{ts[i].name, cat[i].role, cat[i].layer, ts[i].shape, measure_weight(W, options.weights)};
                rep.tensors.push_back(std::move(r));
                tick(ts[i].name);
            };
            for (const auto& [key, idx] : by_type)
            {
                std::vector<xt::xtensor<float, 2>> W;
                bool same = true;
                for (std::size_t i : idx)
                {
                    W.push_back(ck.read<float, 2>(ts[i].name));
                    row_of(i, W.back());
                    same = same && W.back().shape() == W.front().shape();
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
            for (std::size_t i : singles)
                row_of(i, ck.read<float, 2>(ts[i].name));
            if (options.layers)
            {
                const auto& cfg = ck.config();
                for (const auto& [lk, roles] : blocks)
                {
                    layer_row L;
                    L.layer = lk.first;
                    auto get = [&](tensor_role r) { return ck.read<float, 2>(ts[roles.at(r)].name); };
                    if (roles.count(tensor_role::attn_q) && roles.count(tensor_role::attn_k))
                    {
                        const auto q = get(tensor_role::attn_q), k = get(tensor_role::attn_k);
                        std::size_t nh = cfg.n_heads, nkv = cfg.n_kv_heads ? cfg.n_kv_heads : cfg.n_heads;
                        if (nh == 0 && q.shape() == k.shape())
                            nh = nkv = 1;
                        if (nh > 0)
                        {
                            L.qk = measure_qk(q, k, nh, nkv);
                            L.has_qk = true;
                        }
                    }
                    if (roles.count(tensor_role::ffn_up) && roles.count(tensor_role::ffn_down))
                    {
                        const auto up = get(tensor_role::ffn_up), down = get(tensor_role::ffn_down);
                        L.ffn = roles.count(tensor_role::ffn_gate)
                                    ? measure_gated_ffn(get(tensor_role::ffn_gate), up, down, options.ffn)
                                    : measure_ffn(up, down, options.ffn);
                        L.has_ffn = true;
                    }
                    if (L.has_qk || L.has_ffn)
                        rep.layers.push_back(std::move(L));
                    tick(concat("layer ", lk.first, " QK and FFN"));
                }
            }
            if (options.embedding_terrain)
                for (std::size_t i : singles)
                    if (cat[i].role == tensor_role::embedding)
                    {
                        const auto E = ck.read<float, 2>(ts[i].name);
                        std::size_t head = ts.size();
                        for (std::size_t j : singles)
                            if (cat[j].role == tensor_role::lm_head && ts[j].shape == ts[i].shape)
                                head = j;
                        rep.embedding = head < ts.size()
                                            ? measure_embedding(E, ck.read<float, 2>(ts[head].name), options.embedding)
                                            : measure_embedding(E, options.embedding);
                        if (head == ts.size() && ck.config().tie_word_embeddings)
                            rep.embedding.tie = {true, true, 1.0, 1.0, 0.0};
                        rep.has_embedding = true;
                        rep.embedding_name = ts[i].name;
                        tick(ts[i].name + " terrain");
                        break;
                    }
            return rep;
        }

        inline nlohmann::json status_json(const tessera::status& s)
        {
            return {{"code", tessera::to_string(s.code)}, {"message", s.message}};
        }

        /// The report as JSON: "tensors" (name, role, layer, shape and every scalar metric),
        /// "layers" (per-head QK^T scalars; FFN dead counts and indices), "cross_layer" (role,
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
                    l["qk"] = {{"heads", heads}, {"mean_symmetry", L.qk.mean_symmetry},
                               {"mean_positive_fraction", L.qk.mean_positive_fraction}, {"status", status_json(L.qk.status)}};
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

    using detail::run_battery;
    using detail::to_json;
}  // namespace tessera::model
