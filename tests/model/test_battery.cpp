// model::run_battery on the real stories260K weights (llama2.c file through model::checkpoint),
// checked against numpy reading the same file (tests/fixtures/generate_model.py), and against
// read_llama2_checkpoint + the per-part functions; to_json carries every part.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/model/llama2_checkpoint.hpp>
#include <tessera/model/battery.hpp>

#include "battery_fixture.hpp"

namespace tmod = tessera::model;

TEST_CASE("run_battery on stories260K matches numpy")
{
    const auto path = tessera_test::shared_data("stories260K/stories260K.bin");
    TESSERA_SKIP_IF_MISSING(path, "stories260K");
    REQUIRE(battery_fixture::root().contains("stories260K"));
    const auto& fx = battery_fixture::root()["stories260K"];
    const tmod::checkpoint ck(path.string());
    tmod::battery_options o;
    o.embedding.cosine_pairs = 2000;
    o.embedding.simplices = 500;
    const auto rep = tmod::run_battery(ck, o);
    CHECK(rep.skipped.empty());
    CHECK(rep.tensors.size() == 1 + 5 * 7);  // token_embedding + 7 matrices x 5 layers
    std::map<std::string, const tmod::tensor_row*> by_name;
    for (const auto& t : rep.tensors)
        by_name[t.name] = &t;
    for (const char* name : {"layers.0.wq", "layers.2.w1", "layers.4.w2", "token_embedding"})
    {
        CAPTURE(name);
        REQUIRE(by_name.count(name));
        const auto& m = by_name[name]->metrics;
        const auto& e = fx[name];
        CHECK(m.stable_rank == doctest::Approx(e["stable_rank"].get<double>()).epsilon(1e-9));
        CHECK(m.participation_ratio == doctest::Approx(e["participation_ratio"].get<double>()).epsilon(1e-9));
        CHECK(m.effective_rank == doctest::Approx(e["effective_rank"].get<double>()).epsilon(1e-9));
        CHECK(m.energy_rank == e["energy_rank"].get<std::size_t>());
        CHECK(m.condition_number == doctest::Approx(e["condition_number"].get<double>()).epsilon(1e-7));
        CHECK(m.active_fraction == doctest::Approx(e["active_fraction"].get<double>()));
        for (std::size_t t = 0; t < 4; ++t)
            CHECK(m.sparsity[t] == doctest::Approx(e["sparsity"][t].get<double>()));
        CHECK(m.frobenius == doctest::Approx(e["frobenius"].get<double>()).epsilon(1e-12));
        CHECK(m.stddev == doctest::Approx(e["std"].get<double>()).epsilon(1e-12));
        CHECK(m.row_norm_std == doctest::Approx(e["row_norm_std"].get<double>()).epsilon(1e-10));
    }
    CHECK(by_name["layers.0.wq"]->role == tmod::tensor_role::attn_q);
    CHECK(by_name["layers.4.w2"]->layer == 4);

    REQUIRE(rep.layers.size() == 5);
    const auto& L1 = rep.layers[1];
    REQUIRE(L1.has_qk);
    CHECK(L1.qk.n_heads == 8);
    CHECK(L1.qk.n_kv_heads == 4);
    for (std::size_t h = 0; h < 8; ++h)
    {
        CAPTURE(h);
        const auto& e = fx["qk_layer1"][h];
        CHECK(L1.qk.heads[h].kv_head == e["kv_head"].get<std::size_t>());
        CHECK(L1.qk.heads[h].stable_rank == doctest::Approx(e["stable_rank"].get<double>()).epsilon(1e-9));
        CHECK(L1.qk.heads[h].symmetry == doctest::Approx(e["symmetry"].get<double>()).epsilon(1e-9));
        CHECK(L1.qk.heads[h].positive_fraction == doctest::Approx(e["positive_fraction"].get<double>()));
        CHECK(L1.qk.heads[h].positive_mass == doctest::Approx(e["positive_mass"].get<double>()).epsilon(1e-9));
    }
    const auto& full = fx["qk_layer1_full"];
    CHECK(L1.qk.symmetry == doctest::Approx(full["symmetry"].get<double>()).epsilon(1e-9));
    CHECK(L1.qk.positive_fraction == doctest::Approx(full["positive_fraction"].get<double>()));
    CHECK(L1.qk.positive_mass == doctest::Approx(full["positive_mass"].get<double>()).epsilon(1e-9));
    REQUIRE(rep.layers[3].has_ffn);
    CHECK(rep.layers[3].ffn.dead == fx["ffn_layer3"]["dead"].get<std::vector<std::size_t>>());
    CHECK(rep.layers[3].ffn.importance(5) == doctest::Approx(fx["ffn_layer3"]["importance"][5].get<double>()).epsilon(1e-12));

    std::map<std::string, const tmod::cross_layer_row*> cross;
    for (const auto& c : rep.cross_layer)
        cross[tmod::to_string(c.role)] = &c;
    CHECK(cross.size() == 7);
    for (const auto& [role, key] : std::map<std::string, std::string>{{"attn_q", "cross_wq"}, {"ffn_down", "cross_w2"}})
        for (std::size_t i = 0; i < 5; ++i)
            for (std::size_t j = 0; j < 5; ++j)
                CHECK(cross.at(role)->cosine(i, j) == doctest::Approx(fx[key][i][j].get<double>()).epsilon(1e-12));

    REQUIRE(rep.has_embedding);
    CHECK(rep.embedding_name == "token_embedding");
    CHECK(rep.embedding.covariance_participation_ratio == doctest::Approx(fx["embedding_cov_pr"].get<double>()).epsilon(1e-10));
    CHECK(rep.embedding.row_norms.mean == doctest::Approx(fx["embedding_row_norm_mean"].get<double>()).epsilon(1e-12));
    CHECK(rep.embedding.tie.tied);  // llama2.c shared classifier

    // the same weights through read_llama2_checkpoint and the per-part functions
    const auto w = tessera::model::read_llama2_checkpoint<float>(path.string());
    const auto q = tmod::measure_qk(w.layers[1].wq, w.layers[1].wk, 8, 4);
    CHECK(q.heads[5].symmetry == L1.qk.heads[5].symmetry);
    CHECK(tmod::measure_weight(w.layers[2].w1).stable_rank == by_name["layers.2.w1"]->metrics.stable_rank);

    const auto j = tmod::to_json(rep);
    CHECK(j["tensors"].size() == 36);
    CHECK(j["layers"][1]["qk"]["heads"].size() == 8);
    CHECK(j["cross_layer"].size() == 7);
    CHECK(j["embedding"]["tie"]["tied"].get<bool>());
}

