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

    /// ../shared/data/<rel> beside the checkout, or empty when absent (a user's fresh clone).
    inline fs::path shared_data(const std::string& rel)
    {
        fs::path p = fs::path(TESSERA_SHARED_DATA) / rel;
        return fs::exists(p) ? p : fs::path();
    }

    /// The fetched data cache (scripts/fetch_data.sh; TESSERA_DATA_DIR at run time wins).
    inline fs::path fetched_data(const std::string& rel)
    {
        const char* env = std::getenv("TESSERA_DATA_DIR");
        fs::path p = fs::path(env && *env ? env : TESSERA_DATA_DIR) / rel;
        return fs::exists(p) ? p : fs::path();
    }

    /// Relative tolerance suited to T: a few hundred ulps of float, tighter for double.
    template <class T>
    constexpr double tol() { return std::is_same_v<T, float> ? 1e-4 : 1e-10; }
}  // namespace tessera_test

/// Ends the current test case with a visible message when `path` is empty.
#define TESSERA_SKIP_IF_MISSING(path, what)                                                \
    do                                                                                      \
    {                                                                                       \
        if ((path).empty())                                                                 \
        {                                                                                   \
            MESSAGE("skipped: " << (what) << " not present (see docs/data.md)");            \
            return;                                                                         \
        }                                                                                   \
    } while (0)
