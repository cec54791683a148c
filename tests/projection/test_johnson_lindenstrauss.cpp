#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/projection/johnson_lindenstrauss.hpp>

#include "test_support.hpp"

using tessera::projection::johnson_lindenstrauss_eps;
using tessera::projection::johnson_lindenstrauss_min_dim;

namespace
{
    std::vector<std::vector<std::string>> read_csv(const std::string& path)
    {
        std::ifstream in(path);
        REQUIRE_MESSAGE(in.good(), "cannot open ", path);
        std::vector<std::vector<std::string>> rows;
        std::string line;
        while (std::getline(in, line))
        {
            if (line.empty() || line[0] == '#')
                continue;
            std::vector<std::string> cells;
            std::stringstream ss(line);
            std::string cell;
            while (std::getline(ss, cell, ','))
                cells.push_back(cell);
            rows.push_back(cells);
        }
        return rows;
    }
}  // namespace

TEST_CASE("johnson_lindenstrauss_min_dim matches scikit-learn, including n=32000 eps=0.1 -> 8891")
{
    CHECK(johnson_lindenstrauss_min_dim(32000, 0.1) == 8891u);
    const auto rows = read_csv(tessera_test::fixture("projection/jl.csv").string());
    std::size_t checked = 0;
    for (const auto& r : rows)
    {
        if (r[0] != "min_dim")
            continue;
        const auto n = std::stoull(r[1]);
        const double eps = std::stod(r[2]);
        const auto expected = std::stoull(r[3]);
        INFO("n=" << n << " eps=" << eps);
        CHECK(johnson_lindenstrauss_min_dim(n, eps) == expected);
        ++checked;
    }
    CHECK(checked == 81);
}

TEST_CASE("johnson_lindenstrauss_eps inverts the bound (scipy brentq reference)")
{
    const auto rows = read_csv(tessera_test::fixture("projection/jl.csv").string());
    std::size_t checked = 0;
    for (const auto& r : rows)
    {
        if (r[0] != "eps")
            continue;
        const auto n = std::stoull(r[1]);
        const auto k = std::stoull(r[2]);
        const double expected = std::stod(r[3]);
        INFO("n=" << n << " k=" << k);
        CHECK(johnson_lindenstrauss_eps(n, k) == doctest::Approx(expected).epsilon(1e-12));
        ++checked;
    }
    CHECK(checked >= 20);
    // Round trip: the eps for k = min_dim(n, eps) is at most eps (min_dim truncates down, so
    // k is slightly below the real-valued bound and the returned eps slightly above).
    for (double eps : {0.05, 0.1, 0.3, 0.7})
    {
        const auto k = johnson_lindenstrauss_min_dim(151936, eps);
        const double back = johnson_lindenstrauss_eps(151936, k);
        CHECK(back >= eps);
        CHECK(back == doctest::Approx(eps).epsilon(1e-3));
    }
    CHECK(johnson_lindenstrauss_eps(1, 10) == 0.0);
}

TEST_CASE("johnson_lindenstrauss bad input names the function, parameter and value")
{
    using tessera::invalid_argument;
    CHECK_THROWS_WITH_AS(johnson_lindenstrauss_min_dim(100, 0.0),
                         "projection::johnson_lindenstrauss_min_dim: eps=0 must be in (0, 1)", invalid_argument);
    CHECK_THROWS_WITH_AS(johnson_lindenstrauss_min_dim(100, 1.0),
                         "projection::johnson_lindenstrauss_min_dim: eps=1 must be in (0, 1)", invalid_argument);
    CHECK_THROWS_AS(johnson_lindenstrauss_min_dim(100, std::nan("")), invalid_argument);
    CHECK_THROWS_WITH_AS(johnson_lindenstrauss_min_dim(0, 0.1), "projection::johnson_lindenstrauss_min_dim: n=0 must be at least 1",
                         invalid_argument);
    CHECK_THROWS_WITH_AS(johnson_lindenstrauss_eps(100, 0), "projection::johnson_lindenstrauss_eps: k=0 must be at least 1",
                         invalid_argument);
    CHECK_THROWS_WITH_AS(johnson_lindenstrauss_eps(1000, 128),
                         doctest::Contains("projection::johnson_lindenstrauss_eps: k=128 must exceed 24 ln(n)=165.7"),
                         invalid_argument);
}