TEST_CASE("run_battery on USE-lite: 4-D [1, 1, in, out] kernels, fused qkv and in_out FFNs match numpy")
{
    const auto path = tessera_test::fetched_data("use_lite.safetensors");
    TESSERA_SKIP_IF_MISSING(path, "USE-lite (scripts/fetch_data.sh)");
    REQUIRE(battery_fixture::root().contains("use_lite"));
    const auto& fx = battery_fixture::root()["use_lite"];
    const tmod::checkpoint ck(path.string());
    tmod::battery_options o;
    o.embedding.cosine_pairs = 2000;
    o.embedding.simplices = 500;
    const auto rep = tmod::run_battery(ck, o);
    // the attention kernels stored [1, 1, in, out] are measured as [in, out] weights
    const tmod::tensor_row* qkv = nullptr;
    std::size_t four_d = 0;
    for (const auto& t : rep.tensors)
    {
        four_d += t.shape.size() == 4 ? 1u : 0u;
        if (t.name == fx["qkv_name"].get<std::string>())
            qkv = &t;
    }
    CHECK(four_d == 4);  // qkv and output transforms of layers 0 and 1
    REQUIRE(qkv != nullptr);
    CHECK(qkv->role == tmod::tensor_role::attn_qkv);
    CHECK(qkv->metrics.rows == 512);
    CHECK(qkv->metrics.cols == 1536);
    const auto& e = fx["qkv"];
    const auto& m = qkv->metrics;
    CHECK(m.stable_rank == doctest::Approx(e["stable_rank"].get<double>()).epsilon(1e-9));
    CHECK(m.participation_ratio == doctest::Approx(e["participation_ratio"].get<double>()).epsilon(1e-9));
    CHECK(m.effective_rank == doctest::Approx(e["effective_rank"].get<double>()).epsilon(1e-9));
    CHECK(m.energy_rank == e["energy_rank"].get<std::size_t>());
    CHECK(m.condition_number == doctest::Approx(e["condition_number"].get<double>()).epsilon(1e-9));
    for (std::size_t t = 0; t < 4; ++t)
        CHECK(m.sparsity[t] == doctest::Approx(e["sparsity"][t].get<double>()));
    CHECK(m.frobenius == doctest::Approx(e["frobenius"].get<double>()).epsilon(1e-12));
    CHECK(m.row_norm_std == doctest::Approx(e["row_norm_std"].get<double>()).epsilon(1e-10));

    // per-layer rows: QK from the fused in_out kernel (q | k | v columns, one head without a
    // config), FFN neurons = columns of conv1 [512, 1536] and rows of conv2 [1536, 512]
    REQUIRE(rep.layers.size() == 2);
    const auto& L1 = rep.layers[1];
    CHECK(L1.layer == 1);
    REQUIRE(L1.has_qk);
    REQUIRE(L1.has_ffn);
    CHECK(rep.layers[0].has_qk);
    CHECK(rep.layers[0].has_ffn);
    const auto& eq = fx["qk_layer1"];
    REQUIRE(L1.qk.heads.size() == 1);
    CHECK(L1.qk.heads[0].stable_rank == doctest::Approx(eq["stable_rank"].get<double>()).epsilon(1e-9));
    CHECK(L1.qk.heads[0].symmetry == doctest::Approx(eq["symmetry"].get<double>()).epsilon(1e-9));
    CHECK(L1.qk.heads[0].positive_fraction == doctest::Approx(eq["positive_fraction"].get<double>()));
    CHECK(L1.qk.positive_fraction == doctest::Approx(fx["qk_layer1_full"]["positive_fraction"].get<double>()));
    CHECK(L1.qk.positive_mass == doctest::Approx(fx["qk_layer1_full"]["positive_mass"].get<double>()).epsilon(1e-9));
    const auto& ef = fx["ffn_layer1"];
    CHECK(L1.ffn.neurons == ef["neurons"].get<std::size_t>());
    CHECK(L1.ffn.up_norm(0) == doctest::Approx(ef["up_norm_0"].get<double>()).epsilon(1e-12));
    CHECK(L1.ffn.down_norm(0) == doctest::Approx(ef["down_norm_0"].get<double>()).epsilon(1e-12));
    double imp_sum = 0.0, imp_max = 0.0;
    for (double v : L1.ffn.importance)
        imp_sum += v, imp_max = std::max(imp_max, v);
    CHECK(imp_sum == doctest::Approx(ef["importance_sum"].get<double>()).epsilon(1e-12));
    CHECK(imp_max == doctest::Approx(ef["importance_max"].get<double>()).epsilon(1e-12));
    CHECK(L1.ffn.dead == ef["dead"].get<std::vector<std::size_t>>());

    // the covariance spectrum from the embedding's own Gram matrix equals numpy.cov's
    REQUIRE(rep.has_embedding);
    CHECK(rep.embedding.status.ok());
    CHECK(rep.embedding.covariance_participation_ratio == doctest::Approx(fx["embedding_cov_pr"].get<double>()).epsilon(1e-10));
}
