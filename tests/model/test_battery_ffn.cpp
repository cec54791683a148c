// model::measure_ffn / measure_gated_ffn (planted dead neurons found exactly, norms and importance
// against numpy) and cross_layer_cosine (identical layers 1, scaled negation -1, numpy matrix).
#include <doctest/doctest.h>
#include <tessera/model/battery_ffn.hpp>

#include "battery_fixture.hpp"

namespace tmod = tessera::model;

TEST_CASE_TEMPLATE("measure_gated_ffn finds the planted dead neurons and matches numpy", T, float, double)
{
    const auto& fx = battery_fixture::root()["ffn"];
    const auto up = battery_fixture::matrix<T>(fx["up"]);
    const auto gate = battery_fixture::matrix<T>(fx["gate"]);
    const auto down = battery_fixture::matrix<T>(fx["down"]);
    const auto& e = fx["expect"];
    const auto r = tmod::measure_gated_ffn(gate, up, down);
    CHECK(r.neurons == 20);
    CHECK(r.dead == e["dead"].get<std::vector<std::size_t>>());
    CHECK(r.dead == std::vector<std::size_t>{3, 7, 11});
    CHECK(r.dead_input == 2);
    CHECK(r.dead_output == 1);
    CHECK(r.dead_fraction == doctest::Approx(0.15));
    for (const char* key : {"up_norm", "gate_norm", "down_norm", "importance", "gate_importance"})
    {
        CAPTURE(key);
        const auto want = battery_fixture::vec(e[key]);
        const auto& got = std::string(key) == "up_norm" ? r.up_norm : std::string(key) == "gate_norm" ? r.gate_norm
                        : std::string(key) == "down_norm" ? r.down_norm : std::string(key) == "importance" ? r.importance
                        : r.gate_importance;
        REQUIRE(got.size() == want.size());
        for (std::size_t i = 0; i < want.size(); ++i)
            CHECK(got(i) == doctest::Approx(want[i]).epsilon(1e-12));
    }
    const auto u = tmod::measure_ffn(up, down);  // no gate: neuron 11 lives
    CHECK(u.dead == std::vector<std::size_t>{3, 7});
    CHECK(u.gate_norm.size() == 0);
    CHECK_THROWS_WITH_AS(tmod::measure_ffn(up, up), "model::measure_ffn: down must have shape [8, 20] (hidden, ffn) for up [20, 8], got [20, 8]",
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("cross_layer_cosine: identical layers 1, negated -1, numpy elsewhere", T, float, double)
{
    const auto& fx = battery_fixture::root()["cross"];
    std::vector<xt::xtensor<T, 2>> layers;
    for (const auto& l : fx["layers"])
        layers.push_back(battery_fixture::matrix<T>(l));
    const auto C = tmod::cross_layer_cosine(layers);
    REQUIRE(C.shape(0) == 4);
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 4; ++j)
            CHECK(C(i, j) == doctest::Approx(fx["expect"][i][j].get<double>()).epsilon(1e-12));
    CHECK(C(0, 2) == doctest::Approx(1.0).epsilon(1e-14));
    CHECK(C(1, 3) == doctest::Approx(-1.0).epsilon(1e-14));
    layers[1] = xt::zeros<T>({6, 4});
    CHECK_THROWS_WITH_AS(tmod::cross_layer_cosine(layers),
                         "model::cross_layer_cosine: layers[1] must have shape [6, 5] like layers[0], got [6, 4]",
                         tessera::invalid_argument);
}
