#include <cmath>

#include <doctest/doctest.h>
#include <tessera/core/random.hpp>
#include <tessera/projection/compressed_projection.hpp>

#include "test_support.hpp"

using tessera::projection::compress;
using tessera::projection::compressed_projection;
using tessera::projection::projection_kind;
using tessera::projection::random_projection;

TEST_CASE_TEMPLATE("compressed form stores codes + seed and reconstructs from the regenerated P", T, float, double)
{
    const std::size_t n = 200, d = 96, k = 24;
    auto W = tessera::random_normal<T>(n, d, 10);
    for (auto kind : {projection_kind::gaussian, projection_kind::orthonormal, projection_kind::achlioptas,
                      projection_kind::very_sparse})
    {
        INFO("kind=" << tessera::projection::to_string(kind));
        auto c = compress(W, k, kind, 123);
        CHECK(c.rows() == n);
        CHECK(c.cols() == d);
        CHECK(c.k() == k);
        CHECK(c.shape() == std::array<std::size_t, 2>{n, d});
        CHECK(c.kind() == kind);
        CHECK(c.seed() == 123u);
        // The projection is not stored: codes plus 40 bytes of metadata.
        CHECK(c.storage_bytes() == n * k * sizeof(T) + 40);
        CHECK(c.compression_ratio() == doctest::Approx(double(n * d * sizeof(T)) / double(n * k * sizeof(T) + 40)));
        random_projection<T> proj(d, k, kind, 123);
        const auto Y = proj.project(W);
        CHECK(std::equal(Y.begin(), Y.end(), c.codes().begin()));
        const auto R = c.reconstruct(), Rref = proj.reconstruct(Y);
        CHECK(std::equal(R.begin(), R.end(), Rref.begin()));
        const auto S = c.reconstruct_scaled();
        CHECK(S(3, 5) == doctest::Approx(double(R(3, 5)) * double(d) / double(k)).epsilon(1e-5));
    }
}

TEST_CASE("compressed_projection bad input")
{
    using tessera::invalid_argument;
    xt::xtensor<float, 2> codes = xt::zeros<float>({4, 0});
    CHECK_THROWS_WITH_AS(compressed_projection<float>(codes, 8, projection_kind::gaussian, 0),
                         "projection::compressed_projection: codes must have at least one column, got shape [4, 0]",
                         invalid_argument);
    xt::xtensor<float, 2> wide = xt::zeros<float>({4, 9});
    CHECK_THROWS_WITH_AS(compressed_projection<float>(wide, 8, projection_kind::orthonormal, 0),
                         "projection::compressed_projection: k=9 must not exceed d=8 for kind=orthonormal", invalid_argument);
    xt::xtensor<float, 2> W = xt::zeros<float>({4, 8});
    CHECK_THROWS_WITH_AS(compress(W, 0), "projection::random_projection: k=0 must be positive", invalid_argument);
}

TEST_CASE_TEMPLATE("compress, project and reconstruct reject NaN / Inf input", T, float, double)
{
    auto W = tessera::random_normal<T>(20, 16, 2);
    W(3, 15) = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_WITH_AS(compress(W, 4), "projection::compress: W must be finite, got nan at [3, 15]", tessera::invalid_argument);
    const random_projection<T> P(16, 4, projection_kind::very_sparse, 1);
    CHECK_THROWS_WITH_AS(P.project(W), "projection::random_projection::project: W must be finite, got nan at [3, 15]", tessera::invalid_argument);
    xt::xtensor<T, 2> Y = xt::zeros<T>({2, 4});
    Y(1, 3) = std::numeric_limits<T>::infinity();
    CHECK_THROWS_WITH_AS(P.reconstruct(Y), "projection::random_projection::reconstruct: Y must be finite, got inf at [1, 3]",
                         tessera::invalid_argument);
}
