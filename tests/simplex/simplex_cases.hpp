#pragma once
// The mpmath near-degenerate cases of tests/fixtures/simplex/cases.txt and flat.txt (generate_simplex.py).
#include <string>
#include <vector>

#include "fixture_text.hpp"
#include "test_support.hpp"

namespace tessera_test
{
    struct simplex_case
    {
        std::size_t k = 0, d = 0;
        bool float_exact = false;
        double offset = 0, height = 0;
        xt::xtensor<double, 2> points, d2;
        double v2 = 0, v2_from_d2 = 0;
        std::string name;
    };

    inline std::vector<simplex_case> simplex_cases(const char* file = "simplex/cases.txt")
    {
        const auto f = read_text_fixture(fixture(file).string());
        std::vector<simplex_case> out;
        const auto n = static_cast<std::size_t>(f.at("cases")(0, 0));
        for (std::size_t i = 0; i < n; ++i)
        {
            const std::string p = "case" + std::to_string(i) + "_";
            simplex_case c;
            const auto& m = f.at(p + "meta");
            c.k = static_cast<std::size_t>(m(0, 0));
            c.d = static_cast<std::size_t>(m(0, 1));
            c.float_exact = m(0, 2) != 0.0;
            c.offset = m(0, 3);
            c.height = m(0, 4);
            c.points = f.at(p + "points");
            c.d2 = f.at(p + "d2");
            c.v2 = f.at(p + "v2")(0, 0);
            c.v2_from_d2 = f.at(p + "v2_from_d2")(0, 0);
            c.name = p + "k" + std::to_string(c.k) + "_h" + std::to_string(c.height) + "_off" + std::to_string(c.offset);
            out.push_back(std::move(c));
        }
        return out;
    }
}  // namespace tessera_test
