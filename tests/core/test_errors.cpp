#include <string>

#include <doctest/doctest.h>
#include <tessera/core/errors.hpp>
#include <tessera/core/status.hpp>
#include <xtensor/xtensor.hpp>

TEST_CASE("require builds 'function: message' and throws tessera::invalid_argument")
{
    try
    {
        tessera::require(600 <= 512, "spectral::truncated_svd", "rank=", 600, " exceeds min(rows, cols)=", 512);
        FAIL("no throw");
    }
    catch (const tessera::invalid_argument& e)
    {
        CHECK(std::string(e.what()) == "spectral::truncated_svd: rank=600 exceeds min(rows, cols)=512");
    }
    CHECK_NOTHROW(tessera::require(true, "f", "never built"));
    // tessera::invalid_argument is a std::invalid_argument
    CHECK_THROWS_AS(tessera::require(false, "f", "x"), std::invalid_argument);
}

TEST_CASE("shapes print as [32128, 512]")
{
    xt::xtensor<float, 2> a = xt::xtensor<float, 2>::from_shape({32128, 2});
    CHECK(tessera::shape_to_string(std::vector<std::size_t>{32128, 512}) == "[32128, 512]");
    CHECK(tessera::shape_to_string(a.shape()) == "[32128, 2]");
    CHECK(tessera::shape_to_string(std::vector<int>{}) == "[]");
}

TEST_CASE("io_error names the file and the byte offset or line")
{
    tessera::io_error e("w.npy", 128, "truncated data: expected 400 bytes, found 12");
    CHECK(std::string(e.what()) == "w.npy: byte 128: truncated data: expected 400 bytes, found 12");
    CHECK(e.file() == "w.npy");
    CHECK(e.offset() == 128);
    tessera::io_error l("v.txt", 0, "ragged row", 17);
    CHECK(std::string(l.what()) == "v.txt: line 17: ragged row");
    CHECK(l.line() == 17);
    CHECK_THROWS_AS(throw l, tessera::error);
}

TEST_CASE("lapack_error carries the routine and info")
{
    tessera::lapack_error e("dgesdd", -4, "lapack::svd");
    CHECK(e.routine() == "dgesdd");
    CHECK(e.info() == -4);
    CHECK(std::string(e.what()) == "lapack::svd: LAPACK dgesdd returned info=-4 (argument 4 had an illegal value)");
}

TEST_CASE("status")
{
    tessera::status s;
    CHECK(s.ok());
    s.code = tessera::status_code::fallback_used;
    CHECK_FALSE(s.ok());
    CHECK(std::string(tessera::to_string(s.code)) == "fallback_used");
}
