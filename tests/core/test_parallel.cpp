#include <atomic>
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
