#pragma once
// Reader for the text fixtures written by tests/fixtures/generate_stats.py and
// generate_simplex.py: blocks "name rows cols" followed by rows*cols row-major values.
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include <xtensor/xtensor.hpp>

namespace tessera_test
{
    using fixture_map = std::map<std::string, xt::xtensor<double, 2>>;

    inline fixture_map read_text_fixture(const std::string& path)
    {
        std::ifstream in(path);
        if (!in)
            throw std::runtime_error("cannot open fixture " + path);
        fixture_map out;
        std::string name;
        std::size_t rows = 0, cols = 0;
        while (in >> name >> rows >> cols)
        {
            xt::xtensor<double, 2> a = xt::xtensor<double, 2>::from_shape({rows, cols});
            for (auto& v : a)
            {
                std::string tok;
                in >> tok;
                v = std::stod(tok);
            }
            out[name] = std::move(a);
        }
        return out;
    }

    template <class T>
    xt::xtensor<T, 1> row_of(const xt::xtensor<double, 2>& a, std::size_t r = 0)
    {
        xt::xtensor<T, 1> v = xt::xtensor<T, 1>::from_shape({a.shape(1)});
        for (std::size_t j = 0; j < a.shape(1); ++j)
            v(j) = static_cast<T>(a(r, j));
        return v;
    }
}  // namespace tessera_test
