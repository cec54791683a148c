#pragma once
// Shared helpers for tessera's tests: data locations, skipping, and tolerance per type.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <doctest/doctest.h>

namespace tessera_test
{
    namespace fs = std::filesystem;

    /// Committed fixtures (tests/fixtures/...).
    inline fs::path fixture(const std::string& rel) { return fs::path(TESSERA_TEST_FIXTURES) / rel; }

    /// ../shared/data/<rel> beside the checkout, or empty when absent (a user's fresh clone;
    /// TESSERA_SHARED_DATA at run time wins, e.g. an empty directory to check the skips).
    inline fs::path shared_data(const std::string& rel)
    {
        const char* env = std::getenv("TESSERA_SHARED_DATA");
        fs::path p = fs::path(env && *env ? env : TESSERA_SHARED_DATA) / rel;
        return fs::exists(p) ? p : fs::path();
    }

    /// The fetched data cache (scripts/fetch_data.sh; TESSERA_DATA_DIR at run time wins).
    inline fs::path fetched_data(const std::string& rel)
    {
        const char* env = std::getenv("TESSERA_DATA_DIR");
        fs::path p = fs::path(env && *env ? env : TESSERA_DATA_DIR) / rel;
        return fs::exists(p) ? p : fs::path();
    }

    /// Exit code of a test executable in which nothing failed but at least one test case was
    /// skipped; tests/CMakeLists.txt declares it as every test's SKIP_RETURN_CODE.
    inline constexpr int skip_exit_code = 77;

    /// Records that the running test case did not run in full because `what` is missing
    /// (defined in tests/main.cpp, which prints every skip and returns skip_exit_code).
    /// TESSERA_SKIP_IF_MISSING calls it; call it directly for a skip that must not return.
    void record_skip(const std::string& what);

    /// Relative tolerance suited to T: a few hundred ulps of float, tighter for double.
    template <class T>
    constexpr double tol() { return std::is_same_v<T, float> ? 1e-4 : 1e-10; }
}  // namespace tessera_test

/// Ends the current test case when `path` is empty: prints "skipped: <what> not present" and
/// records the skip (tessera_test::record_skip), so that the executable exits with
/// tessera_test::skip_exit_code and ctest lists it as Skipped rather than Passed.
#define TESSERA_SKIP_IF_MISSING(path, what)                                                \
    do                                                                                      \
    {                                                                                       \
        if ((path).empty())                                                                 \
        {                                                                                   \
            const std::string tessera_skip_ = std::string(what) + " not present (see docs/data.md)"; \
            MESSAGE("skipped: " << tessera_skip_);                                          \
            tessera_test::record_skip(tessera_skip_);                                       \
            return;                                                                         \
        }                                                                                   \
    } while (0)
