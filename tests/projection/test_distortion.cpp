#include <cmath>

#include <doctest/doctest.h>
#include <tessera/core/parallel.hpp>
#include <tessera/core/random.hpp>
#include <tessera/projection/distortion.hpp>

#include "test_support.hpp"

using tessera::projection::distortion_options;
using tessera::projection::distortion_report;
using tessera::projection::projection_kind;
using tessera::projection::random_projection;

TEST_CASE_TEMPLATE("squared-distance ratios concentrate at 1 as k grows (std ~ sqrt(2/k))", T, float, double)
{
    const std::size_t n = 400, d = 512;
    auto W = tessera::random_normal<T>(n, d, 4);
    distortion_options opt;
    opt.pairs = 3000;
    opt.eps = 0.2;
    for (auto kind : {projection_kind::gaussian, projection_kind::orthonormal, projection_kind::achlioptas,
                      projection_kind::very_sparse})
    {
        double previous_std = 1e9, previous_out = 2.0;
        for (std::size_t k : {32, 128, 512})
        {
            INFO("kind=" << tessera::projection::to_string(kind) << " k=" << k);
            random_projection<T> proj(d, k, kind, 6);
            const auto st = distortion_report(W, proj, opt, 9);
            CHECK(st.pairs == opt.pairs);
            CHECK(st.skipped == 0);
            // For a fixed difference x, ||xP||^2/||x||^2 ~ chi2_k / k under the Gaussian kind:
            // mean 1, std sqrt(2/k). The orthonormal kind at k = d is an isometry (std 0).
            const double expected_std = std::sqrt(2.0 / double(k));
            CHECK(std::abs(st.ratio.mean - 1.0) < 0.1 * expected_std + 0.01);
            if (kind == projection_kind::orthonormal && k == d)
                CHECK(st.ratio.stddev < 1e-5);
            else if (kind == projection_kind::orthonormal)
                CHECK(st.ratio.stddev < expected_std);
            else
                CHECK(st.ratio.stddev == doctest::Approx(expected_std).epsilon(0.15));
            CHECK(st.ratio.stddev < previous_std);
            CHECK(st.fraction_outside <= previous_out);
            CHECK(st.ratio.min <= st.ratio.percentile(1));
            CHECK(st.ratio.percentile(1) <= st.ratio.percentile(5));
            CHECK(st.ratio.percentile(5) <= st.ratio.median());
            CHECK(st.ratio.median() <= st.ratio.percentile(95));
            CHECK(st.ratio.percentile(95) <= st.ratio.percentile(99));
            CHECK(st.ratio.percentile(99) <= st.ratio.max);
            CHECK(st.ratio.count == st.pairs);
            previous_std = st.ratio.stddev;
            previous_out = st.fraction_outside;
        }
        CHECK(previous_out < 0.01);  // k = 512, eps = 0.2: 0.2 / sqrt(2/512) = 3.2 sigma
    }
}

TEST_CASE("distortion_report: JL columns, duplicates skipped, deterministic across threads")
{
    const std::size_t n = 50, d = 64;
    auto W = tessera::random_normal<double>(n, d, 1);
    xt::view(W, 1, xt::all()) = xt::view(W, 0, xt::all());  // one duplicated row
    random_projection<double> proj(d, 600, projection_kind::gaussian, 2);
    distortion_options opt;
    opt.pairs = 20000;
    tessera::projection::distortion_stats a, b;
    {
        tessera::thread_count_guard g(1);
        a = distortion_report(W, proj, opt, 5);
    }
    {
        tessera::thread_count_guard g(2);
        b = distortion_report(W, proj, opt, 5);
    }
    CHECK(a.ratio.mean == b.ratio.mean);
    CHECK(a.ratio.percentile(99) == b.ratio.percentile(99));
    CHECK(a.skipped > 0);  // about 20000 / (50 * 49 / 2) pairs hit (0, 1)
    CHECK(a.skipped < 40);
    CHECK(a.pairs + a.skipped == opt.pairs);
    CHECK(a.jl_min_dim == tessera::projection::johnson_lindenstrauss_min_dim(n, 0.1));
    CHECK(a.jl_eps == tessera::projection::johnson_lindenstrauss_eps(n, 600));
    CHECK(a.max_abs_log <= std::log(1.0 + a.jl_eps));  // the JL guarantee, here with room to spare
    random_projection<double> small(d, 16, projection_kind::gaussian, 2);
    CHECK(std::isnan(distortion_report(W, small, opt, 5).jl_eps));
}

TEST_CASE("distortion_report bad input")
{
    using tessera::invalid_argument;
    auto W = tessera::random_normal<double>(10, 8, 1);
    random_projection<double> proj(9, 4);
    CHECK_THROWS_WITH_AS(distortion_report(W, proj), "projection::distortion_report: W must have 9 columns (d), got shape [10, 8]",
                         invalid_argument);
    random_projection<double> ok(8, 4);
    distortion_options opt;
    opt.eps = 1.5;
    CHECK_THROWS_WITH_AS(distortion_report(W, ok, opt), "projection::distortion_report: eps=1.5 must be in (0, 1)",
                         invalid_argument);
    opt.eps = 0.1;
    opt.pairs = 0;
    CHECK_THROWS_WITH_AS(distortion_report(W, ok, opt), "projection::distortion_report: pairs=0 must be at least 1",
                         invalid_argument);
    auto one = tessera::random_normal<double>(1, 8, 1);
    CHECK_THROWS_WITH_AS(distortion_report(one, ok), "projection::distortion_report: W must have at least 2 rows, got shape [1, 8]",
                         invalid_argument);
}

TEST_CASE_TEMPLATE("distortion_report rejects NaN / Inf input", T, float, double)
{
    auto W = tessera::random_normal<T>(20, 16, 2);
    W(0, 0) = std::numeric_limits<T>::quiet_NaN();
    const random_projection<T> P(16, 4, projection_kind::gaussian, 1);
    CHECK_THROWS_WITH_AS(distortion_report(W, P), "projection::distortion_report: W must be finite, got nan at [0, 0]", tessera::invalid_argument);
}
