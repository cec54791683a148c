#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/core/parallel.hpp>

TEST_CASE("parallel_for visits every index exactly once at 1 and 2 threads")
{
    for (int threads : {1, 2})
    {
        tessera::thread_count_guard g(threads);
        std::vector<int> hits(10007, 0);
        tessera::parallel_for(0, 10007, [&](std::ptrdiff_t i) { hits[static_cast<std::size_t>(i)] += 1; });
        for (int h : hits)
            REQUIRE(h == 1);
        std::vector<int> dyn(999, 0);
        tessera::parallel_for_dynamic(0, 999, 16, [&](std::ptrdiff_t i) { dyn[static_cast<std::size_t>(i)] += 1; });
        for (int h : dyn)
            REQUIRE(h == 1);
    }
}

TEST_CASE("thread_count_guard sets and restores the thread count")
{
    const int before = tessera::max_threads();
    {
        tessera::thread_count_guard g(1);
        CHECK(tessera::max_threads() == 1);
    }
    CHECK(tessera::max_threads() == before);
    if (tessera::has_openmp())
    {
        tessera::thread_count_guard g(2);
        std::atomic<int> seen_other{0};
        tessera::parallel_for(0, 1000, [&](std::ptrdiff_t) {
            if (tessera::thread_index() == 1)
                seen_other = 1;
        });
        CHECK(seen_other.load() == 1);
    }
    // An empty range is fine.
    tessera::parallel_for(5, 5, [](std::ptrdiff_t) { FAIL("called"); });
}

TEST_CASE("parallel_for_rethrow runs every index and rethrows the lowest failing one's exception")
{
    for (int threads : {1, 2})
    {
        CAPTURE(threads);
        tessera::thread_count_guard g(threads);
        std::vector<int> hits(64, 0);
        try
        {
            tessera::parallel_for_rethrow(0, 64, [&](std::ptrdiff_t i) {
                hits[static_cast<std::size_t>(i)] += 1;
                if (i == 40 || i == 17 || i == 63)
                    throw std::runtime_error("failed at " + std::to_string(i));
            });
            FAIL("expected an exception");
        }
        catch (const std::runtime_error& e)
        {
            CHECK(std::string(e.what()) == "failed at 17");
        }
        for (int h : hits)
            CHECK(h == 1);
        std::vector<int> ran(2, 0);  // nothing thrown: nothing rethrown; an empty range runs nothing
        auto mark = [&](std::ptrdiff_t i) { ran[static_cast<std::size_t>(i)] = 1; };
        CHECK_NOTHROW(tessera::parallel_for_rethrow(0, 2, mark));
        CHECK(ran == std::vector<int>{1, 1});
        CHECK_NOTHROW(tessera::parallel_for_rethrow(5, 5, [](std::ptrdiff_t) { throw std::runtime_error("no"); }));
    }
}
