#pragma once
// The weight-battery fixture (tests/fixtures/model/battery.json, written by
// tests/fixtures/generate_model.py): matrices as nested JSON arrays, numpy's expected metrics.
#include <cstddef>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>
#include <xtensor/xtensor.hpp>

#include "test_support.hpp"

namespace battery_fixture
{
    inline const nlohmann::json& root()
    {
        static const nlohmann::json j = [] {
            std::ifstream f(tessera_test::fixture("model/battery.json"));
            return nlohmann::json::parse(f);
        }();
        return j;
    }

    template <class T>
    xt::xtensor<T, 2> matrix(const nlohmann::json& a)
    {
        const std::size_t m = a.size(), n = a.at(0).size();
        xt::xtensor<T, 2> out = xt::xtensor<T, 2>::from_shape({m, n});
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j)
                out(i, j) = static_cast<T>(a[i][j].get<double>());
        return out;
    }

    inline std::vector<double> vec(const nlohmann::json& a) { return a.get<std::vector<double>>(); }
}  // namespace battery_fixture
