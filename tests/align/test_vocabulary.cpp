#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/align/vocabulary.hpp>
#include <tessera/core/random.hpp>
#include <xtensor/xmath.hpp>

#include "test_support.hpp"

using namespace tessera::align;

TEST_CASE("intersect_vocabularies: order of the first, first duplicate wins, prefix and case rules")
{
    const std::vector<std::string> a{"the", "cat", "Dog", "sat", "cat", "zebra", "x1"};
    const std::string sp = "\xE2\x96\x81";
    const std::vector<std::string> b{sp + "sat", "cat", sp + "dog", sp + "the", "##s", sp + "x1", sp + "cat"};

    const auto plain = intersect_vocabularies(a, b);
    CHECK(plain.words == std::vector<std::string>{"cat"});
    CHECK(plain.index_a == std::vector<std::size_t>{1});
    CHECK(plain.index_b == std::vector<std::size_t>{1});

    vocabulary_options o;
    o.strip_prefix_b = sp;
    o.require_prefix = true;
    o.lowercase = true;
    const auto m = intersect_vocabularies(a, b, o);
    CHECK(m.words == std::vector<std::string>{"the", "cat", "dog", "sat", "x1"});
    CHECK(m.index_a == std::vector<std::size_t>{0, 1, 2, 3, 6});
    CHECK(m.index_b == std::vector<std::size_t>{3, 6, 2, 0, 5});
    o.letters_only = true;
    CHECK(intersect_vocabularies(a, b, o).size() == 4);
    CHECK(intersect_vocabularies({}, b, o).size() == 0);
}

TEST_CASE("split_anchors is a deterministic partition with floor(f n) anchors")
{
    const auto s = split_anchors(4311, 0.8, 7);
    CHECK(s.anchors.size() == 3448);
    CHECK(s.held_out.size() == 4311 - 3448);
    std::vector<int> seen(4311, 0);
    for (auto i : s.anchors)
        seen[i] += 1;
    for (auto i : s.held_out)
        seen[i] += 1;
    CHECK(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
    CHECK(std::is_sorted(s.anchors.begin(), s.anchors.end()));
    CHECK(std::is_sorted(s.held_out.begin(), s.held_out.end()));
    const auto again = split_anchors(4311, 0.8, 7);
    CHECK(again.anchors == s.anchors);
    const auto other = split_anchors(4311, 0.8, 8);
    CHECK(other.anchors != s.anchors);
    // Each index is an anchor with probability 0.8: the first half holds about half of them.
    const auto half = std::count_if(s.anchors.begin(), s.anchors.end(), [](std::size_t i) { return i < 2155; });
    CHECK(std::abs(double(half) - 1724.0) < 100.0);
    CHECK(split_anchors(10, 0.0, 1).anchors.empty());
    CHECK(split_anchors(10, 1.0, 1).held_out.empty());
    CHECK_THROWS_WITH_AS(split_anchors(10, 1.5), "align::split_anchors: anchor_fraction must be in [0, 1], got 1.5",
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("gather_rows and center_and_normalize", T, float, double)
{
    const auto X = tessera::random_normal<T>(50, 4, 3);
    const auto G = gather_rows(X, {4, 0, 4});
    REQUIRE(G.shape(0) == 3);
    for (std::size_t j = 0; j < 4; ++j)
    {
        CHECK(G(0, j) == X(4, j));
        CHECK(G(1, j) == X(0, j));
        CHECK(G(2, j) == X(4, j));
    }
    CHECK_THROWS_WITH_AS(gather_rows(X, {1, 50}), "align::gather_rows: indices[1]=50 is out of range for X [50, 4]",
                         tessera::invalid_argument);

    xt::xtensor<T, 2> Y = X + T(5);
    const auto N = center_and_normalize(Y);
    for (std::size_t i = 0; i < 50; ++i)
    {
        double ss = 0;
        for (std::size_t j = 0; j < 4; ++j)
            ss += double(N(i, j)) * double(N(i, j));
        CHECK(ss == doctest::Approx(1.0).epsilon(1e-6));
    }
    // Centring first: the un-normalised centred rows are parallel to N's rows.
    const auto C = center_and_normalize(Y, true, false);
    for (std::size_t j = 0; j < 4; ++j)
        CHECK(std::abs(double(xt::mean(xt::view(C, xt::all(), j))())) < 1e-5);
    double dot = 0, nc = 0;
    for (std::size_t j = 0; j < 4; ++j)
    {
        dot += double(C(7, j)) * double(N(7, j));
        nc += double(C(7, j)) * double(C(7, j));
    }
    CHECK(dot == doctest::Approx(std::sqrt(nc)).epsilon(1e-5));
    xt::xtensor<T, 2> Z = xt::zeros<T>({2, 3});
    CHECK(xt::all(xt::equal(center_and_normalize(Z), T(0))));
}
